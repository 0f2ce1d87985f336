"""Schedule pages: roles, project scoping, upload → import job → progress → report, settings."""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.audit.models import AuditEntry
from apps.schedule.choices import ImportJobStatus, ScheduleKind
from apps.schedule.models import ImportJob, MilestoneSlip, ProjectScheduleSettings
from apps.schedule.services import schedule_import_file, schedule_import_job_run
from tests.schedule.conftest import SLIP_FILES, fixture_bytes

pytestmark = pytest.mark.django_db


def _series(project):
    versions = []
    for index, name in enumerate(SLIP_FILES):
        kind = ScheduleKind.BASELINE if index == 0 else ScheduleKind.UPDATE
        versions.append(
            schedule_import_file(
                project=project, file_bytes=fixture_bytes(name), file_name=name, kind=kind
            )
        )
    return versions


def _upload(client, project_code, name, kind="update", data=None, **extra):
    return client.post(
        "/schedule/imports/",
        {
            "project": project_code,
            "kind": kind,
            "file": SimpleUploadedFile(name, data if data is not None else fixture_bytes(name)),
            **extra,
        },
    )


@pytest.mark.parametrize("url", ["/schedule/", "/schedule/imports/"])
def test_finance_and_requesters_are_refused(client_for, fiona, rob, url):
    assert client_for(fiona).get(url).status_code == 403
    assert client_for(rob).get(url).status_code == 403


