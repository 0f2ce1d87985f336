"""PMO journey on schedules: upload an update, watch the import finish, read the slip."""

from __future__ import annotations

import pytest

from apps.schedule.models import ImportJob
from apps.schedule.services import schedule_import_file, schedule_import_job_run
from tests.schedule.conftest import FIXTURES, SLIP_FILES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pmo_uploads_an_update_and_sees_the_milestone_slip(
    live_server, login, screenshot, pat, school
):
    schedule_import_file(
        project=school,
        file_bytes=(FIXTURES / SLIP_FILES[0]).read_bytes(),
        file_name=SLIP_FILES[0],
        kind="baseline",
    )
    page = login("pat")
    page.goto(f"{live_server.url}/schedule/imports/?project=SCH-001")
    page.set_input_files("#id_file", str(FIXTURES / SLIP_FILES[2]))
    page.click(".schedule-upload button[type=submit]")
    page.wait_for_url("**/schedule/imports/*/")
    assert "Queued" in page.inner_text("#job-status")

    # The worker's part, done here; the page's own polling (htmx, every second) shows the end.
    schedule_import_job_run(job_id=ImportJob.objects.get().pk)
    page.wait_for_selector("#job-status >> text=Import report")
    assert "Imported" in page.inner_text("#job-status")
    screenshot("schedule-import-report")

    page.click("text=Milestones and slip")
    page.wait_for_selector(".chart .main-svg")  # plotly drew the slip trend
    row = page.locator("#milestones tbody tr", has_text="M2000")
    assert "Fri 2024-03-29" in row.inner_text() and "milestone.slipped" in row.inner_text()
    screenshot("schedule-milestones")
