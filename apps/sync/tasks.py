"""django-q2 entry points: thin, take ids, call one service. Our rows (JobRun) are the truth;
django-q2 only carries the work (a lost task leaves a visible `queued` job that can be re-run)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction as db_transaction

from apps.sync.choices import JobKind, JobTrigger
from apps.sync.models import JobRun

logger = logging.getLogger(__name__)


def _task_timeout() -> int:
    return int(settings.Q_CLUSTER.get("timeout", 120))


def job_run_enqueue(*, job: JobRun) -> None:
    """Hand a queued job to a worker once the job row is committed."""
    from django_q.tasks import async_task

    def enqueue():
        try:
            async_task(
                "apps.sync.tasks.job_run_execute",
                job.pk,
                task_name=f"ihub-job-{job.pk}",
                timeout=_task_timeout(),
            )
        except Exception:  # the job row stays queued and visible; "Run now" retries it
            logger.exception("could not enqueue job run %s", job.pk)

    db_transaction.on_commit(enqueue)


def job_run_execute(job_id: int) -> str:
    """Run one job (any kind) by id; a job already started elsewhere is left alone."""
    from apps.sync.reconciliation import reconciliation_execute
    from apps.sync.replay import replay_bulk_execute
    from apps.sync.runs import sync_pull_execute

    job = JobRun.objects.filter(pk=job_id).first()
    if job is None:
        return "missing"
    runner = {
        JobKind.REPLAY: replay_bulk_execute,
        JobKind.SYNC: sync_pull_execute,
        JobKind.RECONCILE: reconciliation_execute,
        JobKind.ORPHANS: reconciliation_execute,
    }[job.kind]
    job = runner(job=job)
    return job.status


def sync_policy_run(policy_id: int) -> str:
    """Schedule entry point of a batch sync policy: record a job run and run it here."""
    from apps.sync.models import SyncPolicy
    from apps.sync.runs import sync_pull_execute
    from apps.sync.services import job_run_create

    policy = SyncPolicy.objects.filter(pk=policy_id, enabled=True).first()
    if policy is None:
        return "policy gone or disabled"
    job = job_run_create(
        kind=JobKind.SYNC,
        name=f"Sync {policy}",
        trigger=JobTrigger.SCHEDULE,
        policy=policy,
    )
    return sync_pull_execute(job=job).status


def reconciliation_run_all() -> int:
    """Scheduled gap detection: one reconciliation job per (system, domain) that has bindings
    or a sync policy."""
    from apps.sync.reconciliation import reconciliation_execute, reconciliation_targets
    from apps.sync.services import job_run_create

    count = 0
    for system, domain in reconciliation_targets():
        job = job_run_create(
            kind=JobKind.RECONCILE,
            name=f"Reconcile {domain} with {system.code}",
            trigger=JobTrigger.SCHEDULE,
            system=system,
            domain=domain,
        )
        reconciliation_execute(job=job)
        count += 1
    return count
