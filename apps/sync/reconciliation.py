"""Gap detection and reconciliation: what the hub believes vs what a system holds.

For one (system, domain) a reconciliation job pulls every record from the system and compares
it with the hub's bindings and with what the hub last sent to (or read from) each record:

- counts, money totals and the latest write_date, per project (kept on the job as a summary);
- records the system has that the hub never heard of → backfilled (recorded as inbound
  transactions, trigger poll, so the pipeline applies them) + a `missed_events` item
  ("missed:<system>:<domain>"), unless it is the first load of that system and domain;
- bound records that disappeared from the system → binding marked orphaned + a
  `reconciliation_difference` item ("orphans:<system>:<domain>");
- bound records whose values differ from what the hub last delivered to that system (someone
  changed them there, behind the hub's back: two sets of books) → a `reconciliation_difference`
  item per record ("recon:<system>:<domain>:<canonical id>") naming each field, hub vs system;
  when the hub's last word came *from* that system (it is the source), the changed record is
  backfilled instead (an event the hub missed).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q

from apps.connectors.errors import ConnectorError
from apps.connectors.registry import connector_for
from apps.exceptions.choices import ExceptionCategory
from apps.exceptions.services import exception_open
from apps.ledger.choices import Direction, Trigger
from apps.ledger.models import Transaction
from apps.sync.choices import JobStatus
from apps.sync.handlers import handler_for
from apps.sync.models import Binding, JobRun, SyncPolicy
from apps.sync.runs import pulled_records_record
from apps.sync.services import (
    bindings_mark_orphaned,
    bindings_mark_seen,
    job_run_finish,
    job_run_log,
    job_run_progress,
    job_run_start,
)
from apps.sync.tasks import job_time_budget_seconds

logger = logging.getLogger(__name__)
PAGE_SIZE = 500
MAX_PAGES = 2_000
# Keys that describe the copy, not the business record.
META_KEYS = frozenset(
    {
        "external_id",
        "write_date",
        "create_date",
        "domain",
        "odoo_model",
        "idempotency_key",
        "id",
        "lines",
        "analytic_account_id",
    }
)
AMOUNT_KEYS = ("amount_total", "amount", "total", "budget_amount")


def _comparable(value: Any) -> str:
    if value in (None, False, ""):
        return ""
    if isinstance(value, bool):
        return "true"
    if isinstance(value, int | float | Decimal):
        try:
            return str(Decimal(str(value)).normalize())
        except InvalidOperation:
            return str(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            if text and text.replace(".", "", 1).lstrip("-").isdigit():
                return str(Decimal(text).normalize())
        except InvalidOperation:
            pass
        return text
    return str(value)


def record_differences(hub: dict, system: dict, *, fields: tuple[str, ...] = ()) -> dict:
    """{field: {"hub": …, "system": …}} for the compared fields that differ."""
    keys = set(fields) if fields else (set(hub) & set(system)) - META_KEYS
    diffs = {}
    for key in sorted(keys):
        if key not in hub or key not in system:
            continue
        if isinstance(hub[key], dict | list) or isinstance(system[key], dict | list):
            continue
        if _comparable(hub[key]) != _comparable(system[key]):
            diffs[key] = {"hub": hub[key], "system": system[key]}
    return diffs


def _amount(record: dict) -> Decimal | None:
    for key in AMOUNT_KEYS:
        value = record.get(key)
        if value in (None, "", False) or isinstance(value, bool):
            continue
        try:
            return Decimal(str(value))
        except InvalidOperation:
            continue
    return None


def reconciliation_targets() -> list[tuple]:
    """(system, domain) pairs worth reconciling: bound records, or a sync policy, on an enabled
    system whose connector can pull."""
    from apps.connectors.base import Connector
    from apps.connectors.models import System

    pairs: set[tuple[int, str]] = set(Binding.objects.values_list("system_id", "domain").distinct())
    for policy in SyncPolicy.objects.filter(enabled=True):
        pairs.add((policy.source_system_id, policy.domain))
        pairs.add((policy.target_system_id, policy.domain))
    systems = {s.pk: s for s in System.objects.filter(enabled=True)}
    result = []
    for system_id, domain in sorted(pairs):
        system = systems.get(system_id)
        if system is None:
            continue
        connector = connector_for(system)
        if type(connector).pull is Connector.pull:
            continue
        result.append((system, domain))
    return result


def _pull_all(connector, domain: str) -> list[dict]:
    records: list[dict] = []
    cursor = None
    started = time.monotonic()
    for _ in range(MAX_PAGES):
        page = connector.pull(domain=domain, cursor=cursor, limit=PAGE_SIZE)
        records.extend(page.records)
        cursor = page.next_cursor
        if cursor is None or time.monotonic() - started > job_time_budget_seconds():
            break
    return records


def reconciliation_execute(*, job: JobRun) -> JobRun:
    """Run one reconciliation job (job.system, job.domain[, job.project])."""
    if job.domain == "intercompany" and job.system_id is None:
        from apps.entities.intercompany import intercompany_reconcile_execute

        return intercompany_reconcile_execute(job=job)
    if not job_run_start(job=job):
        return job
    system, domain = job.system, job.domain
    if system is None or not domain:
        return job_run_finish(job=job, status=JobStatus.FAILED, outcome="needs a system and domain")
    connector = connector_for(system)
    job_run_log(job=job, message=f"reading every {domain} record from {system.code}")
    try:
        records = _pull_all(connector, domain)
    except (ConnectorError, NotImplementedError) as exc:
        job_run_log(job=job, level="error", message=f"{system.code}: {exc}")
        return job_run_finish(job=job, status=JobStatus.FAILED, outcome=str(exc)[:1000])
    finally:
        connector.close()
    job_run_progress(job=job, read=len(records), total=len(records))
    result = reconcile_records(job=job, system=system, domain=domain, records=records)
    job.refresh_from_db()
    job.params = {**(job.params or {}), "summary": result["summary"]}
    job.save(update_fields=["params"])
    return job_run_finish(
        job=job,
        outcome=(
            f"{len(records)} {domain} record(s) in {system.code}: {result['matched']} agree, "
            f"{result['differences']} differ, {result['orphans']} gone from {system.code}, "
            f"{result['backfilled']} backfilled"
        ),
    )


def reconcile_records(*, job: JobRun, system, domain: str, records: list[dict]) -> dict:
    """Compare pulled records with the hub's bindings; open items, backfill, summarise."""
    handler = handler_for(domain)
    compare_fields = tuple(getattr(handler, "reconcile_fields", ()) or ())
    by_external = {
        str(r["external_id"]): r for r in records if r.get("external_id") not in (None, "")
    }
    bindings = Binding.objects.filter(system=system, domain=domain).select_related("project")
    if job.project_id:
        bindings = bindings.filter(Q(project_id=job.project_id) | Q(project__isnull=True))
    bindings = list(bindings)
    first_load = not bindings
    bound = {b.external_id: b for b in bindings}
    last_tx = {
        tx.pk: tx
        for tx in Transaction.objects.filter(
            pk__in=[b.last_transaction_id for b in bindings if b.last_transaction_id]
        ).only("id", "direction", "payload", "project_id", "domain", "system_id")
    }

    matched, differences, to_backfill, seen = 0, 0, [], []
    for external_id, binding in bound.items():
        record = by_external.get(external_id)
        if record is None:
            continue
        seen.append(binding)
        tx = last_tx.get(binding.last_transaction_id)
        if tx is None:
            matched += 1
            continue
        hub_view = tx.payload if isinstance(tx.payload, dict) else {}
        if tx.direction == Direction.INBOUND:
            hub_view = handler.record(tx)
        diffs = record_differences(hub_view, record, fields=compare_fields)
        if not diffs:
            matched += 1
            continue
        if tx.direction == Direction.INBOUND:
            # The system is where this record comes from: a change there is an event we missed.
            to_backfill.append(record)
            continue
        differences += 1
        hub_amount, system_amount = _amount(hub_view), _amount(record)
        at_risk = (
            abs(hub_amount - system_amount)
            if hub_amount is not None and system_amount is not None
            else None
        )
        fields_text = ", ".join(
            f"{name}: hub {d['hub']!r} vs {system.code} {d['system']!r}"
            for name, d in diffs.items()
        )
        exception_open(
            category=ExceptionCategory.RECONCILIATION_DIFFERENCE,
            title=f"{domain} {binding.canonical_id} differs in {system.code} (two sets of books)",
            reason=f"{system.code} record {external_id} no longer matches what the hub delivered "
            f"({fields_text}). Someone changed it there, behind the hub's back. Decide which is "
            f"right: correct it in {system.code}, or make the hub's record agree and replay.",
            trace_key=f"recon:{system.code}:{domain}:{binding.canonical_id}",
            transaction=tx,
            project=binding.project,
            system=system,
            amount=at_risk,
            currency=str(record.get("currency") or "")[:3] if at_risk is not None else "",
            details={"differences": diffs, "external_id": external_id, "job": job.pk},
        )
    bindings_mark_seen(bindings=seen)

    orphans = [b for b in bindings if b.external_id not in by_external]
    if orphans:
        bindings_mark_orphaned(bindings=orphans)
        exception_open(
            category=ExceptionCategory.RECONCILIATION_DIFFERENCE,
            title=f"{len(orphans)} {domain} record(s) gone from {system.code}",
            reason=f"The hub has {domain} records bound to {system.code} ids that {system.code} "
            "no longer has (deleted or archived outside the hub). See the orphan report under "
            "Configuration → Bindings.",
            trace_key=f"orphans:{system.code}:{domain}",
            system=system,
            details={
                "count": len(orphans),
                "canonical_ids": [b.canonical_id for b in orphans[:200]],
                "job": job.pk,
            },
        )

    missing = [r for ext, r in by_external.items() if ext not in bound]
    backfill_counts = {"created": 0, "updated": 0, "skipped": 0, "failed": 0}
    backfill_source = missing + to_backfill
    if backfill_source:
        backfill_counts = pulled_records_record(
            system=system, domain=domain, records=backfill_source, trigger=Trigger.POLL
        )
        if not first_load:
            _missed_events_items(system, domain, backfill_source, job)
        else:
            job_run_log(job=job, message=f"first load: {len(missing)} record(s) recorded")
    backfilled = backfill_counts["created"] + backfill_counts["updated"]
    summary = _summary(records, bindings, last_tx)
    for project_code, row in sorted(summary.items()):
        job_run_log(
            job=job,
            message=f"{project_code or '(no project)'}: hub {row['hub_count']} / "
            f"{system.code} {row['system_count']}, totals hub {row['hub_total']} / "
            f"{system.code} {row['system_total']}, latest write {row['latest_write_date']}",
        )
    job_run_progress(
        job=job,
        created=backfilled,
        skipped=matched,
        failed=differences + len(orphans) + backfill_counts["failed"],
        done=len(records),
    )
    return {
        "matched": matched,
        "differences": differences,
        "orphans": len(orphans),
        "backfilled": backfilled,
        "summary": summary,
    }


