"""django-q2 entry points: take ids, call one service."""

from __future__ import annotations

from apps.schedule.services import schedule_import_job_run, schedule_import_jobs_sweep


def schedule_import_job_task(job_id: int) -> None:
    schedule_import_job_run(job_id=job_id)


def schedule_import_jobs_sweep_task() -> None:
    schedule_import_jobs_sweep()
