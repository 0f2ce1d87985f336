"""Subcontractor compliance API: the documents (list, record one: the holds it cures are
released) and the holds, with the roles and project scoping of the /compliance/ page."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.roles import FINANCE, INTEGRATION_ADMIN, PMO, REQUESTER, HasRole
from apps.compliance.choices import DocumentKind, HoldStatus
from apps.compliance.selectors import compliance_document_list, compliance_hold_list
from apps.compliance.services import compliance_document_record
from apps.core.api import IdCursorPagination
from apps.procurement.selectors import vendor_get
from apps.projects.selectors import project_get

READ_ROLES = (FINANCE, PMO, REQUESTER, INTEGRATION_ADMIN)
WRITE_ROLES = (FINANCE, INTEGRATION_ADMIN)

PROJECT_PARAM = OpenApiParameter("project", str, description="project code")
VENDOR_PARAM = OpenApiParameter("vendor", str, description="vendor code")


def _paginate(view, request, queryset, serializer):
    paginator = IdCursorPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)


class ScopeFilter(serializers.Serializer):
    project = serializers.CharField(required=False, max_length=50)
    vendor = serializers.CharField(required=False, max_length=40)


def _scope(request, values: dict) -> dict:
    """The project (visible to the user, 404 otherwise) and vendor filters as objects."""
    return {
        "project": (
            project_get(user=request.user, code=values["project"])
            if values.get("project")
            else None
        ),
        "vendor": vendor_get(code=values["vendor"]) if values.get("vendor") else None,
    }


# --- documents ----------------------------------------------------------------------------------


class ComplianceDocumentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    vendor = serializers.CharField(source="vendor.code")
    vendor_name = serializers.CharField(source="vendor.name")
    project = serializers.CharField(
        source="project.code", default=None, allow_null=True, help_text="null: all projects"
    )
    kind = serializers.CharField()
    reference = serializers.CharField()
    valid_from = serializers.DateField(allow_null=True)
    expires_on = serializers.DateField(allow_null=True, help_text="null: no expiry")
    source = serializers.CharField()
    document_ref = serializers.CharField()
    recorded_by = serializers.CharField(
        source="recorded_by.username", default=None, allow_null=True
    )
    received_at = serializers.DateTimeField()


class ComplianceDocumentListApi(APIView):
    pagination_class = IdCursorPagination  # documents the paginated list in the schema
    permission_classes = [HasRole]
    required_roles = READ_ROLES
    write_roles = WRITE_ROLES

    class ComplianceDocumentFilter(ScopeFilter):
        kind = serializers.ChoiceField(choices=DocumentKind.values, required=False)
        expired = serializers.BooleanField(required=False, allow_null=True, default=None)

    class ComplianceDocumentRecordInput(serializers.Serializer):
        vendor = serializers.CharField(max_length=40, help_text="vendor code")
        project = serializers.CharField(
            max_length=50, required=False, allow_blank=True, help_text="project code; empty: all"
        )
        kind = serializers.ChoiceField(choices=DocumentKind.choices)
        valid_from = serializers.DateField(required=False, allow_null=True)
        expires_on = serializers.DateField(required=False, allow_null=True)
        reference = serializers.CharField(max_length=120, required=False, allow_blank=True)
        document_ref = serializers.CharField(
            max_length=200,
            required=False,
            allow_blank=True,
            help_text="the file's name or its document register reference",
        )

    @extend_schema(
        parameters=[
            VENDOR_PARAM,
            PROJECT_PARAM,
            OpenApiParameter("kind", str, enum=DocumentKind.values),
            OpenApiParameter(
                "expired", OpenApiTypes.BOOL, description="true: expired before today"
            ),
        ],
        responses=ComplianceDocumentOutput(many=True),
        description="Compliance documents of your projects' subcontractors (project documents "
        "and the vendor's all-project documents), newest first.",
    )
    def get(self, request):
        filters = self.ComplianceDocumentFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        values = filters.validated_data
        queryset = compliance_document_list(
            user=request.user,
            **_scope(request, values),
            kind=values.get("kind", ""),
            expired=values.get("expired"),
        )
        return _paginate(self, request, queryset, ComplianceDocumentOutput)

    @extend_schema(
        request=ComplianceDocumentRecordInput,
        responses={201: ComplianceDocumentOutput},
        description="Record a document (finance, integration admins), as the /compliance/ "
        "form does; every hold it cures is released at once (claim payments are released and "
        "posted). 400 bad_dates when it expires before it is valid; 404 for an unknown vendor "
        "or a project you cannot see.",
    )
    def post(self, request):
        data = self.ComplianceDocumentRecordInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        scope = _scope(request, values)
        document = compliance_document_record(
            vendor=scope["vendor"],
            project=scope["project"],
            kind=values["kind"],
            valid_from=values.get("valid_from"),
            expires_on=values.get("expires_on"),
            reference=values.get("reference", ""),
            document_ref=values.get("document_ref", ""),
            actor=request.user,
        )
        return Response(ComplianceDocumentOutput(document).data, status=status.HTTP_201_CREATED)


# --- holds --------------------------------------------------------------------------------------


class ComplianceHoldOutput(serializers.Serializer):
    id = serializers.IntegerField()
    vendor = serializers.CharField(source="vendor.code")
    project = serializers.CharField(source="project.code", default=None, allow_null=True)
    kind = serializers.CharField(help_text="commitment (blocked) or payment (claim held)")
    invoice_id = serializers.IntegerField(allow_null=True)
    invoice = serializers.CharField(source="invoice.number", default=None, allow_null=True)
    missing = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()),
        help_text="[{kind, code, message}] per missing or expired document",
    )
    status = serializers.CharField()
    trace_key = serializers.CharField()
    created_at = serializers.DateTimeField()
    released_at = serializers.DateTimeField(allow_null=True)
    released_by_document_id = serializers.IntegerField(allow_null=True)


class ComplianceHoldListApi(APIView):
    pagination_class = IdCursorPagination  # documents the paginated list in the schema
    permission_classes = [HasRole]
    required_roles = READ_ROLES

    class ComplianceHoldFilter(ScopeFilter):
        status = serializers.ChoiceField(choices=HoldStatus.values, required=False)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=HoldStatus.values),
            PROJECT_PARAM,
            VENDOR_PARAM,
        ],
        responses=ComplianceHoldOutput(many=True),
        description="Commitments blocked and claim payments held for missing or expired "
        "documents on your projects, newest first.",
    )
    def get(self, request):
        filters = self.ComplianceHoldFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        values = filters.validated_data
        queryset = compliance_hold_list(
            user=request.user, status=values.get("status", ""), **_scope(request, values)
        )
        return _paginate(self, request, queryset, ComplianceHoldOutput)