def test_anonymous_is_sent_to_login(client, db):
    response = client.get("/schedule/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_index_shows_milestones_slip_and_trend_chart(client_for, pat, school):
    _series(school)
    page = client_for(pat).get("/schedule/").content.decode()
    assert "Übergabe – Bauabschnitt 1" in page
    row = re.search(r"<tr class=\"schedule-over\">\s*<td><code>M2000</code>.*?</tr>", page, re.S)
    assert row and ">15<" in row.group(0) and "milestone.slipped" in row.group(0)
    figure = re.search(
        r'<script type="application/json" id="fig-slip-trend">(.*?)</script>', page, re.S
    )
    data = json.loads(figure.group(1))
    series = {trace["name"].split()[0]: trace["y"] for trace in data["data"]}
    assert series["M2000"] == [0, 10, 15]
    assert series["M4000"] == [-1, 0, 10]
    assert data["layout"]["shapes"][0]["y0"] == 5
    assert 'data-plotly-figure="fig-slip-trend"' in page
    assert "vendor/plotly/plotly.min.js" in page
    assert "<script>" not in page  # no inline script (CSP)


def test_pmo_sees_only_member_projects(client_for, pat, bridge):
    _series(bridge)
    client = client_for(pat)
    assert client.get("/schedule/?project=BRG-003").status_code == 404
    versions = bridge.schedule_versions.all()
    assert client.get(f"/schedule/versions/{versions[0].pk}/").status_code == 404
    assert "BRG-003" not in client.get("/schedule/").content.decode()


def test_admin_sees_every_project(client_for, ada, bridge):
    _series(bridge)
    page = client_for(ada).get("/schedule/?project=BRG-003").content.decode()
    assert "M3000" in page


def test_upload_runs_as_a_job_with_progress_and_report(client_for, pat, school):
    client = client_for(pat)
    response = _upload(client, "SCH-001", "percent-complete-8.4.xer", kind="baseline")
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert response["Location"] == f"/schedule/imports/{job.pk}/"
    assert job.status == ImportJobStatus.QUEUED and job.created_by == pat
    queued = client.get(response["Location"])
    assert 'hx-trigger="every 1s"' in queued.content.decode()  # the page polls while it runs

    finished = schedule_import_job_run(job_id=job.pk)
    assert finished.status == ImportJobStatus.SUCCEEDED
    assert finished.rows_processed == sum(finished.version.counts["tables"].values())

    partial = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "every 1s" not in partial  # polling stops when done
    assert 'aria-valuenow="100"' in partial
    assert "Import report" in partial and "TASK" in partial and "CURRTYPE" in partial
    assert f"/schedule/versions/{finished.version.pk}/" in partial


def test_refused_upload_shows_the_reason_and_line(client_for, pat, school):
    data = fixture_bytes("percent-complete-8.4.xer")
    truncated = data[: data.index(b"%R\t101722")]
    client = client_for(pat)
    _upload(client, "SCH-001", "cut.xer", data=truncated)
    job = ImportJob.objects.get()
    schedule_import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJobStatus.REFUSED and job.error_code == "schedule_truncated"
    page = client.get(f"/schedule/imports/{job.pk}/").content.decode()
    assert f"line {job.error_line}" in page and "truncated" in page
    assert "Nothing from this file was stored" in page
    history = client.get("/schedule/imports/").content.decode()
    assert "cut.xer" in history and "Refused" in history


def test_upload_for_a_project_outside_membership_is_refused(client_for, pat, bridge):
    response = _upload(client_for(pat), "BRG-003", "percent-complete-8.4.xer")
    assert response.status_code == 400
    assert not ImportJob.objects.exists()


def test_a_job_is_claimed_once(school, pat):
    from apps.schedule.services import schedule_import_job_create

    job = schedule_import_job_create(
        project=school,
        kind="baseline",
        file_name="p.xer",
        file_bytes=fixture_bytes("percent-complete-8.4.xer"),
        actor=pat,
    )
    assert schedule_import_job_run(job_id=job.pk).status == ImportJobStatus.SUCCEEDED
    assert schedule_import_job_run(job_id=job.pk) is None  # already claimed: nothing happens
    assert school.schedule_versions.count() == 1


def test_version_page_filters_and_pages_activities_in_file_order(client_for, pat, school):
    version = schedule_import_file(
        project=school,
        file_bytes=fixture_bytes("slip-update-3.xer"),
        file_name="u3.xer",
        kind=ScheduleKind.BASELINE,
    )
    client = client_for(pat)
    url = f"/schedule/versions/{version.pk}/"
    milestones = client.get(url, {"milestones": "1"}).content.decode()
    codes = re.findall(r"<td><code>([AM]\d{4})</code></td>", milestones)
    assert codes == ["M1000", "M2000", "M3000", "M4000"]
    found = client.get(url, {"q": "physical"}).content.decode()
    assert re.findall(r"<td><code>([AM]\d{4})</code></td>", found) == [
        "A1040",
        "A1050",
        "A1060",
        "A1070",
    ]
    complete = client.get(url, {"status": "complete"}, HTTP_HX_REQUEST="true").content.decode()
    assert set(re.findall(r"<td><code>([AM]\d{4})</code></td>", complete)) == {"M1000", "M3000"}
    assert "<html" not in complete

    from apps.schedule import selectors

    page = selectors.keyset_paginate_ascending(version.activities.all(), page_size=10)
    assert [a.task_code for a in page.rows][:2] == ["A1000", "A1010"] and page.has_next
    second = client.get(url, {"after": page.next_after}).content.decode()
    assert re.findall(r"<td><code>([AM]\d{4})</code></td>", second)[0] == "A1100"
    assert "« First" in second
    rows = selectors.keyset_paginate_ascending(
        version.activities.all(), after=page.next_after, page_size=10
    ).rows
    assert [a.task_code for a in rows] == [
        "A1100",
        "A1110",
        "M1000",
        "M2000",
        "M3000",
        "M4000",
    ]


def test_settings_change_is_saved_and_audited(client_for, pat, school):
    baseline = _series(school)[0]
    response = client_for(pat).post(
        "/schedule/projects/SCH-001/settings/",
        {
            "slip_threshold_days": "8",
            "baseline_version": str(baseline.pk),
            "compare_with": "baseline",
            "calendar_rule": "file",
        },
    )
    assert response.status_code == 302
    rules = ProjectScheduleSettings.objects.get(project=school)
    assert (rules.slip_threshold_days, rules.baseline_version, rules.calendar_rule) == (
        8,
        baseline,
        "file",
    )
    entry = AuditEntry.objects.get(action="schedule.settings_changed")
    assert entry.detail["before"]["slip_threshold_days"] == 5
    assert entry.detail["after"]["slip_threshold_days"] == 8


def test_settings_refuse_a_negative_threshold(client_for, pat, school):
    response = client_for(pat).post(
        "/schedule/projects/SCH-001/settings/",
        {"slip_threshold_days": "-1", "compare_with": "baseline", "calendar_rule": "standard"},
        follow=True,
    )
    assert "not saved" in response.content.decode()
    assert not ProjectScheduleSettings.objects.filter(project=school).exists()
    assert MilestoneSlip.objects.count() == 0


def test_schedule_is_in_the_navigation_for_pmo(client_for, pat):
    assert 'href="/schedule/"' in client_for(pat).get("/schedule/").content.decode()


def test_upload_over_the_size_limit_is_refused_unread(client_for, pat, school, settings):
    settings.INGEST_MAX_FILE_BYTES = 1000
    response = _upload(client_for(pat), "SCH-001", "percent-complete-8.4.xer")
    assert response.status_code == 400
    assert "the limit is 1,000 bytes" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_an_unexpected_import_failure_opens_an_exception_item(school, pat, monkeypatch):
    from apps.exceptions.models import ExceptionItem
    from apps.schedule import services

    job = services.schedule_import_job_create(
        project=school,
        kind="baseline",
        file_name="p.xer",
        file_bytes=fixture_bytes("percent-complete-8.4.xer"),
        actor=pat,
    )

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "schedule_import_file", broken)
    done = services.schedule_import_job_run(job_id=job.pk)
    assert done.status == ImportJobStatus.FAILED and "RuntimeError" in done.error_message
    item = ExceptionItem.objects.get(trace_key=f"schedule-import-job:{job.pk}")
    assert item.category == "processing_error" and item.project == school
    assert "disk full" in item.reason


def test_sweeper_requeues_a_dead_workers_job_and_fails_it_after_three_attempts(school, pat):
    from datetime import timedelta

    from django.utils import timezone

    from apps.exceptions.models import ExceptionItem
    from apps.schedule.services import schedule_import_job_create, schedule_import_jobs_sweep

    job = schedule_import_job_create(
        project=school, kind="baseline", file_name="p.xer", file_bytes=b"ERMHDR", actor=pat
    )
    long_ago = timezone.now() - timedelta(hours=1)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJobStatus.RUNNING, started_at=long_ago, created_at=long_ago, attempts=1
    )
    schedule_import_jobs_sweep()
    job.refresh_from_db()
    assert job.status == ImportJobStatus.QUEUED
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJobStatus.RUNNING, attempts=3)
    schedule_import_jobs_sweep()
    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED and job.error_code == "import_stuck"
    assert ExceptionItem.objects.filter(trace_key=f"schedule-import-job:{job.pk}").exists()
