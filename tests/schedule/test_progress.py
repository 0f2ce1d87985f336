"""Import progress is visible to other requests while the import's own transaction is open."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from apps.projects.models import Project
from apps.schedule.choices import ImportJobStatus
from apps.schedule.models import ImportJob
from apps.schedule.parsers.records import ParseProgress
from apps.schedule.progress import ImportProgressReporter, import_progress_read
from apps.schedule.services import schedule_import_job_create, schedule_import_job_run
from tests.schedule.conftest import fixture_bytes


def _read_in_another_thread(job: ImportJob) -> tuple[int, int]:
    """What a polling request (another connection) sees."""
    seen: dict = {}

    def poll():
        try:
            if connection.vendor == "sqlite":
                # SQLite: one writer holds the database; the reader gets the progress file.
                seen["value"] = import_progress_read(job)
            else:
                fresh = ImportJob.objects.defer("file_content").get(pk=job.pk)
                seen["value"] = import_progress_read(fresh)
        finally:
            connections.close_all()

    reader = threading.Thread(target=poll)
    reader.start()
    reader.join(timeout=20)
    assert not reader.is_alive()
    return seen["value"]


@pytest.mark.django_db(transaction=True)
def test_progress_written_inside_an_open_transaction_is_seen_by_another_connection(school):
    job = schedule_import_job_create(
        project=school,
        kind="baseline",
        file_name="p.xer",
        file_bytes=fixture_bytes("percent-complete-8.4.xer"),
        actor=None,
    )
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJobStatus.RUNNING)
    job.refresh_from_db()
    reporter = ImportProgressReporter(job.pk, interval=0)
    try:
        with transaction.atomic():
            # The import writes (and on SQLite so holds the one write lock) before reporting.
            Project.objects.filter(pk=school.pk).update(name="Riverside Primary School (import)")
            reporter(ParseProgress(rows=500, bytes_read=4000, bytes_total=job.file_size))
            assert _read_in_another_thread(job) == (500, 4000)
    finally:
        reporter.close()


@pytest.mark.django_db(transaction=True)
def test_finished_job_reports_its_final_counts(school):
    job = schedule_import_job_create(
        project=school,
        kind="baseline",
        file_name="p.xer",
        file_bytes=fixture_bytes("percent-complete-8.4.xer"),
        actor=None,
    )
    done = schedule_import_job_run(job_id=job.pk)
    assert done.status == ImportJobStatus.SUCCEEDED and done.percent == 100
    assert import_progress_read(done) == (done.rows_processed, done.file_size)
    assert done.rows_processed == sum(done.version.counts["tables"].values())
