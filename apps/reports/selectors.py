"""Executive report reads: figures from the other apps' maintained columns, scoped to the
reader's projects."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from apps.accounts.selectors import scope_to_user_projects
from apps.projects.models import BudgetLine, Project
from apps.projects.money import quantize_money

ZERO = Decimal("0")
HUNDRED = Decimal("100")

BUDGET_COLUMNS = [
    ("project", "Project"),
    ("phase", "Phase"),
    ("cost_code", "Cost code"),
    ("title", "Title"),
    ("currency", "Currency"),
    ("revised", "Revised budget"),
    ("committed", "Committed"),
    ("pending", "Pending commitments"),
    ("actual", "Actual"),
    ("invoiced", "Invoiced"),
    ("available", "Available"),
    ("forecast", "Forecast at completion"),
    ("variance", "Variance at completion"),
    ("pct_committed", "% committed"),
    ("pct_used", "% used (actual)"),
]
_MONEY = [
    "revised",
    "committed",
    "pending",
    "actual",
    "invoiced",
    "available",
    "forecast",
    "variance",
]


def report_projects(*, user, codes: list[str] | None = None):
    """The projects the reader may see, optionally narrowed to the chosen codes."""
    queryset = scope_to_user_projects(
        Project.objects.all(), user=user, field="id", include_unscoped=False
    )
    if codes:
        queryset = queryset.filter(code__in=codes)
    return queryset.order_by("code")


def _pct(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (part * HUNDRED / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _totals(rows: list[dict], currency: str) -> dict:
    totals = {name: sum((r[name] for r in rows), ZERO) for name in _MONEY}
    totals = {name: quantize_money(value, currency) for name, value in totals.items()}
    totals["pct_committed"] = _pct(totals["committed"], totals["revised"])
    totals["pct_used"] = _pct(totals["actual"], totals["revised"])
    totals["currency"] = currency
    return totals


def commitments_vs_budget(*, user, project_codes: list[str] | None = None) -> dict:
    """Budget vs committed vs actual by project → phase → cost code, with variance, percentage
    used, forecast at completion, per-phase and per-project totals and the top overruns."""
    projects = list(report_projects(user=user, codes=project_codes))
    lines = (
        BudgetLine.objects.filter(project__in=projects)
        .select_related("project", "phase", "cost_code")
        .order_by("project__code", "phase__sequence", "phase__code", "cost_code__code")
    )
    by_project: dict[int, dict] = {p.pk: {"project": p, "phases": {}, "rows": []} for p in projects}
    all_rows = []
    for line in lines:
        currency = line.currency

        def q(value, currency=currency):
            return quantize_money(value, currency)

        row = {
            "id": line.pk,
            "project": line.project.code,
            "project_id": line.project_id,
            "phase": line.phase.code,
            "phase_name": line.phase.name,
            "cost_code": line.cost_code.code,
            "title": line.description or line.cost_code.title,
            "currency": currency,
            "revised": q(line.revised),
            "committed": q(line.committed),
            "pending": q(line.pending_commitments),
            "actual": q(line.actual),
            "invoiced": q(line.invoiced),
            "available": q(line.available),
            "forecast": q(line.forecast_at_completion),
            "variance": q(line.variance_at_completion),
        }
        row["pct_committed"] = _pct(row["committed"], row["revised"])
        row["pct_used"] = _pct(row["actual"], row["revised"])
        entry = by_project[line.project_id]
        entry["rows"].append(row)
        entry["phases"].setdefault(line.phase.code, {"name": line.phase.name, "rows": []})[
            "rows"
        ].append(row)
        all_rows.append(row)
    project_sections = []
    for entry in by_project.values():
        currency = entry["project"].currency
        phases = [
            {
                "code": code,
                "name": phase["name"],
                "rows": phase["rows"],
                "totals": _totals(phase["rows"], currency),
            }
            for code, phase in entry["phases"].items()
        ]
        project_sections.append(
            {
                "project": entry["project"],
                "phases": phases,
                "rows": entry["rows"],
                "totals": _totals(entry["rows"], currency),
            }
        )
    overruns = sorted((r for r in all_rows if r["variance"] < 0), key=lambda r: r["variance"])
    return {"projects": project_sections, "rows": all_rows, "top_overruns": overruns[:10]}


def budget_line_drilldown(*, user, budget_line_id: int) -> dict:
    """The records behind one budget line's figures: its commitment lines and their documents."""
    from apps.core.errors import ApplicationError
    from apps.procurement.models import CommitmentLine

    line = (
        BudgetLine.objects.select_related("project", "phase", "cost_code")
        .filter(pk=budget_line_id, project__in=report_projects(user=user))
        .first()
    )
    if line is None:
        raise ApplicationError("No such budget line in your projects.", code="not_found")
    commitment_lines = list(
        CommitmentLine.objects.filter(budget_line=line)
        .select_related("commitment", "commitment__vendor")
        .order_by("commitment__number", "line_no")
    )
    return {"line": line, "commitment_lines": commitment_lines}


def budget_figure(report: dict) -> dict:
    """Grouped bars per project/phase: revised budget, committed, actual, forecast."""
    labels, series = [], {"revised": [], "committed": [], "actual": [], "forecast": []}
    for section in report["projects"]:
        for phase in section["phases"]:
            labels.append(f"{section['project'].code} {phase['code']}")
            for name in series:
                series[name].append(float(phase["totals"][name]))
    colours = {
        "revised": "#8a94a3",
        "committed": "#1f5fae",
        "actual": "#1e7d4f",
        "forecast": "#c98a00",
    }
    return {
        "data": [
            {
                "type": "bar",
                "name": name.capitalize(),
                "x": labels,
                "y": values,
                "marker": {"color": colours[name]},
            }
            for name, values in series.items()
        ],
        "layout": {
            "barmode": "group",
            "height": 340,
            "margin": {"l": 60, "r": 10, "t": 10, "b": 60},
        },
    }
