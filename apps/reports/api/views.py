"""Reports API: the figures of each executive report as the page's table (the same columns and
values as its CSV/XLSX export), with the same filters and the same roles (PMO, finance)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.roles import FINANCE, PMO, HasRole
from apps.reports import selectors
from apps.reports.cashflow import CASHFLOW_COLUMNS, cashflow_report
from apps.reports.document_status import DOCUMENT_COLUMNS, document_status_report
from apps.reports.filters import report_filters_from
from apps.reports.pipeline import PIPELINE_COLUMNS, pipeline_report
from apps.reports.schedule_health import MILESTONE_COLUMNS, schedule_health_report

REPORT_ROLES = (PMO, FINANCE)
FILTER_PARAMETERS = [
    OpenApiParameter("project", str, many=True, description="project code (repeatable)"),
    OpenApiParameter("from", date, description="start of the period (YYYY-MM-DD)"),
    OpenApiParameter("to", date, description="end of the period (YYYY-MM-DD)"),
]


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def report_table(columns, rows) -> dict:
    return {
        "columns": [{"key": key, "label": label} for key, label in columns],
        "rows": [{key: _jsonable(row.get(key)) for key, _ in columns} for row in rows],
    }


def _table_response(name: str):
    return inline_serializer(
        name,
        {
            "columns": serializers.ListField(child=serializers.DictField()),
            "rows": serializers.ListField(child=serializers.DictField()),
            "warnings": serializers.ListField(child=serializers.CharField()),
        },
    )


class _ReportApi(APIView):
    permission_classes = [HasRole]
    required_roles = REPORT_ROLES

    def table(self, request, filters) -> tuple[list, list]:
        raise NotImplementedError

    def get(self, request):
        filters = report_filters_from(request.query_params)
        columns, rows = self.table(request, filters)
        return Response({**report_table(columns, rows), "warnings": list(filters.errors)})


class BudgetReportApi(_ReportApi):
    @extend_schema(
        operation_id="reports_commitments_vs_budget",
        parameters=FILTER_PARAMETERS[:1],
        responses=_table_response("CommitmentsVsBudgetReport"),
        description="Budget vs committed vs actual per budget line (money as decimal strings).",
    )
    def get(self, request):
        return super().get(request)

    def table(self, request, filters):
        report = selectors.commitments_vs_budget(user=request.user, project_codes=filters.projects)
        return selectors.BUDGET_COLUMNS, report["rows"]


class CashFlowReportApi(_ReportApi):
    @extend_schema(
        operation_id="reports_cash_flow",
        parameters=[
            *FILTER_PARAMETERS,
            OpenApiParameter("currency", str, description="currency of the curve"),
        ],
        responses=_table_response("CashFlowReport"),
        description="Planned, forecast and actual cash out per month and cumulative, with the "
        "shift caused by milestone slips.",
    )
    def get(self, request):
        return super().get(request)

    def table(self, request, filters):
        report = cashflow_report(
            user=request.user,
            filters=filters,
            currency=request.query_params.get("currency", ""),
            today=timezone.localdate(),
        )
        return CASHFLOW_COLUMNS, report["rows"]


class ScheduleHealthReportApi(_ReportApi):
    @extend_schema(
        operation_id="reports_schedule_health",
        parameters=FILTER_PARAMETERS,
        responses=_table_response("ScheduleHealthReport"),
        description="Milestones of each project's latest update: on time, at risk or slipped, "
        "with the commitments tied to them that are not released.",
    )
    def get(self, request):
        return super().get(request)

    def table(self, request, filters):
        report = schedule_health_report(
            user=request.user, filters=filters, today=timezone.localdate()
        )
        return MILESTONE_COLUMNS, report["rows"]


class DocumentStatusReportApi(_ReportApi):
    @extend_schema(
        operation_id="reports_document_status",
        parameters=FILTER_PARAMETERS,
        responses=_table_response("DocumentStatusReport"),
        description="Submittals and drawings by status and age of the status.",
    )
    def get(self, request):
        return super().get(request)

    def table(self, request, filters):
        report = document_status_report(
            user=request.user, filters=filters, today=timezone.localdate(), now=timezone.now()
        )
        return DOCUMENT_COLUMNS, report["rows"]


class PipelineReportApi(_ReportApi):
    @extend_schema(
        operation_id="reports_procurement_pipeline",
        parameters=FILTER_PARAMETERS,
        responses=_table_response("ProcurementPipelineReport"),
        description="Requisitions → approvals → POs → receipts → invoices → payments: count, "
        "amount and what waits at each stage.",
    )
    def get(self, request):
        return super().get(request)

    def table(self, request, filters):
        report = pipeline_report(
            user=request.user, filters=filters, today=timezone.localdate(), now=timezone.now()
        )
        return PIPELINE_COLUMNS, report["rows"]
