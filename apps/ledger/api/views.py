"""Ledger API: list (same filters as the page, cursor pagination), detail with events, lineage,
replay (admins), refused requests (admins)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.roles import FINANCE, INTEGRATION_ADMIN, PMO, HasRole
from apps.core.api import IdCursorPagination
from apps.ledger.choices import Direction, TransactionStatus
from apps.ledger.selectors import (
    TransactionFilters,
    payload_masked,
    refused_request_list,
    transaction_events,
    transaction_get,
    transaction_lineage,
    transaction_list,
)
from apps.sync.models import ReplayRequest
from apps.sync.replay import transaction_replay_one

LEDGER_ROLES = (FINANCE, INTEGRATION_ADMIN, PMO)


class TransactionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    direction = serializers.CharField()
    system = serializers.CharField(source="system.code")
    domain = serializers.CharField()
    operation = serializers.CharField()
    status = serializers.CharField()
    idempotency_key = serializers.CharField()
    external_id = serializers.CharField()
    reference = serializers.CharField()
    subject_domain = serializers.CharField()
    subject_id = serializers.CharField()
    project = serializers.CharField(source="project.code", default=None, allow_null=True)
    correlation_id = serializers.CharField()
    parent_id = serializers.IntegerField(allow_null=True)
    root_id = serializers.IntegerField(source="lineage_root_id")
    trigger = serializers.CharField()
    attempts = serializers.IntegerField()
    max_attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_error_code = serializers.CharField()
    last_error_message = serializers.CharField()
    occurred_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    duration_ms = serializers.IntegerField(allow_null=True)


class EventOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    actor = serializers.CharField(source="actor_label")
    detail = serializers.JSONField()
    error_code = serializers.CharField()
    error_message = serializers.CharField()
    duration_ms = serializers.IntegerField(allow_null=True)
    at = serializers.DateTimeField()


class TransactionDetailOutput(TransactionOutput):
    schema_version = serializers.CharField()
    payload_sha256 = serializers.CharField()
    size_bytes = serializers.IntegerField()
    payload = serializers.SerializerMethodField()
    canonical_payload = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()

    def get_payload(self, tx) -> dict:
        return payload_masked(tx.payload)

    def get_canonical_payload(self, tx) -> dict | None:
        return payload_masked(tx.canonical_payload) if tx.canonical_payload is not None else None

    def get_events(self, tx) -> list[dict]:
        return EventOutput(transaction_events(transaction=tx), many=True).data


class TransactionFilterInput(serializers.Serializer):
    system = serializers.CharField(required=False, allow_blank=True)
    domain = serializers.CharField(required=False, allow_blank=True)
    direction = serializers.ChoiceField(choices=Direction.choices, required=False, allow_blank=True)
    status = serializers.MultipleChoiceField(choices=TransactionStatus.choices, required=False)
    project = serializers.CharField(required=False, allow_blank=True)
    received_from = serializers.DateTimeField(required=False)
    received_to = serializers.DateTimeField(required=False)
    correlation_id = serializers.CharField(required=False, allow_blank=True)
    q = serializers.CharField(required=False, allow_blank=True)


def _filters(request) -> TransactionFilters:
    data = {k: v for k, v in request.query_params.items() if k != "status"}
    if "status" in request.query_params:
        data["status"] = request.query_params.getlist("status")
    serializer = TransactionFilterInput(data=data)
    serializer.is_valid(raise_exception=True)
    values = dict(serializer.validated_data)
    values["status"] = sorted(values.get("status") or [])
    return TransactionFilters(**values)


FILTER_PARAMETERS = [
    OpenApiParameter("system", str, description="system code"),
    OpenApiParameter("domain", str),
    OpenApiParameter("direction", str, enum=Direction.values),
    OpenApiParameter("status", str, many=True, enum=TransactionStatus.values),
    OpenApiParameter("project", str, description="project code or id"),
    OpenApiParameter("received_from", str, description="ISO 8601 date-time (inclusive)"),
    OpenApiParameter("received_to", str, description="ISO 8601 date-time (exclusive)"),
    OpenApiParameter("correlation_id", str),
    OpenApiParameter(
        "q", str, description="id, idempotency key, external id or business reference"
    ),
]


class TransactionListApi(APIView):
    pagination_class = IdCursorPagination  # documents the paginated list in the schema
    permission_classes = [HasRole]
    required_roles = LEDGER_ROLES

    @extend_schema(parameters=FILTER_PARAMETERS, responses=TransactionOutput(many=True))
    def get(self, request):
        queryset = transaction_list(user=request.user, filters=_filters(request)).select_related(
            "system", "project"
        )
        paginator = IdCursorPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(TransactionOutput(page, many=True).data)


def _get(request, transaction_id: int):
    tx = transaction_get(user=request.user, transaction_id=transaction_id)
    if tx is None:
        raise Http404
    return tx


class TransactionDetailApi(APIView):
    permission_classes = [HasRole]
    required_roles = LEDGER_ROLES

    @extend_schema(responses=TransactionDetailOutput)
    def get(self, request, transaction_id: int):
        return Response(TransactionDetailOutput(_get(request, transaction_id)).data)


class TransactionLineageApi(APIView):
    permission_classes = [HasRole]
    required_roles = LEDGER_ROLES

    @extend_schema(
        responses=inline_serializer(
            "Lineage",
            {
                "root_id": serializers.IntegerField(),
                "focus_id": serializers.IntegerField(),
                "nodes": serializers.ListField(child=serializers.DictField()),
                "edges": serializers.ListField(child=serializers.DictField()),
            },
        ),
        description="Ancestors up to the root, descendants, and the transactions of the same "
        "correlation id and subject, as nodes and parent→child edges.",
    )
    def get(self, request, transaction_id: int):
        tx = _get(request, transaction_id)
        return Response(transaction_lineage(transaction=tx, user=request.user))


class TransactionReplayApi(APIView):
    permission_classes = [HasRole]
    required_roles = (INTEGRATION_ADMIN,)

    class Input(serializers.Serializer):
        reason = serializers.CharField(max_length=1000)

        class Meta:
            ref_name = "TransactionReplayInput"

    class PendingOutput(serializers.Serializer):
        replay_request = serializers.IntegerField(source="id")
        status = serializers.CharField()
        detail = serializers.CharField(default="This replay needs a second person to approve it.")

        class Meta:
            ref_name = "TransactionReplayPending"

    @extend_schema(request=Input, responses={201: TransactionOutput, 202: PendingOutput})
    def post(self, request, transaction_id: int):
        tx = _get(request, transaction_id)
        serializer = self.Input(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The sync engine's replay keeps segregation of duties: an overridden financial
        # transaction is not replayed by one person; a replay request waits for a second.
        child = transaction_replay_one(
            transaction=tx, actor=request.user, reason=serializer.validated_data["reason"]
        )
        if isinstance(child, ReplayRequest):
            return Response(self.PendingOutput(child).data, status=202)
        child = transaction_get(user=request.user, transaction_id=child.id)
        return Response(TransactionOutput(child).data, status=201)


class RefusedRequestOutput(serializers.Serializer):
    id = serializers.IntegerField()
    system_code = serializers.CharField()
    endpoint = serializers.CharField()
    http_status = serializers.IntegerField()
    reason = serializers.CharField()
    message = serializers.CharField()
    size_bytes = serializers.IntegerField()
    body_sha256 = serializers.CharField()
    signature_valid = serializers.BooleanField()
    source_address = serializers.CharField(allow_null=True)
    headers = serializers.JSONField()
    at = serializers.DateTimeField()


class RefusedRequestListApi(APIView):
    pagination_class = IdCursorPagination  # documents the paginated list in the schema
    permission_classes = [HasRole]
    required_roles = (INTEGRATION_ADMIN,)

    @extend_schema(
        parameters=[OpenApiParameter("system", str), OpenApiParameter("reason", str)],
        responses=RefusedRequestOutput(many=True),
    )
    def get(self, request):
        queryset = refused_request_list(
            system_code=request.query_params.get("system", ""),
            reason=request.query_params.get("reason", ""),
        )
        paginator = IdCursorPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(RefusedRequestOutput(page, many=True).data)
