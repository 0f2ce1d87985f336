import json
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import FINANCE, PMO, role_required
from apps.core.errors import ApplicationError
from apps.reports import charts, selectors
from apps.reports.cashflow import CASHFLOW_COLUMNS, cashflow_report
from apps.reports.document_status import DOCUMENT_COLUMNS, document_status_report
from apps.reports.exports import table_export
from apps.reports.filters import report_filters_from
from apps.reports.pipeline import PIPELINE_COLUMNS, pipeline_report
from apps.reports.schedule_health import (
    HEALTH_COLOURS,
    HEALTH_LABELS,
    MILESTONE_COLUMNS,
    schedule_health_report,
)

EXPORT_FORMATS = ("csv", "xlsx")


def _chosen_projects(request) -> list[str]:
    return [code for code in request.GET.getlist("project") if code]


def _export(rows, columns, fmt: str, name: str) -> HttpResponse:
    content, content_type, file_name = table_export(columns=columns, rows=rows, fmt=fmt, name=name)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


def _figure_json(figure: dict) -> str:
    """JSON for a <script type="application/json"> block: '<' escaped so no text in the data
    (a project or vendor name) can close the script element."""
    return json.dumps(figure).replace("<", "\\u003c")


def _query_without(request, *names: str) -> str:
    """The page's filters as a query string, without the given parameters (format, month…)."""
    pairs = [
        (key, value)
        for key, values in request.GET.lists()
        if key not in names
        for value in values
        if value
    ]
    return urlencode(pairs)


def _filter_context(request, filters, *, with_period: bool = True) -> dict:
    return {
        "all_projects": selectors.report_projects(user=request.user),
        "chosen": filters.projects,
        "filters": filters,
        "with_period": with_period,
        "query": _query_without(request, "format", "month"),
    }


@role_required(PMO, FINANCE)
def index(request):
    """Executive reports: commitments vs budget vs actual for the reader's projects."""
    chosen = _chosen_projects(request)
    report = selectors.commitments_vs_budget(user=request.user, project_codes=chosen)
    fmt = request.GET.get("format", "")
    if fmt in EXPORT_FORMATS:
        return _export(report["rows"], selectors.BUDGET_COLUMNS, fmt, "commitments-vs-budget")
    filters = report_filters_from(request.GET)
    context = {
        "report": report,
        "budget_json": _figure_json(selectors.budget_figure(report)),
        "active_report": "budget",
        **_filter_context(request, filters, with_period=False),
    }
    return render(request, "reports/index.html", context)


@role_required(PMO, FINANCE)
def budget_line(request, budget_line_id: int):
    """Drill-down: the commitment lines behind one budget line's figures."""
    try:
        context = selectors.budget_line_drilldown(user=request.user, budget_line_id=budget_line_id)
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    return render(request, "reports/budget_line.html", context)


@role_required(PMO, FINANCE)
def cash_flow(request):
    """Cash-flow S-curve: planned, forecast and actual cash out, and the shift from slips."""
    filters = report_filters_from(request.GET)
    month = request.GET.get("month", "")
    report = cashflow_report(
        user=request.user,
        filters=filters,
        currency=request.GET.get("currency", ""),
        month=month,
        today=timezone.localdate(),
    )
    fmt = request.GET.get("format", "")
    if fmt in EXPORT_FORMATS:
        return _export(report["rows"], CASHFLOW_COLUMNS, fmt, "cash-flow")
    base = _query_without(request, "format", "month")
    month_urls = [
        f"{reverse('reports:cash_flow')}?{base}{'&' if base else ''}month={row['month']}"
        "#month-detail"
        for row in report["rows"]
    ]
    for row, url in zip(report["rows"], month_urls, strict=True):
        row["url"] = url
    figure = charts.cashflow_figure(
        rows=report["rows"], currency=report["currency"], month_urls=month_urls
    )
    context = {
        "report": report,
        "month": month,
        "figure_json": _figure_json(figure),
        "active_report": "cash_flow",
        **_filter_context(request, filters),
    }
    return render(request, "reports/cash_flow.html", context)


