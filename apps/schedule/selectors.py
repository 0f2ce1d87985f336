"""Schedule reads for the pages and the API, always scoped to the user's projects."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from apps.accounts.selectors import scope_to_user_projects, user_can_see_project
from apps.core.errors import NotFoundError
from apps.core.pagination import KeysetPage
from apps.projects.models import Project
from apps.projects.selectors import project_list
from apps.schedule.choices import ActivityType, ScheduleKind
from apps.schedule.models import (
    Activity,
    ImportJob,
    MilestoneSlip,
    ProjectScheduleSettings,
    ScheduleVersion,
)


def schedule_project_list(*, user) -> QuerySet[Project]:
    """Projects the user may see, with how many schedule versions each has."""
    return project_list(user=user).annotate(version_count=Count("schedule_versions"))


def schedule_project_get(*, user, reference: str | int | None) -> Project:
    """A visible project by code or id; NotFoundError otherwise (also for invisible ones)."""
    if reference in (None, ""):
        raise NotFoundError("No project given.")
    text = str(reference).strip()
    condition = Q(code=text)
    if text.isdigit():
        condition |= Q(pk=int(text))
    project = project_list(user=user).filter(condition).first()
    if project is None:
        raise NotFoundError(f"No project '{text}' visible to you.")
    return project


def schedule_version_list(*, user, project: Project | None = None) -> QuerySet[ScheduleVersion]:
    queryset = scope_to_user_projects(
        ScheduleVersion.objects.select_related("project", "imported_by"),
        user=user,
        include_unscoped=False,
    )
    if project is not None:
        queryset = queryset.filter(project=project)
    return queryset.order_by("-id")


def schedule_version_get(*, user, version_id: int) -> ScheduleVersion:
    version = (
        ScheduleVersion.objects.select_related("project", "imported_by")
        .filter(pk=version_id)
        .first()
    )
    if version is None or not user_can_see_project(user=user, project_id=version.project_id):
        raise NotFoundError("No such schedule version.")
    return version


@dataclass
class ActivityFilters:
    q: str = ""
    activity_type: str = ""
    status: str = ""
    wbs: str = ""
    milestones_only: bool = False


def activity_list(*, version: ScheduleVersion, filters: ActivityFilters) -> QuerySet[Activity]:
    queryset = version.activities.select_related("wbs")
    if filters.q:
        queryset = queryset.filter(Q(task_code__icontains=filters.q) | Q(name__icontains=filters.q))
    if filters.activity_type:
        queryset = queryset.filter(activity_type=filters.activity_type)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.wbs:
        queryset = queryset.filter(
            Q(wbs__path=filters.wbs) | Q(wbs__path__startswith=f"{filters.wbs}.")
        )
    if filters.milestones_only:
        queryset = queryset.filter(activity_type__in=ActivityType.milestones())
    return queryset


def keyset_paginate_ascending(queryset: QuerySet, *, after=None, page_size: int = 100):
    """File order (ascending id), `after` = the last id of the previous page."""
    queryset = queryset.order_by("id")
    cursor = None
    if after not in (None, ""):
        try:
            cursor = int(after)
        except (TypeError, ValueError):
            cursor = None
    if cursor is not None:
        queryset = queryset.filter(id__gt=cursor)
    rows = list(queryset[: page_size + 1])
    next_after = rows[page_size - 1].id if len(rows) > page_size else None
    return KeysetPage(
        rows=rows[:page_size], next_after=next_after, before=cursor, page_size=page_size
    )


def schedule_settings_for(*, project: Project) -> ProjectScheduleSettings:
    """The project's slip rules (defaults when none were saved; nothing is written)."""
    return ProjectScheduleSettings.objects.filter(project=project).select_related(
        "baseline_version"
    ).first() or ProjectScheduleSettings(project=project)


def _version_order_key(version: ScheduleVersion):
    return (version.data_date or version.imported_at, version.id)


