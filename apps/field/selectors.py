"""Reads of field operations: the field cost behind a budget line's actual, and earned value per
cost code (the contract is in docs/notes/field.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import QuerySet, Sum

from apps.field.models import CostCodeProgress, FieldEvent
from apps.projects.models import BudgetLine, Project
from apps.projects.money import ZERO, quantize_money

HUNDRED = Decimal("100")
RATIO = Decimal("0.0001")


def field_cost_for_budget_line(*, budget_line: BudgetLine) -> Decimal:
    """The direct cost field events put on a budget line (equipment, labour, stock material)."""
    total = FieldEvent.objects.filter(budget_line=budget_line).aggregate(total=Sum("cost"))
    return total["total"] or ZERO


def field_event_list(*, project: Project, kind: str = "") -> QuerySet[FieldEvent]:
    queryset = FieldEvent.objects.filter(project=project).select_related(
        "budget_line__phase", "budget_line__cost_code"
    )
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("-device_time", "-id")


def _warn_pct() -> Decimal:
    return Decimal(str(getattr(settings, "FIELD_EV_WARN_OVERRUN_PCT", "5")))


def _warn_cpi() -> Decimal:
    return Decimal(str(getattr(settings, "FIELD_EV_WARN_CPI", "0.90")))


@dataclass(frozen=True)
class EarnedValueRow:
    """Earned value of one cost code (budget line) of a project; money in `currency`."""

    budget_line_id: int | None
    phase: str
    cost_code: str
    description: str
    currency: str
    budget: Decimal  # BAC: original budget + approved owner changes
    committed: Decimal
    actual: Decimal  # AC: receipts and certified progress at PO prices + field direct cost
    field_cost: Decimal  # of which field events (equipment, labour, stock material)
    percent_complete: Decimal | None  # physical progress from the field (None: not reported)
    earned_value: Decimal | None  # EV = BAC × % complete
    cpi: Decimal | None  # EV / AC
    estimate_at_completion: Decimal  # EAC
    variance_at_completion: Decimal  # VAC = BAC − EAC (negative: overrun)
    eac_method: str  # cpi | forecast
    warning: str  # "" | overrun | low_cpi | unbudgeted

    def as_json(self) -> dict:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}


def earned_value_row(
    *,
    budget: Decimal,
    committed: Decimal,
    pending: Decimal,
    actual: Decimal,
    percent: Decimal | None,
    forecast: Decimal,
    currency: str,
) -> dict:
    """The earned-value figures of one cost code (pure: the rules in one place).

    EV = BAC × % / 100; CPI = EV / AC; EAC = max(BAC / CPI, committed + pending) when a CPI is
    known (what is already committed is spent whatever the efficiency), else the budget line's
    forecast at completion. Warnings: `overrun` when EAC exceeds BAC by more than
    FIELD_EV_WARN_OVERRUN_PCT (5), `low_cpi` when CPI is below FIELD_EV_WARN_CPI (0.90)."""
    earned = None
    cpi = None
    if percent is not None:
        earned = quantize_money(budget * percent / HUNDRED, currency)
        if actual > 0:
            cpi = (earned / actual).quantize(RATIO, rounding=ROUND_HALF_UP)
    if cpi is not None and cpi > 0:
        eac = max(quantize_money(budget / cpi, currency), committed + pending)
        method = "cpi"
    else:
        eac = forecast
        method = "forecast"
    warning = ""
    if budget <= 0 and actual > 0:
        warning = "unbudgeted"
    elif eac > budget * (1 + _warn_pct() / HUNDRED):
        warning = "overrun"
    elif cpi is not None and cpi < _warn_cpi():
        warning = "low_cpi"
    return {
        "earned_value": earned,
        "cpi": cpi,
        "estimate_at_completion": eac,
        "variance_at_completion": budget - eac,
        "eac_method": method,
        "warning": warning,
    }


def earned_value_by_cost_code(*, project: Project) -> list[EarnedValueRow]:
    """Earned value for every budget line of the project, plus one row per cost code that
    received field cost without a budget line (unbudgeted)."""
    progress = {
        p.budget_line_id: p.percent_complete
        for p in CostCodeProgress.objects.filter(project=project)
    }
    field_costs = dict(
        FieldEvent.objects.filter(project=project, budget_line__isnull=False)
        .values("budget_line_id")
        .annotate(total=Sum("cost"))
        .values_list("budget_line_id", "total")
    )
    rows = []
    for line in BudgetLine.objects.filter(project=project).select_related("phase", "cost_code"):
        percent = progress.get(line.id)
        figures = earned_value_row(
            budget=line.revised,
            committed=line.committed,
            pending=line.pending_commitments,
            actual=line.actual,
            percent=percent,
            forecast=line.forecast_at_completion,
            currency=line.currency,
        )
        rows.append(
            EarnedValueRow(
                budget_line_id=line.id,
                phase=line.phase.code,
                cost_code=line.cost_code.code,
                description=line.description or line.cost_code.name,
                currency=line.currency,
                budget=line.revised,
                committed=line.committed,
                actual=line.actual,
                field_cost=field_costs.get(line.id) or ZERO,
                percent_complete=percent,
                **figures,
            )
        )
    unbudgeted = (
        FieldEvent.objects.filter(project=project, budget_line__isnull=True, cost__gt=0)
        .values("cost_code")
        .annotate(total=Sum("cost"))
        .order_by("cost_code")
    )
    for item in unbudgeted:
        cost = item["total"] or ZERO
        figures = earned_value_row(
            budget=ZERO,
            committed=ZERO,
            pending=ZERO,
            actual=cost,
            percent=None,
            forecast=cost,
            currency=project.currency,
        )
        rows.append(
            EarnedValueRow(
                budget_line_id=None,
                phase="",
                cost_code=item["cost_code"] or "(none)",
                description="Field cost without a budget line",
                currency=project.currency,
                budget=ZERO,
                committed=ZERO,
                actual=cost,
                field_cost=cost,
                percent_complete=None,
                **figures,
            )
        )
    rows.sort(key=lambda row: (row.cost_code, row.phase))
    return rows


def earned_value_totals(*, rows: list[EarnedValueRow]) -> dict:
    """Project totals of the rows (EV only over the lines with progress reported)."""
    total = {
        "budget": sum((r.budget for r in rows), ZERO),
        "committed": sum((r.committed for r in rows), ZERO),
        "actual": sum((r.actual for r in rows), ZERO),
        "field_cost": sum((r.field_cost for r in rows), ZERO),
        "earned_value": sum((r.earned_value or ZERO for r in rows), ZERO),
        "estimate_at_completion": sum((r.estimate_at_completion for r in rows), ZERO),
        "warnings": sum(1 for r in rows if r.warning),
    }
    total["variance_at_completion"] = total["budget"] - total["estimate_at_completion"]
    measured_actual = sum((r.actual for r in rows if r.earned_value is not None), ZERO)
    total["cpi"] = (
        (total["earned_value"] / measured_actual).quantize(RATIO, rounding=ROUND_HALF_UP)
        if measured_actual > 0
        else None
    )
    return total
