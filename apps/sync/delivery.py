"""Outbound delivery (DESIGN §4, §4a): the dispatcher's processor for claimed outbound rows.

Per target system: honour the circuit breaker and the rate limit, group the rows per domain and
operation so one connector call carries many records (`push_many`: one Odoo `create` with a
list), record every round trip inside each transaction (an `attempt` event with the calls and
their timings), then per row:

    success               → delivered; binding canonical id ↔ external id; open delivery items
                            for the subject resolved automatically
    transient error       → retrying at now + backoff (exponential, jitter, the system's
                            schedule; Retry-After honoured); `dead` + delivery_failed item when
                            the attempts are spent (dead-letter)
    permanent error       → failed at once + permanent_target_error item

Writes are idempotent: the connector is given a key that is stable per subject
("<domain>:<canonical id>") and the bound external id, so a retry (or a worker killed after the
target committed) finds the record instead of creating a second one.

Ordering: of several open deliveries for the same subject and system, only the oldest goes; the
younger ones wait for it (an update never overtakes an earlier one).
Deferrals (breaker open, rate limit, waiting behind an older update) do not spend an attempt.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from datetime import timedelta

from django.db import transaction as db_transaction
from django.db.models import F, Min
from django.utils import timezone

from apps.connectors.errors import ConnectorError, PermanentError, TransientError
from apps.connectors.registry import connector_for
from apps.exceptions.choices import ExceptionCategory
from apps.exceptions.services import exception_auto_resolve, exception_open
from apps.ledger.choices import Direction, EventKind, TransactionStatus
from apps.ledger.errors import TransitionConflict
from apps.ledger.models import Transaction
from apps.ledger.services import (
    transaction_annotate,
    transaction_events_bulk_create,
    transaction_transition,
)
from apps.sync.breaker import breaker_allow, breaker_record_failure, breaker_record_success
from apps.sync.handlers import handler_for
from apps.sync.pipeline import backoff_seconds
from apps.sync.ratelimit import quota_record, rate_limit_acquire, rate_limit_charge
from apps.sync.selectors import binding_get
from apps.sync.services import binding_set, delivery_settings_for

logger = logging.getLogger(__name__)
S = TransactionStatus
ACTOR = "delivery"
OPEN_OUTBOUND = (S.PENDING, S.RETRYING)
# Waiting this long for a token is cheaper inline than a round trip through the dispatcher.
MAX_INLINE_WAIT_SECONDS = 1.0
MAX_CALLS_PER_EVENT = 50


def push_key(tx: Transaction) -> str:
    """The connector's idempotency key: stable per subject, so a retry or a replay finds the
    record it (may have) created before."""
    if tx.subject_id:
        return f"{tx.subject_domain or tx.domain}:{tx.subject_id}"
    return tx.idempotency_key


def delivery_trace_key(tx: Transaction, system) -> str:
    return f"delivery:{system.code}:{tx.subject_domain or tx.domain}:{tx.subject_id or tx.pk}"


def refused_trace_key(tx: Transaction, system) -> str:
    return f"refused:{system.code}:{tx.subject_domain or tx.domain}:{tx.subject_id or tx.pk}"


# --- entry point --------------------------------------------------------------------------------


def transactions_deliver(transactions: list[Transaction]) -> None:
    """Dispatcher processor: deliver claimed outbound transactions, grouped per system."""
    by_system: OrderedDict[int, list[Transaction]] = OrderedDict()
    for tx in transactions:
        by_system.setdefault(tx.system_id, []).append(tx)
    for rows in by_system.values():
        system = rows[0].system
        try:
            deliver_to_system(system=system, transactions=rows)
        except Exception as exc:  # one system's trouble must not stop the others; recorded
            logger.exception("delivery to %s crashed", system.code)
            _note(rows, {"delivery_error": f"{type(exc).__name__}: {exc}"[:1000]})


def deliver_to_system(*, system, transactions: list[Transaction]) -> dict[str, int]:
    """Deliver rows that all go to one system. Returns counts by outcome."""
    counts = {"delivered": 0, "retrying": 0, "dead": 0, "failed": 0, "deferred": 0}
    settings_row = delivery_settings_for(system)
    now = timezone.now()
    if not system.enabled:
        counts["deferred"] += _defer(
            transactions, until=now + timedelta(minutes=5), reason="target system disabled"
        )
        return counts
    ready, waiting = _oldest_per_subject(system, transactions)
    for tx, until in waiting:
        counts["deferred"] += _defer([tx], until=until, reason="waits for an earlier update")
    if not ready:
        return counts
    allowed, probe, breaker = breaker_allow(system=system)
    if not allowed:
        counts["deferred"] += _defer(
            ready, until=breaker.retry_at or now + timedelta(seconds=30), reason="circuit open"
        )
        return counts
    if probe:
        # Half-open: one delivery tests the water; the rest come back right after.
        counts["deferred"] += _defer(
            ready[1:], until=now + timedelta(seconds=1), reason="circuit half-open: probing"
        )
        ready = ready[:1]

    connector = connector_for(system)
    calls: list[dict] = []
    if hasattr(connector, "on_call"):
        connector.on_call = calls.append
    groups: OrderedDict[tuple[str, str], list[Transaction]] = OrderedDict()
    for tx in ready:
        groups.setdefault((tx.domain, tx.operation), []).append(tx)
    queue = [
        (domain, operation, rows[i : i + settings_row.batch_size])
        for (domain, operation), rows in groups.items()
        for i in range(0, len(rows), settings_row.batch_size)
    ]
    try:
        for position, (domain, operation, chunk) in enumerate(queue):
            rest = [tx for _, _, later in queue[position:] for tx in later]
            wait = rate_limit_acquire(system=system)
            if 0 < wait <= MAX_INLINE_WAIT_SECONDS:
                time.sleep(wait)
                wait = rate_limit_acquire(system=system)
            if wait > 0:
                counts["deferred"] += _defer(
                    rest, until=timezone.now() + timedelta(seconds=wait), reason="rate limit"
                )
                break
            outcome_counts, system_failed = _deliver_chunk(
                system=system,
                connector=connector,
                calls=calls,
                domain=domain,
                operation=operation,
                chunk=chunk,
                settings_row=settings_row,
            )
            for key, value in outcome_counts.items():
                counts[key] += value
            if system_failed:
                breaker = breaker_record_failure(system=system, error=system_failed)
                if breaker.state != "closed":
                    later = [tx for _, _, rows in queue[position + 1 :] for tx in rows]
                    counts["deferred"] += _defer(
                        later, until=breaker.retry_at or timezone.now(), reason="circuit opened"
                    )
                    break
            elif outcome_counts["delivered"] or outcome_counts["failed"]:
                breaker_record_success(system=system, breaker=breaker)
    finally:
        connector.close()
    return counts


# --- one call -----------------------------------------------------------------------------------


def _items_for(system, chunk: list[Transaction]) -> list[dict]:
    items = []
    for tx in chunk:
        external_id = tx.external_id or None
        if tx.subject_id:
            binding = binding_get(
                system=system, domain=tx.subject_domain or tx.domain, canonical_id=tx.subject_id
            )
            if binding is not None:
                external_id = binding.external_id
        items.append(
            {
                "payload": tx.payload if isinstance(tx.payload, dict) else {"value": tx.payload},
                "idempotency_key": push_key(tx),
                "external_id": external_id,
            }
        )
    return items


def _deliver_chunk(
    *, system, connector, calls, domain, operation, chunk, settings_row
) -> tuple[dict[str, int], str]:
    """One connector call for a chunk; returns (counts, transport error text if the system
    looked unwell)."""
    counts = {"delivered": 0, "retrying": 0, "dead": 0, "failed": 0}
    items = _items_for(system, chunk)
    calls.clear()
    started = time.monotonic()
    try:
        if len(chunk) == 1:
            try:
                outcomes = [
                    connector.push(
                        domain=domain,
                        operation=operation,
                        payload=items[0]["payload"],
                        idempotency_key=items[0]["idempotency_key"],
                        external_id=items[0]["external_id"],
                    )
                ]
            except ConnectorError as exc:
                outcomes = [exc]
        else:
            outcomes = connector.push_many(domain=domain, operation=operation, items=items)
    except ConnectorError as exc:
        outcomes = [exc] * len(chunk)
    except NotImplementedError as exc:
        outcomes = [PermanentError(str(exc), code="not_supported")] * len(chunk)
    except Exception as exc:  # a connector bug: deterministic, so not retried forever
        logger.exception("connector %s crashed pushing %s", system.code, domain)
        outcomes = [
            PermanentError(f"connector error {type(exc).__name__}: {exc}", code="connector_bug")
        ] * len(chunk)
    duration_ms = int((time.monotonic() - started) * 1000)
    round_trips = len(calls) or 1
    rate_limit_charge(system=system, tokens=round_trips - 1)
    quota_record(system=system, calls=round_trips)

    _record_attempts(chunk, outcomes, calls, duration_ms)
    transport_error = ""
    for tx, outcome in zip(chunk, outcomes, strict=True):
        try:
            if isinstance(outcome, TransientError):
                transport_error = str(outcome)
                counts[_retry_or_dead(tx, system, outcome, settings_row)] += 1
            elif isinstance(outcome, ConnectorError):
                _fail(tx, system, outcome)
                counts["failed"] += 1
            else:
                _delivered(tx, system, outcome)
                counts["delivered"] += 1
        except TransitionConflict:
            logger.info("outbound %s moved by someone else", tx.pk)
    return counts, transport_error


def _record_attempts(chunk, outcomes, calls, duration_ms) -> None:
    trimmed = [dict(call) for call in calls[:MAX_CALLS_PER_EVENT]]
    events = []
    for tx, outcome in zip(chunk, outcomes, strict=True):
        detail = {
            "attempt": tx.attempts,
            "batch_size": len(chunk),
            "round_trips": len(calls),
            "calls": trimmed,
        }
        error_code = error_message = ""
        if isinstance(outcome, ConnectorError):
            detail["outcome"] = "transient_error" if not outcome.permanent else "permanent_error"
            error_code, error_message = outcome.code, str(outcome)
        else:
            detail["outcome"] = "ok"
            detail["external_id"] = str(outcome.external_id)
            detail["created"] = outcome.created
        events.append(
            {
                "transaction_id": tx.pk,
                "kind": EventKind.ATTEMPT,
                "from_status": tx.status,
                "to_status": tx.status,
                "actor": ACTOR,
                "detail": detail,
                "error_code": error_code[:100],
                "error_message": error_message[:4000],
                "duration_ms": duration_ms,
            }
        )
    transaction_events_bulk_create(events=events)


def _delivered(tx: Transaction, system, result) -> None:
    external_id = str(result.external_id)
    with db_transaction.atomic():
        transaction_transition(
            transaction=tx,
            to_status=S.DELIVERED,
            actor=ACTOR,
            detail={"external_id": external_id, "created": result.created},
        )
        transaction_annotate(transaction=tx, external_id=external_id)
        if tx.subject_id:
            binding_set(
                system=system,
                domain=tx.subject_domain or tx.domain,
                canonical_id=tx.subject_id,
                external_id=external_id,
                project=tx.project if tx.project_id else None,
                transaction_id=tx.pk,
                values=tx.payload if isinstance(tx.payload, dict) else None,
            )
    for key in (delivery_trace_key(tx, system), refused_trace_key(tx, system)):
        exception_auto_resolve(
            trace_key=key, transaction=tx, reason=f"delivered to {system.code} as {external_id}"
        )
    _keep_response(tx, system, result)


def _keep_response(tx: Transaction, system, result) -> None:
    """Let the subject's handler keep what the target answered (Odoo's line ids for a PO).
    The delivery stands either way; a failure here is logged with the transaction, and the
    next pull of the record links the same values."""
    response = getattr(result, "response", None)
    if not response:
        return
    try:
        handler_for(tx.subject_domain or tx.domain).delivered(
            transaction=tx, system=system, response=response
        )
    except Exception:
        logger.exception(
            "transaction %s: keeping %s's answer failed (the next pull links it)",
            tx.pk,
            system.code,
        )


def _retry_or_dead(tx: Transaction, system, error: TransientError, settings_row) -> str:
    if tx.attempts >= tx.max_attempts:
        with db_transaction.atomic():
            item = exception_open(
                category=ExceptionCategory.DELIVERY_FAILED,
                title=f"{tx.domain} {tx.subject_id or tx.pk} could not be delivered to "
                f"{system.code}",
                reason=f"{system.code} kept failing after {tx.attempts} attempts; last error: "
                f"{error}. The transaction is dead-lettered: replay it once {system.code} "
                "is healthy.",
                trace_key=delivery_trace_key(tx, system),
                transaction=tx,
                system=system,
                details={"last_error": str(error)[:1000], "attempts": tx.attempts},
            )
            transaction_transition(
                transaction=tx,
                to_status=S.DEAD,
                actor=ACTOR,
                detail={"attempts": tx.attempts, "exception_item": item.pk},
                error_code=error.code[:100],
                error_message=str(error),
            )
        return "dead"
    if error.retry_after is not None:
        delay = float(error.retry_after)
    else:
        delay = backoff_seconds(
            tx.attempts,
            base=settings_row.backoff_base_seconds,
            maximum=settings_row.backoff_max_seconds,
        )
    transaction_transition(
        transaction=tx,
        to_status=S.RETRYING,
        actor=ACTOR,
        detail={"attempt": tx.attempts, "retry_in_seconds": round(delay, 2)},
        error_code=error.code[:100],
        error_message=str(error),
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
    )
    return "retrying"


def _fail(tx: Transaction, system, error: ConnectorError) -> None:
    with db_transaction.atomic():
        remote = f" ({error.remote_name})" if error.remote_name else ""
        item = exception_open(
            category=ExceptionCategory.PERMANENT_TARGET_ERROR,
            title=f"{system.code} refused {tx.domain} {tx.subject_id or tx.pk}",
            reason=f"{system.code} refused the {tx.operation} of {tx.domain} "
            f"{tx.subject_id or tx.pk}{remote}: {error.message}. Retrying cannot help: correct "
            "the data (or the target) and replay.",
            trace_key=refused_trace_key(tx, system),
            transaction=tx,
            system=system,
            details={"error_code": error.code, "remote_name": error.remote_name},
        )
        transaction_transition(
            transaction=tx,
            to_status=S.FAILED,
            actor=ACTOR,
            detail={"exception_item": item.pk, "remote_name": error.remote_name},
            error_code=error.code[:100],
            error_message=str(error),
        )


# --- waiting ------------------------------------------------------------------------------------


def _oldest_per_subject(system, transactions: list[Transaction]):
    """Split into rows that may go now and rows that must wait behind an older open delivery
    of the same subject (returned with when to look again)."""
    subjects = {(tx.subject_domain, tx.subject_id) for tx in transactions if tx.subject_id}
    if not subjects:
        return transactions, []
    oldest = {
        (row["subject_domain"], row["subject_id"]): row["first"]
        for row in Transaction.objects.filter(
            direction=Direction.OUTBOUND,
            system=system,
            status__in=list(OPEN_OUTBOUND),
            subject_id__in=[s for _, s in subjects],
        )
        .values("subject_domain", "subject_id")
        .annotate(first=Min("id"))
    }
    ready, waiting, seen = [], [], set()
    for tx in transactions:
        key = (tx.subject_domain, tx.subject_id)
        if not tx.subject_id:
            ready.append(tx)
        elif key in seen or oldest.get(key, tx.pk) < tx.pk:
            blocker = (
                Transaction.objects.filter(pk=oldest.get(key))
                .values_list("next_attempt_at", flat=True)
                .first()
            )
            until = max(blocker or timezone.now(), timezone.now()) + timedelta(seconds=1)
            waiting.append((tx, until))
        else:
            seen.add(key)
            ready.append(tx)
    return ready, waiting


def _defer(transactions: list[Transaction], *, until, reason: str) -> int:
    """Give claimed rows back for later without spending an attempt (the claim counted one)."""
    if not transactions:
        return 0
    ids = [tx.pk for tx in transactions]
    moved = Transaction.objects.filter(pk__in=ids, status__in=list(OPEN_OUTBOUND)).update(
        next_attempt_at=until,
        attempts=F("attempts") - 1,
        claimed_by="",
        lease_until=None,
        updated_at=timezone.now(),
    )
    _note(transactions, {"deferred": reason, "until": until.isoformat()})
    return moved


def _note(transactions: list[Transaction], detail: dict) -> None:
    try:
        transaction_events_bulk_create(
            events=[
                {
                    "transaction_id": tx.pk,
                    "kind": EventKind.NOTE,
                    "from_status": tx.status,
                    "to_status": tx.status,
                    "actor": ACTOR,
                    "detail": detail,
                }
                for tx in transactions
            ]
        )
    except Exception:
        logger.exception("could not record a delivery note")
