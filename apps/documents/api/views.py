"""Document register API (PMO and integration admins; project-scoped; cursor pagination)."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.roles import INTEGRATION_ADMIN, PMO, HasRole
from apps.core.api import IdCursorPagination
from apps.core.errors import NotFoundError
from apps.documents.choices import DocumentEventKind, DocumentKind, StatusMeaning
from apps.documents.selectors import (
    document_event_list,
    document_get,
    document_list,
    status_set_list,
)
from apps.projects.selectors import project_list

READ_ROLES = (PMO, INTEGRATION_ADMIN)


class DocumentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.CharField(source="project.code")
    system = serializers.CharField(source="system.code", default=None, allow_null=True)
    kind = serializers.CharField()
    external_id = serializers.CharField()
    number = serializers.CharField()
    title = serializers.CharField()
    discipline = serializers.CharField()
    spec_section = serializers.CharField()
    current_revision = serializers.CharField()
    status_code = serializers.CharField()
    status_label = serializers.CharField()
    status_meaning = serializers.CharField()
    status_known = serializers.BooleanField()
    status_changed_at = serializers.DateTimeField(allow_null=True)
    received_on = serializers.DateField(allow_null=True)
    review_due_on = serializers.DateField(allow_null=True)
    review_overdue = serializers.SerializerMethodField()
    responded_at = serializers.DateTimeField(allow_null=True)
    procurement_refs = serializers.ListField(child=serializers.CharField())
    last_transaction_id = serializers.IntegerField(allow_null=True)
    updated_at = serializers.DateTimeField()

    def get_review_overdue(self, document) -> bool:
        return (
            document.status_meaning == StatusMeaning.IN_REVIEW
            and document.review_due_on is not None
            and document.review_due_on < timezone.now().date()
        )


class RevisionOutput(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.CharField()
    external_id = serializers.CharField()
    status_code = serializers.CharField()
    is_current = serializers.BooleanField()
    issued_at = serializers.DateTimeField(allow_null=True)
    superseded_at = serializers.DateTimeField(allow_null=True)
    superseded_by = serializers.CharField(
        source="superseded_by.code", default=None, allow_null=True
    )
    transaction_id = serializers.IntegerField(allow_null=True)


class StatusChangeOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    from_code = serializers.CharField()
    to_code = serializers.CharField()
    meaning = serializers.CharField()
    revision = serializers.CharField(source="revision.code", default=None, allow_null=True)
    source = serializers.CharField()
    transaction_id = serializers.IntegerField(allow_null=True)
    note = serializers.CharField()


class DocumentEventOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    document_id = serializers.IntegerField()
    document_number = serializers.CharField(source="document.number")
    project = serializers.CharField(source="document.project.code")
    revision = serializers.CharField(source="revision.code", default=None, allow_null=True)
    at = serializers.DateTimeField()
    procurement_refs = serializers.ListField(child=serializers.CharField())
    detail = serializers.JSONField()
    transaction_id = serializers.IntegerField(allow_null=True)
    emitted_transaction_id = serializers.IntegerField(allow_null=True)


class DocumentDetailOutput(DocumentOutput):
    revisions = serializers.SerializerMethodField()
    status_history = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()

    def get_revisions(self, document) -> list[dict]:
        return RevisionOutput(
            document.revisions.select_related("superseded_by").order_by("-created_at"), many=True
        ).data

    def get_status_history(self, document) -> list[dict]:
        return StatusChangeOutput(
            document.status_changes.select_related("revision")[:500], many=True
        ).data

    def get_events(self, document) -> list[dict]:
        return DocumentEventOutput(
            document.events.select_related("revision", "document__project"), many=True
        ).data


def _project_id(request, value: str) -> int | None:
    """A project filter by code or id, among the projects the user may see."""
    if not value:
        return None
    projects = project_list(user=request.user)
    project = projects.filter(code=value).first()
    if project is None and value.isdigit():
        project = projects.filter(pk=int(value)).first()
    if project is None:
        raise NotFoundError(f"No project {value!r} among yours.")
    return project.pk


class DocumentListApi(APIView):
    pagination_class = IdCursorPagination  # documents the paginated list in the schema
    permission_classes = [HasRole]
    required_roles = READ_ROLES

    class FilterInput(serializers.Serializer):
        project = serializers.CharField(required=False, allow_blank=True)
        kind = serializers.ChoiceField(choices=DocumentKind.choices, required=False)
        status = serializers.ChoiceField(
            choices=[*StatusMeaning.choices, ("unknown", "Unknown code")], required=False
        )
        overdue = serializers.BooleanField(required=False, default=False)
        q = serializers.CharField(required=False, allow_blank=True, max_length=100)

        class Meta:
            ref_name = "DocumentFilterInput"

    @extend_schema(
        parameters=[
            OpenApiParameter("project", str, description="project code or id"),
            OpenApiParameter("kind", str, enum=DocumentKind.values),
            OpenApiParameter("status", str, description="status meaning, or `unknown`"),
            OpenApiParameter("overdue", bool, description="only reviews past their due date"),
            OpenApiParameter("q", str, description="number, title, spec section or id"),
        ],
        responses=DocumentOutput(many=True),
    )
    def get(self, request):
        serializer = self.FilterInput(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        queryset = document_list(
            user=request.user,
            project_id=_project_id(request, data.get("project", "")),
            kind=data.get("kind", ""),
            meaning=data.get("status", ""),
            overdue=data.get("overdue", False),
            q=data.get("q", ""),
        )
        paginator = IdCursorPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(DocumentOutput(page, many=True).data)


class DocumentDetailApi(APIView):
    permission_classes = [HasRole]
    required_roles = READ_ROLES

    @extend_schema(responses=DocumentDetailOutput)
    def get(self, request, document_id: int):
        try:
            document = document_get(user=request.user, document_id=document_id)
        except NotFoundError as exc:
            raise Http404(str(exc)) from exc
        return Response(DocumentDetailOutput(document).data)


class DocumentEventListApi(APIView):
    """Derived events; `released=false` lists approved submittals linked to procurement lines
    that no workflow has carried onward yet."""

    pagination_class = IdCursorPagination  # documents the paginated list in the schema

    permission_classes = [HasRole]
    required_roles = READ_ROLES

    class FilterInput(serializers.Serializer):
        kind = serializers.ChoiceField(choices=DocumentEventKind.choices, required=False)
        project = serializers.CharField(required=False, allow_blank=True)
        released = serializers.BooleanField(required=False, allow_null=True, default=None)

        class Meta:
            ref_name = "DocumentEventFilterInput"

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, enum=DocumentEventKind.values),
            OpenApiParameter("project", str, description="project code or id"),
            OpenApiParameter(
                "released", bool, description="false: not yet carried onward by a workflow"
            ),
        ],
        responses=DocumentEventOutput(many=True),
    )
    def get(self, request):
        serializer = self.FilterInput(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        queryset = document_event_list(
            user=request.user,
            kind=data.get("kind", ""),
            project_id=_project_id(request, data.get("project", "")),
        )
        released = data.get("released")
        if released is not None:
            queryset = queryset.filter(emitted_transaction_id__isnull=not released)
        paginator = IdCursorPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(DocumentEventOutput(page, many=True).data)


class StatusCodeOutput(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    state = serializers.CharField()
    meaning = serializers.CharField()
    colour = serializers.CharField(source="badge_colour")
    action_by = serializers.CharField()
    aliases = serializers.ListField(child=serializers.CharField())
    deprecated = serializers.BooleanField()
    withdrawn = serializers.BooleanField()


class StatusSetOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    description = serializers.CharField()
    is_preset = serializers.BooleanField()
    codes = StatusCodeOutput(many=True, source="codes.all")


class StatusSetListApi(APIView):
    permission_classes = [HasRole]
    required_roles = READ_ROLES

    @extend_schema(responses=StatusSetOutput(many=True))
    def get(self, request):
        return Response(StatusSetOutput(status_set_list(), many=True).data)