@role_required(PMO, FINANCE)
def schedule_health(request):
    """Milestones on time / at risk / slipped, slip trend, procurement not released."""
    filters = report_filters_from(request.GET)
    report = schedule_health_report(user=request.user, filters=filters, today=timezone.localdate())
    fmt = request.GET.get("format", "")
    if fmt in EXPORT_FORMATS:
        return _export(report["rows"], MILESTONE_COLUMNS, fmt, "schedule-health")
    health_json = _figure_json(
        charts.schedule_health_figure(
            sections=report["sections"],
            labels=HEALTH_LABELS,
            colours=HEALTH_COLOURS,
            project_url=lambda code: (
                f"{reverse('reports:schedule_health')}?{urlencode({'project': code})}"
                f"#milestones-{code}"
            ),
        )
    )
    trend_json = _figure_json(
        charts.slip_trend_figure(
            trends=report["trends"],
            version_url=lambda pk: reverse("schedule:version", args=[pk]),
        )
    )
    context = {
        "report": report,
        "health_json": health_json,
        "trend_json": trend_json,
        "active_report": "schedule_health",
        **_filter_context(request, filters),
    }
    return render(request, "reports/schedule_health.html", context)


@role_required(PMO, FINANCE)
def documents(request):
    """Submittals and drawings by status and age, overdue reviews, documents blocking
    procurement."""
    filters = report_filters_from(request.GET)
    report = document_status_report(
        user=request.user, filters=filters, today=timezone.localdate(), now=timezone.now()
    )
    fmt = request.GET.get("format", "")
    if fmt in EXPORT_FORMATS:
        return _export(report["rows"], DOCUMENT_COLUMNS, fmt, "document-status")
    documents_url = reverse("documents:index")
    project_ids = [p.pk for p in report["projects"]] if filters.projects else []

    def list_url(row):
        params = [("kind", row["kind_key"]), ("meaning", row["meaning"])]
        if len(project_ids) == 1:
            params.append(("project", project_ids[0]))
        return f"{documents_url}?{urlencode(params)}"

    for row in report["rows"]:
        row["url"] = list_url(row)
    figure = charts.document_status_figure(
        rows=report["rows"], age_labels=report["age_labels"], list_url=list_url
    )
    context = {
        "report": report,
        "figure_json": _figure_json(figure),
        "active_report": "documents",
        **_filter_context(request, filters),
    }
    return render(request, "reports/documents.html", context)


@role_required(PMO, FINANCE)
def procurement_pipeline(request):
    """Requisitions → approvals → POs → receipts → invoices → payments, and where things wait."""
    filters = report_filters_from(request.GET)
    report = pipeline_report(
        user=request.user, filters=filters, today=timezone.localdate(), now=timezone.now()
    )
    fmt = request.GET.get("format", "")
    if fmt in EXPORT_FORMATS:
        return _export(report["rows"], PIPELINE_COLUMNS, fmt, "procurement-pipeline")
    query = _query_without(request, "format")
    here = f"{reverse('reports:pipeline')}{'?' if query else ''}{query}"
    stage_urls = {
        "requisitions": reverse("procurement:requisitions"),
        "approved": reverse("procurement:requisitions") + "?status=approved",
        "commitments": reverse("procurement:commitments"),
        # Receipts and invoices wait on this page: their tables below, with the same filters.
        "receipts": f"{here}#missing-receipts",
        "invoices": f"{here}#unmatched-invoices",
        "payments": reverse("procurement:invoices"),
    }
    for row in report["rows"]:
        row["url"] = stage_urls[row["stage_key"]]
    currencies = sorted({row["currency"] for row in report["rows"]})
    figures = [
        {
            "id": f"fig-pipeline-{currency}",
            "currency": currency,
            "json": _figure_json(
                charts.pipeline_figure(
                    rows=report["rows"], currency=currency, stage_urls=stage_urls
                )
            ),
        }
        for currency in currencies
    ]
    context = {
        "report": report,
        "figures": figures,
        "active_report": "pipeline",
        **_filter_context(request, filters),
    }
    return render(request, "reports/pipeline.html", context)
