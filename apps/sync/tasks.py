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


def job_time_budget_seconds() -> float:
    """How long one job may run inside a django-q2 task: under the task timeout, so a long pull
    stops cleanly (the next run continues from the stored high-water mark)."""
    return max(10.0, _task_timeout() * 0.8)


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
    from apps.entities.models import IntercompanyCommitment

    if IntercompanyCommitment.objects.exists():
        # Both sides of the group's intercompany commitments (apps/entities/intercompany.py).
        job = job_run_create(
            kind=JobKind.RECONCILE,
            name="Reconcile intercompany commitments",
            trigger=JobTrigger.SCHEDULE,
            domain="intercompany",
        )
        reconciliation_execute(job=job)
        count += 1
    return count


def job_runs_sweep() -> dict[str, int]:
    """Re-enqueue job runs whose enqueue was lost; fail the ones whose worker died (their row
    says so; "Run now" starts a fresh one)."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.sync.choices import JobStatus
    from apps.sync.services import job_run_finish, job_run_log

    now = timezone.now()
    requeued = 0
    for job in JobRun.objects.filter(
        status=JobStatus.QUEUED, created_at__lt=now - timedelta(minutes=2)
    )[:100]:
        job_run_enqueue(job=job)
        requeued += 1
    lost_after = timedelta(seconds=int(settings.Q_CLUSTER.get("retry", 300)) + 60)
    lost = 0
    for job in JobRun.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=now - lost_after)[
        :100
    ]:
        job_run_log(job=job, level="error", message="the worker running this job stopped")
        job_run_finish(job=job, status=JobStatus.FAILED, outcome="worker lost; run it again")
        lost += 1
    return {"requeued": requeued, "lost": lost}
