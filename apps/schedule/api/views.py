"""Schedule API: versions and milestones (with slip), project-scoped, PMO and integration admins."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.roles import INTEGRATION_ADMIN, PMO, HasRole
from apps.core.api import MAX_ID, IdCursorPagination
from apps.core.errors import ApplicationError
from apps.schedule.choices import ScheduleKind
from apps.schedule.selectors import (
    milestone_slip_list,
    milestone_slip_trend,
    schedule_project_get,
    schedule_version_get,
    schedule_version_list,
)

SCHEDULE_ROLES = (PMO, INTEGRATION_ADMIN)


class VersionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.CharField(source="project.code")
    kind = serializers.CharField()
    source_format = serializers.CharField()
    file_name = serializers.CharField()
    file_sha256 = serializers.CharField()
    file_size = serializers.IntegerField()
    encoding = serializers.CharField()
    source_version = serializers.CharField()
    source_project_code = serializers.CharField()
    source_project_name = serializers.CharField()
    data_date = serializers.DateTimeField(allow_null=True)
    imported_at = serializers.DateTimeField()
    imported_by = serializers.CharField(
        source="imported_by.username", default=None, allow_null=True
    )
    activities = serializers.IntegerField(source="counts.activities", default=0)
    milestones = serializers.IntegerField(source="counts.milestones", default=0)
    refused = serializers.IntegerField(source="refused_count")
    ledger_transaction_id = serializers.IntegerField(allow_null=True)


class VersionDetailOutput(VersionOutput):
    counts = serializers.JSONField()
    warnings = serializers.JSONField()
    refused_rows = serializers.JSONField()
    duration_ms = serializers.IntegerField()


class MilestoneOutput(serializers.Serializer):
    id = serializers.IntegerField()
    version_id = serializers.IntegerField()
    data_date = serializers.DateTimeField(source="version.data_date", allow_null=True)
    task_code = serializers.CharField()
    name = serializers.CharField()
    milestone_type = serializers.CharField()
    baseline_version_id = serializers.IntegerField(allow_null=True)
    baseline_date = serializers.DateField(allow_null=True)
    previous_date = serializers.DateField(allow_null=True)
    current_date = serializers.DateField(allow_null=True)
    current_is_actual = serializers.BooleanField(source="is_actual")
    slip_working_days = serializers.IntegerField(source="slip_days", allow_null=True)
    change_working_days = serializers.IntegerField(source="change_days", allow_null=True)
    threshold_working_days = serializers.IntegerField(source="threshold_days")
    compared_with = serializers.CharField()
    over_threshold = serializers.BooleanField()
    event_emitted = serializers.BooleanField()
    event_transaction_id = serializers.IntegerField(allow_null=True)


class VersionListApi(APIView):
    pagination_class = IdCursorPagination  # documents the paginated list in the schema
    permission_classes = [HasRole]
    required_roles = SCHEDULE_ROLES

    class FilterInput(serializers.Serializer):
        project = serializers.CharField(required=False, allow_blank=True)
        kind = serializers.ChoiceField(
            choices=ScheduleKind.choices, required=False, allow_blank=True
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("project", str, description="project code or id"),
            OpenApiParameter("kind", str, enum=ScheduleKind.values),
        ],
        responses=VersionOutput(many=True),
        description="Imported schedule versions of the projects you may see, newest first.",
    )
    def get(self, request):
        filters = self.FilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        project = None
        if filters.validated_data.get("project"):
            project = schedule_project_get(
                user=request.user, reference=filters.validated_data["project"]
            )
        queryset = schedule_version_list(user=request.user, project=project)
        if filters.validated_data.get("kind"):
            queryset = queryset.filter(kind=filters.validated_data["kind"])
        paginator = IdCursorPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(VersionOutput(page, many=True).data)


class VersionDetailApi(APIView):
    permission_classes = [HasRole]
    required_roles = SCHEDULE_ROLES

    @extend_schema(responses=VersionDetailOutput)
    def get(self, request, version_id: int):
        version = schedule_version_get(user=request.user, version_id=version_id)
        return Response(VersionDetailOutput(version).data)


class MilestoneListApi(APIView):
    permission_classes = [HasRole]
    required_roles = SCHEDULE_ROLES

    class FilterInput(serializers.Serializer):
        project = serializers.CharField()
        version = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)

    @extend_schema(
        parameters=[
            OpenApiParameter("project", str, required=True, description="project code or id"),
            OpenApiParameter(
                "version", int, description="an update's id (default: the latest update)"
            ),
        ],
        responses=inline_serializer(
            "MilestoneList",
            {
                "project": serializers.CharField(),
                "version_id": serializers.IntegerField(allow_null=True),
                "results": MilestoneOutput(many=True),
                "trend": serializers.DictField(),
            },
        ),
        description="The milestones of one update with their baseline and current dates, slip in "
        "working days, the threshold and whether `milestone.slipped` was emitted; `trend` gives "
        "the slip of every milestone across all updates.",
    )
    def get(self, request):
        filters = self.FilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        project = schedule_project_get(
            user=request.user, reference=filters.validated_data["project"]
        )
        version = None
        if filters.validated_data.get("version"):
            version = schedule_version_get(
                user=request.user, version_id=filters.validated_data["version"]
            )
            if version.project_id != project.id or version.kind != ScheduleKind.UPDATE:
                raise ApplicationError(
                    f"version {version.id} is not an update of {project.code}",
                    code="invalid_version",
                )
        slips = milestone_slip_list(project=project, version=version).order_by("task_code")
        return Response(
            {
                "project": project.code,
                "version_id": slips[0].version_id if slips else None,
                "results": MilestoneOutput(slips, many=True).data,
                "trend": milestone_slip_trend(project=project),
            }
        )
