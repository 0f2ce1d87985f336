"""Batch sync runs: a sync policy in interval/cron/manual mode pulls changed records from its
source system and records each as an inbound transaction (the ledger is the outbox; the
pipeline then validates, maps, applies and routes them like webhook events).

Incremental: the connector keeps its own high-water mark when it can (the Odoo connector's
`pull_changes` / `commit_high_water_mark`, one SyncCursor per model); other connectors get a
SyncCursor "<domain>:since" kept here. The mark moves only after a page's transactions are
committed, so a crash re-reads a page (deduplicated by idempotency key) instead of losing it.
"""

from __future__ import annotations

import logging
import time

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.connectors.errors import ConnectorError
from apps.connectors.models import SyncCursor
from apps.connectors.registry import connector_for
from apps.ledger.choices import Trigger
from apps.ledger.services import transaction_record_inbound
from apps.sync.choices import JobStatus, JobTrigger
from apps.sync.models import Binding, JobRun
from apps.sync.services import job_run_finish, job_run_log, job_run_progress, job_run_start
from apps.sync.tasks import job_time_budget_seconds

logger = logging.getLogger(__name__)
MAX_PAGES = 10_000


def pulled_record_key(system, domain: str, record: dict) -> str:
    """A stable idempotency key per record version (same version pulled twice = one row)."""
    if record.get("idempotency_key"):
        return str(record["idempotency_key"])
    version = record.get("write_date") or record.get("updated_at") or ""
    return f"pull:{system.code}:{domain}:{record.get('external_id', '')}:{version}"


def pulled_records_record(
    *, system, domain: str, records: list[dict], trigger: str, project=None
) -> dict[str, int]:
    """Record pulled records as inbound transactions; counts created/updated/skipped."""
    counts = {"created": 0, "updated": 0, "skipped": 0, "failed": 0}
    bound = set(
        Binding.objects.filter(
            system=system,
            domain=domain,
            external_id__in=[str(r.get("external_id", "")) for r in records],
        ).values_list("external_id", flat=True)
    )
    for record in records:
        external_id = str(record.get("external_id", ""))
        when = record.get("write_date") or record.get("updated_at")
        occurred_at = parse_datetime(str(when).replace(" ", "T")) if when else None
        if occurred_at is not None and timezone.is_naive(occurred_at):
            occurred_at = timezone.make_aware(occurred_at, timezone.utc)
        try:
            _, created = transaction_record_inbound(
                system=system,
                domain=domain,
                operation="upsert",
                payload=record,
                idempotency_key=pulled_record_key(system, domain, record),
                trigger=trigger,
                external_id=external_id,
                project=project,
                occurred_at=occurred_at,
            )
        except Exception as exc:  # one bad record is counted and logged, the rest go on
            logger.exception("recording pulled %s %s failed", domain, external_id)
            counts["failed"] += 1
            counts.setdefault("errors", []).append(f"{external_id}: {exc}")
            continue
        if not created:
            counts["skipped"] += 1
        elif external_id in bound:
            counts["updated"] += 1
        else:
            counts["created"] += 1
    return counts


def _generic_cursor(system, domain: str) -> SyncCursor:
    cursor, _ = SyncCursor.objects.get_or_create(system=system, key=f"{domain}:since")
    return cursor


def sync_pull_execute(*, job: JobRun) -> JobRun:
    """Run a batch sync job: pull pages of changes, record them, keep counts and a log."""
    if not job_run_start(job=job):
        return job
    policy = job.policy
    if policy is None or not policy.enabled:
        return job_run_finish(job=job, status=JobStatus.FAILED, outcome="policy gone or disabled")
    system = policy.source_system
    domain = policy.domain
    trigger = Trigger.SCHEDULE if job.trigger == JobTrigger.SCHEDULE else Trigger.MANUAL
    connector = connector_for(system)
    incremental = hasattr(connector, "pull_changes") and hasattr(
        connector, "commit_high_water_mark"
    )
    generic_cursor = None if incremental else _generic_cursor(system, domain)
    job_run_log(job=job, message=f"pulling {domain} from {system.code} (batch {policy.batch_size})")
    started = time.monotonic()
    cursor = None
    pages = 0
    try:
        while pages < MAX_PAGES and time.monotonic() - started < job_time_budget_seconds():
            if incremental:
                page = connector.pull_changes(domain=domain, cursor=cursor, limit=policy.batch_size)
            else:
                page = connector.pull(
                    domain=domain,
                    since=(generic_cursor.value or None) if cursor is None else None,
                    cursor=cursor,
                    limit=policy.batch_size,
                )
            pages += 1
            counts = pulled_records_record(
                system=system,
                domain=domain,
                records=page.records,
                trigger=trigger,
                project=policy.project,
            )
            job_run_progress(
                job=job,
                read=len(page.records),
                created=counts["created"],
                updated=counts["updated"],
                skipped=counts["skipped"],
                failed=counts["failed"],
                done=len(page.records),
            )
            for error in counts.get("errors", [])[:20]:
                job_run_log(job=job, level="error", message=error)
            if page.high_water_mark and not counts["failed"]:
                if incremental:
                    connector.commit_high_water_mark(domain=domain, value=page.high_water_mark)
                else:
                    generic_cursor.value = page.high_water_mark
                    generic_cursor.save(update_fields=["value", "updated_at"])
            job_run_log(
                job=job,
                message=f"page {pages}: {len(page.records)} read, {counts['created']} new, "
                f"{counts['updated']} changed, {counts['skipped']} unchanged",
            )
            if counts["failed"]:
                # Stop here: a later page's mark would move past the failed records and they
                # would never be pulled again. The next run resumes from the stored mark; the
                # records this run did record come again with the same idempotency keys.
                job_run_log(
                    job=job,
                    level="warning",
                    message=f"page {pages} had {counts['failed']} failed record(s): the mark "
                    "stays before them and the next run pulls them again",
                )
                break
            cursor = page.next_cursor
            if cursor is None:
                break
        else:
            job_run_log(
                job=job,
                level="warning",
                message="time budget reached: the next run continues from the stored mark",
            )
    except (ConnectorError, NotImplementedError) as exc:
        job_run_log(job=job, level="error", message=f"{system.code}: {exc}")
        return job_run_finish(job=job, status=JobStatus.FAILED, outcome=str(exc)[:1000])
    finally:
        connector.close()
    job.refresh_from_db()
    return job_run_finish(
        job=job,
        outcome=f"{job.read_count} read in {pages} page(s): {job.created_count} new, "
        f"{job.updated_count} changed, {job.skipped_count} unchanged, {job.failed_count} failed",
    )
