"""The dispatcher (DESIGN §4a): the transaction row is the outbox. Claim due rows in batches
with a lease (SKIP LOCKED on PostgreSQL, a conditional UPDATE on SQLite), hand them to the
processor for their direction, release the lease. A killed worker's rows come back when their
lease expires; a lost enqueue only delays work.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.db import connection
from django.db import transaction as db_transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.ledger.choices import (
    INBOUND_CLAIMABLE,
    INBOUND_RESUMABLE,
    OPEN_STATUSES,
    OUTBOUND_CLAIMABLE,
    Direction,
    EventKind,
    TransactionStatus,
)
from apps.ledger.models import Transaction, TransactionEvent
from apps.ledger.processors import PROCESSORS

logger = logging.getLogger(__name__)

_missing_logged: set[str] = set()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def lease_seconds() -> int:
    return int(getattr(settings, "LEDGER_LEASE_SECONDS", 300))


def _due_condition(direction: str, now) -> Q:
    """Rows with work due now and no live lease."""
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    due_time = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    if direction == Direction.INBOUND:
        statuses = (
            Q(status=TransactionStatus.RECEIVED)
            | Q(status=TransactionStatus.RETRYING, next_attempt_at__lte=now)
            # A worker died mid-pipeline: its lease ran out with the row half-way.
            | Q(status__in=INBOUND_RESUMABLE, lease_until__lt=now)
        )
        statuses &= Q(status__in=INBOUND_CLAIMABLE + INBOUND_RESUMABLE)
        return Q(direction=direction) & statuses & due_time & free
    return Q(direction=direction, status__in=OUTBOUND_CLAIMABLE) & due_time & free


def transactions_claim_due(
    *, direction: str, limit: int = 100, worker: str = "", ids: list[int] | None = None
) -> list[Transaction]:
    """Claim up to `limit` due transactions of one direction for this worker.

    Each claimed row gets `claimed_by` (a per-claim token starting with the worker name),
    `lease_until` = now + LEDGER_LEASE_SECONDS and attempts + 1 (so a row that kills its worker
    every time still runs out of attempts). `ids` restricts the claim to those rows (the
    on-commit shortcut). Two claimers never get the same row.
    """
    now = timezone.now()
    token = f"{(worker or worker_name())[:80]}#{uuid.uuid4().hex[:8]}"
    lease_until = now + timedelta(seconds=lease_seconds())
    base = Transaction.objects.filter(_due_condition(direction, now))
    if ids is not None:
        base = base.filter(id__in=ids)
    with db_transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            # PostgreSQL: rows another claimer holds locked are skipped, not waited for.
            candidate_ids = list(
                base.order_by("id")
                .select_for_update(skip_locked=True)
                .values_list("id", flat=True)[:limit]
            )
        else:
            candidate_ids = list(base.order_by("id").values_list("id", flat=True)[:limit])
        if not candidate_ids:
            return []
        # The conditional UPDATE re-checks "still due and free": on SQLite it is what makes the
        # claim exclusive; on PostgreSQL the row locks already do.
        Transaction.objects.filter(_due_condition(direction, now), id__in=candidate_ids).update(
            claimed_by=token, lease_until=lease_until, attempts=F("attempts") + 1
        )
    return list(
        Transaction.objects.filter(claimed_by=token).select_related("system").order_by("id")
    )


def transactions_release(*, transactions: list[Transaction]) -> int:
    """Drop the lease on rows this claim still holds, except rows left `received` (the processor
    did not move them): those keep their lease until it expires, so a processor that cannot
    handle a row does not spin on it."""
    by_token: dict[str, list[int]] = {}
    for tx in transactions:
        if tx.claimed_by:
            by_token.setdefault(tx.claimed_by, []).append(tx.id)
    released = 0
    for token, ids in by_token.items():
        released += (
            Transaction.objects.filter(id__in=ids, claimed_by=token)
            .exclude(status=TransactionStatus.RECEIVED)
            .update(claimed_by="", lease_until=None)
        )
    return released


def processor_for(direction: str) -> Callable | None:
    path = PROCESSORS.get(direction, "")
    module_name, _, attr = path.rpartition(".")
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            if path not in _missing_logged:
                _missing_logged.add(path)
                logger.warning("no %s processor yet (%s missing): rows left alone", direction, path)
            return None
        raise
    processor = getattr(module, attr, None)
    if processor is None and path not in _missing_logged:
        _missing_logged.add(path)
        logger.warning("no %s processor yet (%s missing): rows left alone", direction, path)
    return processor


def _record_processor_crash(claimed: list[Transaction], exc: Exception) -> None:
    """A processor raised: say so on every claimed row still open (nothing silent). The rows
    keep their lease and come back after it expires."""
    message = f"{exc.__class__.__name__}: {exc}"[:2000]
    now = timezone.now()
    open_ids = list(
        Transaction.objects.filter(
            id__in=[tx.id for tx in claimed], status__in=OPEN_STATUSES
        ).values_list("id", "status")
    )
    if not open_ids:
        return
    Transaction.objects.filter(id__in=[i for i, _ in open_ids]).update(
        last_error_code="processor_error", last_error_message=message, updated_at=now
    )
    TransactionEvent.objects.bulk_create(
        [
            TransactionEvent(
                transaction_id=tx_id,
                kind=EventKind.NOTE,
                from_status=status,
                to_status=status,
                actor_label="dispatcher",
                detail={"processor_error": message},
                error_code="processor_error",
                error_message=message,
                at=now,
            )
            for tx_id, status in open_ids
        ]
    )


def transactions_process_claimed(*, direction: str, claimed: list[Transaction]) -> int:
    """Hand claimed rows to their processor; release leases afterwards."""
    if not claimed:
        return 0
    processor = processor_for(direction)
    if processor is None:
        # Give the rows back untouched (lease dropped, attempt not counted).
        Transaction.objects.filter(
            id__in=[tx.id for tx in claimed], claimed_by=claimed[0].claimed_by
        ).update(claimed_by="", lease_until=None, attempts=F("attempts") - 1)
        return 0
    try:
        processor(claimed)
    except Exception as exc:
        logger.exception("%s processor failed on %d transaction(s)", direction, len(claimed))
        _record_processor_crash(claimed, exc)
        return 0
    transactions_release(transactions=claimed)
    return len(claimed)


def dispatch_once(*, limit: int = 100, worker: str = "") -> int:
    """One round: claim and process due rows of each direction. Returns how many were handed to
    a processor."""
    handled = 0
    worker = worker or worker_name()
    for direction in (Direction.INBOUND, Direction.OUTBOUND):
        if processor_for(direction) is None:
            continue
        claimed = transactions_claim_due(direction=direction, limit=limit, worker=worker)
        handled += transactions_process_claimed(direction=direction, claimed=claimed)
    return handled


def ledger_sweep(*, stuck_after_seconds: int | None = None) -> dict[str, int]:
    """Release expired leases (a killed worker's rows) and count what is due or stuck, so the
    caller can enqueue a dispatch. Idempotent; safe to run from any number of places."""
    now = timezone.now()
    # Mid-pipeline rows keep their expired lease: it is what marks them for resumption.
    released = (
        Transaction.objects.filter(
            status__in=[*INBOUND_CLAIMABLE, *OUTBOUND_CLAIMABLE], lease_until__lt=now
        )
        .exclude(claimed_by="")
        .update(claimed_by="", lease_until=None)
    )
    due = sum(
        Transaction.objects.filter(_due_condition(direction, now)).count()
        for direction in (Direction.INBOUND, Direction.OUTBOUND)
    )
    stuck_after = stuck_after_seconds or int(getattr(settings, "LEDGER_STUCK_SECONDS", 900))
    stuck = Transaction.objects.filter(
        status__in=[
            TransactionStatus.RECEIVED,
            TransactionStatus.VALIDATED,
            TransactionStatus.MAPPED,
        ],
        updated_at__lt=now - timedelta(seconds=stuck_after),
    ).count()
    if released or stuck:
        logger.warning("ledger sweep: %d lease(s) released, %d due, %d stuck", released, due, stuck)
    return {"released": released, "due": due, "stuck": stuck}
