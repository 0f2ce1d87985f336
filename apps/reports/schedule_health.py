"""Schedule health: the milestones of each project's latest update on time / at risk / slipped,
their slip across updates, and upcoming milestones whose procurement is not released yet.

- Slipped: later than the baseline by more than the project's threshold (`over_threshold`).
- At risk: later than the baseline, within the threshold.
- On time: not later than the baseline (or no baseline date to compare with).
- Procurement not released: commitments tied to the milestone (`milestone_code`) that are not
  issued yet (draft, pending approval, approved).
"""

from __future__ import annotations

from datetime import date, timedelta

from apps.procurement.choices import CommitmentStatus
from apps.procurement.models import Commitment
from apps.reports.filters import ReportFilters
from apps.reports.selectors import report_projects

ON_TIME, AT_RISK, SLIPPED = "on_time", "at_risk", "slipped"
HEALTH_LABELS = {ON_TIME: "On time", AT_RISK: "At risk", SLIPPED: "Slipped"}
HEALTH_COLOURS = {ON_TIME: "#1e7d4f", AT_RISK: "#c98a00", SLIPPED: "#a4262c"}
NOT_RELEASED_STATUSES = (
    CommitmentStatus.DRAFT,
    CommitmentStatus.PENDING_APPROVAL,
    CommitmentStatus.APPROVED,
)
UPCOMING_DAYS = 90

MILESTONE_COLUMNS = [
    ("project", "Project"),
    ("task_code", "Milestone"),
    ("name", "Name"),
    ("baseline_date", "Baseline date"),
    ("current_date", "Current date"),
    ("slip_days", "Slip (working days)"),
    ("change_days", "Change since previous update (working days)"),
    ("threshold_days", "Threshold (working days)"),
    ("health", "Health"),
    ("not_released", "Commitments not released"),
    ("not_released_amount", "Not released amount"),
    ("currency", "Currency"),
]


def milestone_health(slip) -> str:
    if slip.over_threshold:
        return SLIPPED
    if slip.slip_days is not None and slip.slip_days > 0:
        return AT_RISK
    return ON_TIME


def schedule_health_report(*, user, filters: ReportFilters, today: date) -> dict:
    """Milestone health per project (latest update), the slip trend, and upcoming milestones
    (next 90 days, or the chosen period) with commitments not released."""
    from apps.schedule.selectors import (
        milestone_slip_list,
        milestone_slip_trend,
        schedule_latest_update,
    )

    projects = list(report_projects(user=user, codes=filters.projects))
    not_released: dict[tuple[int, str], list[Commitment]] = {}
    for commitment in (
        Commitment.objects.filter(project__in=projects, status__in=NOT_RELEASED_STATUSES)
        .exclude(milestone_code="")
        .select_related("vendor")
        .order_by("number")
    ):
        not_released.setdefault((commitment.project_id, commitment.milestone_code), []).append(
            commitment
        )
    rows, sections, trends = [], [], []
    upcoming_until = filters.date_to or today + timedelta(days=UPCOMING_DAYS)
    upcoming_from = max(today, filters.date_from) if filters.date_from else today
    for project in projects:
        version = schedule_latest_update(project=project)
        if version is None:
            continue
        counts = {ON_TIME: 0, AT_RISK: 0, SLIPPED: 0}
        project_rows = []
        for slip in milestone_slip_list(project=project, version=version).order_by("task_code"):
            if (filters.date_from or filters.date_to) and not filters.contains(slip.current_date):
                continue
            health = milestone_health(slip)
            counts[health] += 1
            waiting = not_released.get((project.pk, slip.task_code), [])
            row = {
                "project": project.code,
                "project_id": project.pk,
                "version_id": version.pk,
                "task_code": slip.task_code,
                "name": slip.name,
                "baseline_date": slip.baseline_date,
                "current_date": slip.current_date,
                "is_actual": slip.is_actual,
                "slip_days": slip.slip_days,
                "change_days": slip.change_days,
                "threshold_days": slip.threshold_days,
                "health": HEALTH_LABELS[health],
                "health_key": health,
                "commitments": waiting,
                "not_released": len(waiting),
                "not_released_amount": sum((c.total_amount for c in waiting), 0) or None,
                "currency": project.currency,
            }
            project_rows.append(row)
            rows.append(row)
        sections.append({"project": project, "version": version, "counts": counts})
        trend = milestone_slip_trend(project=project)
        if trend["updates"]:
            trends.append({"project": project, "trend": trend})
    upcoming = [
        row
        for row in rows
        if row["not_released"]
        and not row["is_actual"]
        and row["current_date"] is not None
        and upcoming_from <= row["current_date"] <= upcoming_until
    ]
    upcoming.sort(key=lambda row: (row["current_date"], row["project"], row["task_code"]))
    totals = {key: sum(s["counts"][key] for s in sections) for key in HEALTH_LABELS}
    return {
        "projects": projects,
        "sections": sections,
        "rows": rows,
        "totals": totals,
        "trends": trends,
        "upcoming": upcoming,
        "upcoming_from": upcoming_from,
        "upcoming_until": upcoming_until,
    }