def schedule_baseline_for(*, project: Project) -> ScheduleVersion | None:
    """The baseline updates are compared with: the chosen one, else the latest imported."""
    settings_row = ProjectScheduleSettings.objects.filter(project=project).first()
    if settings_row is not None and settings_row.baseline_version_id:
        return settings_row.baseline_version
    return (
        ScheduleVersion.objects.filter(project=project, kind=ScheduleKind.BASELINE)
        .order_by("-id")
        .first()
    )


def schedule_previous_update(*, version: ScheduleVersion) -> ScheduleVersion | None:
    """The update before this one by data date (then import order)."""
    key = _version_order_key(version)
    candidates = ScheduleVersion.objects.filter(
        project=version.project_id, kind=ScheduleKind.UPDATE
    ).exclude(pk=version.pk)
    earlier = [v for v in candidates if _version_order_key(v) < key]
    return max(earlier, key=_version_order_key) if earlier else None


def _ordered_updates(project: Project) -> list[ScheduleVersion]:
    updates = list(ScheduleVersion.objects.filter(project=project, kind=ScheduleKind.UPDATE))
    return sorted(updates, key=_version_order_key)


def schedule_latest_update(*, project: Project) -> ScheduleVersion | None:
    updates = _ordered_updates(project)
    return updates[-1] if updates else None


def milestone_slip_list(
    *, project: Project, version: ScheduleVersion | None = None
) -> QuerySet[MilestoneSlip]:
    """The slips of one update (the latest by data date when none is given)."""
    version = version or schedule_latest_update(project=project)
    if version is None:
        return MilestoneSlip.objects.none()
    return MilestoneSlip.objects.filter(project=project, version=version).select_related(
        "version", "baseline_version"
    )


def milestone_slip_trend(*, project: Project) -> dict:
    """Slip per milestone across the updates, in data-date order, for the trend chart.

    {"updates": [{"id", "label", "data_date"}], "series": {task_code: {"name", "slips": [..]}}}
    with None where a milestone has no slip in an update.
    """
    updates = _ordered_updates(project)
    rows = MilestoneSlip.objects.filter(project=project, version__in=updates).values(
        "version_id", "task_code", "name", "slip_days", "over_threshold"
    )
    position = {version.id: index for index, version in enumerate(updates)}
    series: dict[str, dict] = {}
    for row in rows:
        entry = series.setdefault(
            row["task_code"], {"name": row["name"], "slips": [None] * len(updates)}
        )
        entry["slips"][position[row["version_id"]]] = row["slip_days"]
    labels = [_version_label(version) for version in updates]
    # Two updates with the same data date would share one category on the chart's axis.
    labels = [
        f"{label} #{version.id}" if labels.count(label) > 1 else label
        for label, version in zip(labels, updates, strict=True)
    ]
    return {
        "updates": [
            {
                "id": version.id,
                "label": label,
                "data_date": version.data_date.date().isoformat() if version.data_date else None,
            }
            for version, label in zip(updates, labels, strict=True)
        ],
        "series": dict(sorted(series.items())),
    }


def _version_label(version: ScheduleVersion) -> str:
    if version.data_date:
        return version.data_date.date().isoformat()
    return f"#{version.id}"


def baseline_milestone_list(*, version: ScheduleVersion) -> QuerySet[Activity]:
    return version.activities.filter(activity_type__in=ActivityType.milestones()).order_by(
        "task_code"
    )


def import_job_list(*, user) -> QuerySet[ImportJob]:
    return scope_to_user_projects(
        ImportJob.objects.select_related("project", "created_by", "version").defer("file_content"),
        user=user,
        include_unscoped=False,
    )


def import_job_get(*, user, job_id: int) -> ImportJob:
    job = (
        ImportJob.objects.select_related("project", "created_by", "version")
        .defer("file_content")
        .filter(pk=job_id)
        .first()
    )
    if job is None or not user_can_see_project(user=user, project_id=job.project_id):
        raise NotFoundError("No such import.")
    return job
