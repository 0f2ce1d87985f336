"""Schedule pages for PMO and integration admins, scoped to the user's projects."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.accounts.roles import INTEGRATION_ADMIN, PMO, role_required
from apps.core.errors import ApplicationError, NotFoundError
from apps.core.pagination import keyset_paginate
from apps.schedule.charts import slip_trend_figure
from apps.schedule.choices import ActivityStatus, ActivityType, ScheduleKind
from apps.schedule.forms import ScheduleSettingsForm, ScheduleUploadForm
from apps.schedule.models import ScheduleVersion
from apps.schedule.progress import import_progress_read
from apps.schedule.selectors import (
    ActivityFilters,
    activity_list,
    baseline_milestone_list,
    import_job_get,
    import_job_list,
    keyset_paginate_ascending,
    milestone_slip_list,
    milestone_slip_trend,
    schedule_baseline_for,
    schedule_latest_update,
    schedule_project_get,
    schedule_project_list,
    schedule_settings_for,
    schedule_version_get,
    schedule_version_list,
)
from apps.schedule.services import project_schedule_settings_update, schedule_import_job_create

SCHEDULE_ROLES = (PMO, INTEGRATION_ADMIN)


def _project_or_404(request, reference):
    try:
        return schedule_project_get(user=request.user, reference=reference)
    except NotFoundError:
        raise Http404("No such project.") from None


def _settings_form(project, rules, data=None) -> ScheduleSettingsForm:
    baselines = list(
        ScheduleVersion.objects.filter(project=project, kind=ScheduleKind.BASELINE).order_by("-id")
    )
    initial = {
        "slip_threshold_days": rules.slip_threshold_days,
        "baseline_version": str(rules.baseline_version_id or ""),
        "compare_with": rules.compare_with,
        "calendar_rule": rules.calendar_rule,
    }
    return ScheduleSettingsForm(data, initial=initial, baselines=baselines)


@role_required(*SCHEDULE_ROLES)
def index(request):
    """Per project: versions, milestones (baseline vs current, slip) and the slip trend."""
    projects = list(schedule_project_list(user=request.user))
    if not projects:
        return render(request, "schedule/index.html", {"projects": []})
    wanted = request.GET.get("project")
    if wanted:
        project = _project_or_404(request, wanted)
    else:
        project = next((p for p in projects if p.version_count), projects[0])
    rules = schedule_settings_for(project=project)
    latest = schedule_latest_update(project=project)
    baseline = schedule_baseline_for(project=project)
    trend = milestone_slip_trend(project=project)
    figure = None
    if trend["updates"] and trend["series"]:
        figure = slip_trend_figure(
            trend=trend,
            threshold_days=rules.slip_threshold_days,
            version_urls=[
                reverse("schedule:version", args=[update["id"]]) for update in trend["updates"]
            ],
        )
    context = {
        "projects": projects,
        "project": project,
        "rules": rules,
        "latest_update": latest,
        "baseline": baseline,
        "slips": milestone_slip_list(project=project, version=latest) if latest else [],
        "baseline_milestones": baseline_milestone_list(version=baseline)
        if baseline and not latest
        else [],
        "versions": schedule_version_list(user=request.user, project=project)[:30],
        "figure_json": json.dumps(figure) if figure else "",
        "settings_form": _settings_form(project, rules),
    }
    return render(request, "schedule/index.html", context)


@role_required(*SCHEDULE_ROLES)
@require_POST
def settings_update(request, project_code: str):
    project = _project_or_404(request, project_code)
    rules = schedule_settings_for(project=project)
    form = _settings_form(project, rules, data=request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "The settings were not saved: "
            + "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()),
        )
        return redirect(f"{reverse('schedule:index')}?project={project.code}")
    baseline_id = form.cleaned_data["baseline_version"]
    try:
        project_schedule_settings_update(
            project=project,
            actor=request.user,
            slip_threshold_days=form.cleaned_data["slip_threshold_days"],
            baseline_version=form.baselines.get(baseline_id) if baseline_id else None,
            clear_baseline_version=not baseline_id,
            compare_with=form.cleaned_data["compare_with"],
            calendar_rule=form.cleaned_data["calendar_rule"],
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Slip settings saved; they apply to the next update imported.")
    return redirect(f"{reverse('schedule:index')}?project={project.code}")


@role_required(*SCHEDULE_ROLES)
def imports(request):
    """Upload a schedule file (queued as an import job) and the history of imports."""
    projects = schedule_project_list(user=request.user)
    if request.method == "POST":
        form = ScheduleUploadForm(request.POST, request.FILES, projects=projects)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            limit = settings.INGEST_MAX_FILE_BYTES
            try:
                if upload.size > limit:
                    # Refused before reading it into memory.
                    raise ApplicationError(
                        f"the file is {upload.size:,} bytes; the limit is {limit:,} bytes",
                        code="file_too_large",
                    )
                job = schedule_import_job_create(
                    project=form.cleaned_data["project"],
                    kind=form.cleaned_data["kind"],
                    file_name=upload.name,
                    file_bytes=upload.read(),
                    actor=request.user,
                    source_project=form.cleaned_data["source_project"],
                    strict=form.cleaned_data["strict"],
                )
            except ApplicationError as error:
                form.add_error("file", error.message)
            else:
                return redirect("schedule:import", job_id=job.id)
        status = 400
    else:
        form = ScheduleUploadForm(
            projects=projects, initial={"project": request.GET.get("project")}
        )
        status = 200
    page = keyset_paginate(import_job_list(user=request.user), after=request.GET.get("after"))
    return render(request, "schedule/imports.html", {"form": form, "page": page}, status=status)


@role_required(*SCHEDULE_ROLES)
def import_detail(request, job_id: int):
    """One import: a progress bar while it runs (htmx polls), then its report."""
    try:
        job = import_job_get(user=request.user, job_id=job_id)
    except NotFoundError:
        raise Http404("No such import.") from None
    rows, bytes_done = import_progress_read(job)
    percent = (
        100
        if job.is_finished
        else (min(99, int(bytes_done * 100 / job.file_size)) if job.file_size else 0)
    )
    context = {"job": job, "rows": rows, "percent": percent, "version": job.version}
    if request.htmx:
        return render(request, "schedule/import_detail.html#job-status", context)
    return render(request, "schedule/import_detail.html", context)


@role_required(*SCHEDULE_ROLES)
def version_detail(request, version_id: int):
    """A version's import report and its activities (filters, keyset pages in file order)."""
    try:
        version = schedule_version_get(user=request.user, version_id=version_id)
    except NotFoundError:
        raise Http404("No such schedule version.") from None
    filters = ActivityFilters(
        q=request.GET.get("q", "").strip(),
        activity_type=request.GET.get("type", ""),
        status=request.GET.get("status", ""),
        wbs=request.GET.get("wbs", "").strip(),
        milestones_only=request.GET.get("milestones") == "1",
    )
    page = keyset_paginate_ascending(
        activity_list(version=version, filters=filters), after=request.GET.get("after")
    )
    context = {
        "version": version,
        "page": page,
        "filters": request.GET,
        "activity_types": ActivityType.choices,
        "statuses": ActivityStatus.choices,
        "tables": sorted(version.counts.get("tables", {}).items()),
    }
    if request.htmx:
        return render(request, "schedule/version.html#activities", context)
    return render(request, "schedule/version.html", context)
