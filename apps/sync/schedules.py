"""Schedules of the sync engine: fixed ones, plus one per enabled batch sync policy (interval or
cron mode) so an admin's policy becomes a django-q2 schedule when `manage.py sync_schedules`
runs (saving a policy applies them at once too)."""

from __future__ import annotations

import logging

from apps.core.schedules import ScheduleSpec

logger = logging.getLogger(__name__)

STATIC_SCHEDULES = [
    # Gap detection: every night, each (system, domain) with bindings or a policy.
    ScheduleSpec(
        name="sync-reconcile", func="apps.sync.tasks.reconciliation_run_all", cron="30 2 * * *"
    ),
    # Job runs whose enqueue was lost, or whose worker died, are picked up again.
    ScheduleSpec(name="sync-job-runs-sweep", func="apps.sync.tasks.job_runs_sweep", minutes=5),
]


def policy_schedules() -> list[ScheduleSpec]:
    from apps.sync.choices import SyncMode
    from apps.sync.services import batch_policies

    specs = []
    for policy in batch_policies():
        specs.append(
            ScheduleSpec(
                name=policy.schedule_name,
                func="apps.sync.tasks.sync_policy_run",
                minutes=policy.interval_minutes if policy.mode == SyncMode.INTERVAL else None,
                cron=policy.cron if policy.mode == SyncMode.CRON else None,
                kwargs={"policy_id": policy.pk},
            )
        )
    return specs


def __getattr__(name: str):
    # collect_schedules() reads SCHEDULES when it runs: computed then (PEP 562), so the batch
    # policies in the database are included without querying at import time.
    if name == "SCHEDULES":
        return [*STATIC_SCHEDULES, *policy_schedules()]
    raise AttributeError(name)
