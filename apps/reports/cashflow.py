"""Cash-flow S-curve: planned, forecast and actual cash out per month, per project and for the
portfolio of the reader's (chosen) projects.

- Planned: each commitment that counts as committed cost, for its value, in the month of its
  planned date: `planned_delivery_date`, else the dates of its `milestone_code` activity in the
  project's latest schedule version, else the date it was issued (approved, created).
- Forecast: the same commitments in the month of `expected_delivery_date` (shifted by
  schedule-driven procurement when a milestone slips), else of the planned date. Forecast minus
  planned (cumulative) is the shift caused by milestone slips.
- Actual: payments allocated to the projects' bills (Odoo, bank statement or manual), by the
  date paid. Void payments do not count.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from apps.procurement.choices import COMMITTED_STATUSES, PaymentStatus
from apps.procurement.models import Commitment, PaymentAllocation
from apps.projects.money import quantize_money
from apps.reports.filters import ReportFilters
from apps.reports.selectors import report_projects

ZERO = Decimal("0")

CASHFLOW_COLUMNS = [
    ("month", "Month"),
    ("currency", "Currency"),
    ("planned", "Planned"),
    ("planned_cum", "Planned cumulative"),
    ("forecast", "Forecast"),
    ("forecast_cum", "Forecast cumulative"),
    ("actual", "Actual"),
    ("actual_cum", "Actual cumulative"),
    ("shift_cum", "Shift from milestone slips (forecast − planned, cumulative)"),
]

PLANNED_SOURCES = {
    "planned_delivery_date": "planned delivery date",
    "milestone": "milestone date",
    "issue_date": "issue date",
}


def month_of(day: date) -> date:
    return date(day.year, day.month, 1)


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def month_label(month: date) -> str:
    return month.strftime("%Y-%m")


def _latest_version(project):
    from apps.schedule.selectors import schedule_baseline_for, schedule_latest_update

    return schedule_latest_update(project=project) or schedule_baseline_for(project=project)


def _activity_date(activity) -> date | None:
    for value in (
        activity.planned_finish,
        activity.early_finish,
        activity.planned_start,
        activity.early_start,
    ):
        if value is not None:
            return value.date()
    return None


def _milestone_dates(projects, commitments) -> dict[tuple[int, str], tuple[date, int]]:
    """(project id, task code) → (date, version id) in the project's latest schedule version."""
    from apps.schedule.models import Activity

    wanted: dict[int, set[str]] = defaultdict(set)
    for commitment in commitments:
        if commitment.milestone_code and commitment.planned_delivery_date is None:
            wanted[commitment.project_id].add(commitment.milestone_code)
    found = {}
    for project in projects:
        if project.pk not in wanted:
            continue
        version = _latest_version(project)
        if version is None:
            continue
        for activity in Activity.objects.filter(version=version, task_code__in=wanted[project.pk]):
            day = _activity_date(activity)
            if day is not None:
                found[(project.pk, activity.task_code)] = (day, version.pk)
    return found


def cashflow_commitments(*, projects) -> list[dict]:
    """The committed commitments with their planned and forecast dates and where those came from."""
    commitments = list(
        Commitment.objects.filter(project__in=projects, status__in=COMMITTED_STATUSES)
        .select_related("project", "vendor")
        .order_by("project__code", "number")
    )
    milestones = _milestone_dates(projects, commitments)
    rows = []
    for commitment in commitments:
        version_id = None
        if commitment.planned_delivery_date:
            planned, source = commitment.planned_delivery_date, "planned_delivery_date"
        elif (commitment.project_id, commitment.milestone_code) in milestones:
            planned, version_id = milestones[(commitment.project_id, commitment.milestone_code)]
            source = "milestone"
        else:
            issued = commitment.issued_at or commitment.approved_at or commitment.created_at
            planned, source = issued.date(), "issue_date"
        forecast = commitment.expected_delivery_date or planned
        rows.append(
            {
                "commitment": commitment,
                "id": commitment.pk,
                "number": commitment.number,
                "project": commitment.project.code,
                "vendor": commitment.vendor.name,
                "currency": commitment.currency,
                "amount": quantize_money(commitment.total_amount, commitment.currency),
                "milestone_code": commitment.milestone_code,
                "planned": planned,
                "planned_source": PLANNED_SOURCES[source],
                "schedule_version_id": version_id,
                "forecast": forecast,
                "shift_days": (forecast - planned).days,
            }
        )
    return rows


