"""Exception queue API: list/filter, detail, and actions (assign, comment, resolve, ignore,
status, retry, fix mapping) with the same roles and project scoping as the pages."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.roles import FINANCE, INTEGRATION_ADMIN, HasRole
from apps.core.api import MAX_ID, IdCursorPagination
from apps.core.errors import ApplicationError
from apps.exceptions import selectors, services
from apps.exceptions.choices import ExceptionCategory, ExceptionStatus, Severity
from apps.exceptions.forms import PERSON_RESOLUTIONS
from apps.exceptions.selectors import AGE_BUCKETS, QUEUE_VIEWS

QUEUE_ROLES = (FINANCE, INTEGRATION_ADMIN)


class ExceptionItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    category = serializers.CharField()
    category_label = serializers.CharField(source="get_category_display")
    severity = serializers.CharField()
    status = serializers.CharField()
    title = serializers.CharField()
    reason = serializers.CharField()
    project = serializers.CharField(source="project.code", default=None, allow_null=True)
    system = serializers.CharField(source="system.code", default=None, allow_null=True)
    amount_at_risk = serializers.DecimalField(
        max_digits=18, decimal_places=2, allow_null=True, coerce_to_string=True
    )
    currency = serializers.CharField()
    assignee = serializers.CharField(source="assignee.username", default=None, allow_null=True)
    owner_group = serializers.CharField()
    sla_due_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.SerializerMethodField()
    tags = serializers.ListField(child=serializers.CharField())
    trace_key = serializers.CharField()
    occurrences = serializers.IntegerField()
    first_seen_at = serializers.DateTimeField()
    last_seen_at = serializers.DateTimeField()
    resolution_action = serializers.CharField()
    resolution_note = serializers.CharField()
    resolved_by = serializers.CharField(
        source="resolved_by.username", default=None, allow_null=True
    )
    resolved_at = serializers.DateTimeField(allow_null=True)

    def get_overdue(self, item) -> bool:
        return item.is_overdue()


class ExceptionLinkOutput(serializers.Serializer):
    transaction_id = serializers.IntegerField()
    role = serializers.CharField()
    status = serializers.CharField(source="transaction.status")
    domain = serializers.CharField(source="transaction.domain")
    direction = serializers.CharField(source="transaction.direction")


class ExceptionCommentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.CharField(source="author.username", default=None, allow_null=True)
    body = serializers.CharField()
    is_system = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class ExceptionItemDetailOutput(ExceptionItemOutput):
    details = serializers.JSONField()
    transactions = serializers.SerializerMethodField()
    comments = serializers.SerializerMethodField()

    def get_transactions(self, item) -> list[dict]:
        return ExceptionLinkOutput(selectors.exception_links(item=item), many=True).data

    def get_comments(self, item) -> list[dict]:
        return ExceptionCommentOutput(selectors.exception_comments(item=item), many=True).data


class ExceptionFilterInput(serializers.Serializer):
    view = serializers.ChoiceField(choices=list(QUEUE_VIEWS), required=False, default="all")
    category = serializers.ChoiceField(choices=ExceptionCategory.choices, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    status = serializers.ChoiceField(choices=ExceptionStatus.choices, required=False)
    project = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    system = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    assignee = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    age = serializers.ChoiceField(choices=[b[0] for b in AGE_BUCKETS], required=False)
    amount_min = serializers.DecimalField(max_digits=18, decimal_places=2, required=False)
    amount_max = serializers.DecimalField(max_digits=18, decimal_places=2, required=False)
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)


class ExceptionListApi(APIView):
    pagination_class = IdCursorPagination  # documents the paginated list in the schema
    permission_classes = [HasRole]
    required_roles = QUEUE_ROLES

    @extend_schema(parameters=[ExceptionFilterInput], responses=ExceptionItemOutput(many=True))
    def get(self, request):
        filters = ExceptionFilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = dict(filters.validated_data)
        queryset = selectors.exception_queue(
            user=request.user, view=data.pop("view", "all"), filters=data
        )
        paginator = IdCursorPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(ExceptionItemOutput(page, many=True).data)


class ExceptionDetailApi(APIView):
    permission_classes = [HasRole]
    required_roles = QUEUE_ROLES

    @extend_schema(responses=ExceptionItemDetailOutput)
    def get(self, request, item_id: int):
        item = selectors.exception_get(user=request.user, item_id=item_id)
        return Response(ExceptionItemDetailOutput(item).data)


class ExceptionActionApi(APIView):
    """POST /api/v1/exceptions/<id>/actions/ with {"action": ..., ...}:
    assign {assignee: username|null}, comment {body}, resolve {resolution, note},
    ignore {reason}, status {status, note}, retry {reason}, fix_mapping {canonical_value, note}."""

    permission_classes = [HasRole]
    required_roles = QUEUE_ROLES

    class ExceptionActionInput(serializers.Serializer):
        action = serializers.ChoiceField(
            choices=["assign", "comment", "resolve", "ignore", "status", "retry", "fix_mapping"]
        )
        assignee = serializers.CharField(required=False, allow_null=True, allow_blank=True)
        body = serializers.CharField(required=False, allow_blank=True)
        resolution = serializers.ChoiceField(choices=PERSON_RESOLUTIONS, required=False)
        note = serializers.CharField(required=False, allow_blank=True, default="")
        reason = serializers.CharField(required=False, allow_blank=True, default="")
        status = serializers.ChoiceField(choices=["open", "in_progress", "waiting"], required=False)
        canonical_value = serializers.CharField(required=False, max_length=200)

    @extend_schema(request=ExceptionActionInput, responses=ExceptionItemDetailOutput)
    def post(self, request, item_id: int):
        item = selectors.exception_get(user=request.user, item_id=item_id)
        serializer = self.ExceptionActionInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        action = data["action"]
        actor = request.user
        extra = {}
        if action == "assign":
            username = data.get("assignee")
            assignee = None
            if username:
                assignee = selectors.assignable_users().filter(username=username).first()
                if assignee is None:
                    raise ApplicationError(
                        f"{username!r} cannot work the exception queue.", code="bad_assignee"
                    )
            item = services.exception_assign(item=item, actor=actor, assignee=assignee)
        elif action == "comment":
            services.exception_comment_add(item=item, author=actor, body=data.get("body", ""))
        elif action == "resolve":
            if not data.get("resolution"):
                raise ApplicationError("Name the resolution action.", code="resolution_required")
            item = services.exception_resolve(
                item=item, actor=actor, action=data["resolution"], note=data["note"]
            )
        elif action == "ignore":
            item = services.exception_ignore(item=item, actor=actor, reason=data["reason"])
        elif action == "status":
            if not data.get("status"):
                raise ApplicationError("Name the status.", code="status_required")
            item = services.exception_status_set(
                item=item, actor=actor, status=data["status"], note=data["note"]
            )
        elif action == "retry":
            extra = services.exception_replay_transactions(
                item=item, actor=actor, reason=data["reason"]
            )
        else:
            from apps.sync.replay import mapping_fix_and_replay

            if not data.get("canonical_value"):
                raise ApplicationError("Name the canonical value.", code="canonical_required")
            result = mapping_fix_and_replay(
                item=item, actor=actor, canonical_value=data["canonical_value"], note=data["note"]
            )
            extra = {"released": result.released, "replayed": result.replayed}
        item = selectors.exception_get(user=request.user, item_id=item.pk)
        body = dict(ExceptionItemDetailOutput(item).data)
        if extra:
            body["result"] = extra
        return Response(body)