def _missed_events_items(system, domain, records, job) -> None:
    keys = {str(r.get("external_id")) for r in records}
    transactions = Transaction.objects.filter(
        system=system, direction=Direction.INBOUND, domain=domain, external_id__in=keys
    ).order_by("-id")
    latest_per_record = {}
    for tx in transactions:
        latest_per_record.setdefault(tx.external_id, tx)
    for tx in latest_per_record.values():
        exception_open(
            category=ExceptionCategory.MISSED_EVENTS,
            title=f"{domain} changes in {system.code} the hub never received",
            reason=f"Reconciliation found {domain} records in {system.code} that no event or "
            "pull had brought to the hub (a lost webhook or a change made while the hub was "
            "not listening). They were backfilled as inbound transactions; check the source's "
            "webhook configuration.",
            trace_key=f"missed:{system.code}:{domain}",
            transaction=tx,
            system=system,
            details={"job": job.pk},
        )


def _summary(records: list[dict], bindings: list[Binding], last_tx: dict) -> dict:
    rows: dict[str, dict] = defaultdict(
        lambda: {
            "hub_count": 0,
            "system_count": 0,
            "hub_total": Decimal("0"),
            "system_total": Decimal("0"),
            "latest_write_date": "",
        }
    )
    for record in records:
        row = rows[str(record.get("project_code") or record.get("project") or "")]
        row["system_count"] += 1
        row["system_total"] += _amount(record) or Decimal("0")
        write_date = str(record.get("write_date") or "")
        row["latest_write_date"] = max(row["latest_write_date"], write_date)
    for binding in bindings:
        row = rows[binding.project.code if binding.project_id else ""]
        row["hub_count"] += 1
        tx = last_tx.get(binding.last_transaction_id)
        if tx is not None and isinstance(tx.payload, dict):
            row["hub_total"] += _amount(tx.payload) or Decimal("0")
    # Records carry no project for some domains: fold the counts into one row then.
    return {
        code: {k: str(v) if isinstance(v, Decimal) else v for k, v in row.items()}
        for code, row in rows.items()
    }