def cashflow_payments(*, projects) -> list[dict]:
    """Payment allocations to the projects' bills (the actual cash out), oldest first."""
    allocations = (
        PaymentAllocation.objects.filter(invoice__project__in=projects)
        .exclude(payment__status=PaymentStatus.VOID)
        .select_related("payment", "payment__vendor", "invoice", "invoice__project")
        .order_by("payment__paid_on", "payment__number", "id")
    )
    return [
        {
            "id": allocation.pk,
            "payment": allocation.payment.number,
            "payment_source": allocation.payment.get_source_display(),
            "paid_on": allocation.payment.paid_on,
            "project": allocation.invoice.project.code,
            "vendor": allocation.payment.vendor.name,
            "invoice_id": allocation.invoice_id,
            "invoice": allocation.invoice.number,
            "currency": allocation.payment.currency,
            "amount": quantize_money(allocation.amount, allocation.payment.currency),
        }
        for allocation in allocations
    ]


def _series(commitments, payments, currency, filters: ReportFilters) -> list[dict]:
    planned, forecast, actual = (
        defaultdict(lambda: ZERO),
        defaultdict(lambda: ZERO),
        defaultdict(lambda: ZERO),
    )
    for row in commitments:
        if row["currency"] != currency:
            continue
        planned[month_of(row["planned"])] += row["amount"]
        forecast[month_of(row["forecast"])] += row["amount"]
    for row in payments:
        if row["currency"] == currency:
            actual[month_of(row["paid_on"])] += row["amount"]
    months = set(planned) | set(forecast) | set(actual)
    if filters.date_from:
        months.add(month_of(filters.date_from))
    if filters.date_to:
        months.add(month_of(filters.date_to))
    if not months:
        return []
    rows, cumulative = [], {"planned": ZERO, "forecast": ZERO, "actual": ZERO}
    month, last = min(months), max(months)
    first_shown = month_of(filters.date_from) if filters.date_from else None
    last_shown = month_of(filters.date_to) if filters.date_to else None
    while month <= last:
        # Months before the period still add up into the cumulative figures (opening balance).
        values = {
            "planned": quantize_money(planned[month], currency),
            "forecast": quantize_money(forecast[month], currency),
            "actual": quantize_money(actual[month], currency),
        }
        for name, value in values.items():
            cumulative[name] += value
        shown = (first_shown is None or month >= first_shown) and (
            last_shown is None or month <= last_shown
        )
        if shown:
            rows.append(
                {
                    "month": month_label(month),
                    "currency": currency,
                    **values,
                    "planned_cum": quantize_money(cumulative["planned"], currency),
                    "forecast_cum": quantize_money(cumulative["forecast"], currency),
                    "actual_cum": quantize_money(cumulative["actual"], currency),
                    "shift_cum": quantize_money(
                        cumulative["forecast"] - cumulative["planned"], currency
                    ),
                }
            )
        month = _next_month(month)
    return rows


def cashflow_report(
    *, user, filters: ReportFilters, currency: str = "", month: str = "", today: date
) -> dict:
    """Monthly planned / forecast / actual cash out (cumulative: the S-curve) for one currency,
    the per-project totals, the commitments moved by milestone slips, and the records of one
    month when `month` (YYYY-MM) is given."""
    projects = list(report_projects(user=user, codes=filters.projects))
    commitments = cashflow_commitments(projects=projects)
    payments = cashflow_payments(projects=projects)
    currencies = sorted({p.currency for p in projects} | {r["currency"] for r in commitments})
    if currency not in currencies:
        currency = projects[0].currency if projects else "EUR"
    rows = _series(commitments, payments, currency, filters)
    per_project = []
    for project in projects:
        mine = [r for r in commitments if r["project"] == project.code]
        paid = [r for r in payments if r["project"] == project.code]
        per_project.append(
            {
                "project": project,
                "currency": project.currency,
                "committed": sum((r["amount"] for r in mine), ZERO),
                "paid": sum((r["amount"] for r in paid), ZERO),
                "paid_to_date": sum((r["amount"] for r in paid if r["paid_on"] <= today), ZERO),
                "shifted": sum((r["amount"] for r in mine if r["shift_days"]), ZERO),
                "shifted_count": sum(1 for r in mine if r["shift_days"]),
            }
        )
    shifted = sorted(
        (r for r in commitments if r["shift_days"]),
        key=lambda r: (-abs(r["shift_days"]), r["number"]),
    )
    detail = None
    if month:
        detail = {
            "month": month,
            "planned": [r for r in commitments if month_label(month_of(r["planned"])) == month],
            "forecast": [r for r in commitments if month_label(month_of(r["forecast"])) == month],
            "payments": [r for r in payments if month_label(month_of(r["paid_on"])) == month],
        }
    return {
        "projects": projects,
        "currency": currency,
        "currencies": currencies,
        "rows": rows,
        "per_project": per_project,
        "shifted": shifted,
        "commitments": commitments,
        "payments": payments,
        "detail": detail,
    }
