import json

from django.http import Http404, HttpResponse
from django.shortcuts import render

from apps.accounts.roles import FINANCE, PMO, role_required
from apps.core.errors import ApplicationError
from apps.reports import selectors
from apps.reports.exports import table_export


def _chosen_projects(request) -> list[str]:
    return [code for code in request.GET.getlist("project") if code]


def _export(rows, columns, fmt: str, name: str) -> HttpResponse:
    content, content_type, file_name = table_export(columns=columns, rows=rows, fmt=fmt, name=name)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


@role_required(PMO, FINANCE)
def index(request):
    """Executive reports: commitments vs budget vs actual for the reader's projects."""
    chosen = _chosen_projects(request)
    report = selectors.commitments_vs_budget(user=request.user, project_codes=chosen)
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        return _export(report["rows"], selectors.BUDGET_COLUMNS, fmt, "commitments-vs-budget")
    context = {
        "report": report,
        "all_projects": selectors.report_projects(user=request.user),
        "chosen": chosen,
        "budget_json": json.dumps(selectors.budget_figure(report)),
        "query": request.GET.urlencode(),
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
