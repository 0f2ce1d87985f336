"""Writes to the ledger. The processing contract other apps rely on (keep these names stable):
transaction_record_inbound, transaction_create_outbound, transaction_transition,
transactions_transition_bulk, transaction_events_bulk_create, transaction_event_record,
transaction_annotate, transaction_references_add, transaction_replay."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
import uuid
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.db import transaction as db_transaction
from django.db.models.base import ModelState
from django.utils import timezone

from apps.ledger.choices import (
    ALLOWED_TRANSITIONS,
    REPLAYABLE_STATUSES,
    TERMINAL_STATUSES,
    Direction,
    EventKind,
    TransactionStatus,
    Trigger,
)
from apps.ledger.errors import IllegalTransition, TransitionConflict
from apps.ledger.models import (
    RefusedRequest,
    Transaction,
    TransactionEvent,
    TransactionFile,
    TransactionReference,
)

logger = logging.getLogger(__name__)

# Well-known payload keys whose value is a business reference worth finding from the search box.
# Ingest keeps the first one it finds on the row (no extra INSERT on the hot path).
REFERENCE_KEYS = (
    "po_number",
    "purchase_order",
    "invoice_number",
    "invoice_ref",
    "bill_number",
    "activity_id",
    "task_code",
    "change_order_number",
    "document_number",
    "submittal_number",
    "reference",
    "number",
)
MAX_ERROR_MESSAGE = 4000


@dataclass(frozen=True)
class InboundFile:
    """A file received by a file feed, stored next to its transaction."""

    name: str
    content: bytes
    content_type: str = ""


def correlation_id_new() -> str:
    """32 hex characters like a UUIDv7: 48 bits of milliseconds, then 80 random bits. Ids made
    later sort later, so the correlation index is appended to rather than split at random."""
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


def business_reference_from(payload: Any) -> str:
    """The first well-known business reference in a payload (top level, then `data`)."""
    for candidate in (payload, payload.get("data") if isinstance(payload, dict) else None):
        if not isinstance(candidate, dict):
            continue
        for key in REFERENCE_KEYS:
            value = candidate.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
                return str(value)[:120]
    return ""


def _actor_label(actor) -> tuple[Any, str]:
    """(user or None, label) for an event's actor: a user, or a worker/system name."""
    if actor is None:
        return None, "system"
    if isinstance(actor, str):
        return None, actor[:150] or "system"
    if getattr(actor, "is_authenticated", False):
        return actor, actor.get_username()[:150]
    return None, str(actor)[:150]


def _canonical_json(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


# --- the one INSERT ---------------------------------------------------------------------------

_insert_plan: tuple[str, list[tuple[str, Any]]] | None = None


def _insert_statement() -> tuple[str, list[tuple[str, Any]]]:
    """INSERT … ON CONFLICT (system, direction, idempotency_key) DO NOTHING RETURNING id, and
    for each column the converter its value needs (None = passed as is).

    Both PostgreSQL and SQLite (≥ 3.35) speak it. One statement, no savepoint, no
    IntegrityError round trip: a duplicate returns no row and the caller looks the original up.
    Built from the model's fields once per process so it can never drift from the schema; only
    JSON (and, on SQLite, date-time) columns need Django's conversion — calling
    get_db_prep_save on all 36 columns was a third of the ingest's Python time.
    """
    global _insert_plan
    if _insert_plan is None:
        real = connections[connection.alias]  # the wrapper itself, not the per-call proxy
        fields = [f for f in Transaction._meta.concrete_fields if f.name != "id"]
        table = real.ops.quote_name(Transaction._meta.db_table)
        columns = ", ".join(real.ops.quote_name(f.column) for f in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        converted = {"JSONField", "BinaryField"}
        if real.vendor != "postgresql":
            converted |= {"DateTimeField"}
        plan = [
            (
                f.attname,
                partial(f.get_db_prep_save, connection=real)
                if f.get_internal_type() in converted
                else None,
            )
            for f in fields
        ]
        # Identifiers come from the model's meta; every value is a query parameter.
        sql = (
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) "  # noqa: S608
            "ON CONFLICT (system_id, direction, idempotency_key) DO NOTHING RETURNING id"
        )
        _insert_plan = (sql, plan)
    return _insert_plan


def _transaction_new(**values) -> Transaction:
    """A Transaction built without Model.__init__ (37 fields: a tenth of the ingest's Python
    time). Callers pass every concrete field but `id`; nothing listens to init signals here."""
    tx = Transaction.__new__(Transaction)
    tx._state = ModelState()
    tx.__dict__.update(values)
    tx.id = None
    return tx


_prepared_cursor_class = None


def _prepared_cursor():
    """PostgreSQL: a Django cursor whose statements run server-side prepared. Django binds
    parameters client-side and disables prepared statements (for PgBouncer), so PostgreSQL
    would parse and plan this 36-column INSERT on every request; prepared, it is planned once
    per connection — about a fifth of the ingest's server CPU (benchmarks/bench_ingest.py).
    Wrapped like any Django cursor, so query logging and execute wrappers still see it."""
    global _prepared_cursor_class
    if _prepared_cursor_class is None:
        import psycopg

        class PreparedCursor(psycopg.Cursor):
            def execute(self, query, params=None, *, prepare=None, binary=None):
                return super().execute(query, params, prepare=True, binary=binary)

        _prepared_cursor_class = PreparedCursor
    connection.ensure_connection()
    if connection.connection.prepare_threshold is None:
        # Django turns preparation off per connection (None); a threshold nobody reaches lets
        # this cursor's explicit prepare=True work while every other query stays unprepared.
        connection.connection.prepare_threshold = 10**9
    raw = _prepared_cursor_class(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


def _insert_unless_duplicate(tx: Transaction) -> bool:
    """Insert the row; True if inserted (tx.id set), False if the key exists (tx.id = original)."""
    sql, plan = _insert_statement()
    values = tx.__dict__
    params = [
        values[attname] if convert is None else convert(values[attname])
        for attname, convert in plan
    ]
    prepared = connection.vendor == "postgresql" and getattr(
        settings, "LEDGER_PREPARED_INSERT", True
    )
    with _prepared_cursor() if prepared else connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is not None:
        tx.id = row[0]
        tx._state.adding = False
        tx._state.db = connection.alias
        return True
    tx.id = (
        Transaction.objects.filter(
            system_id=tx.system_id, direction=tx.direction, idempotency_key=tx.idempotency_key
        )
        .values_list("id", flat=True)
        .first()
    )
    return False


def _project_id(project) -> int | None:
    if project is None or isinstance(project, int):
        return project
    return project.pk


# --- creation ---------------------------------------------------------------------------------


def transaction_record_inbound(
    *,
    system,
    domain: str,
    operation: str,
    payload: Any,
    idempotency_key: str,
    trigger: str,
    external_id: str = "",
    subject_domain: str = "",
    subject_id: str = "",
    project=None,
    correlation_id: str = "",
    parent: Transaction | None = None,
    schema_version: str = "",
    raw_body: str = "",
    payload_sha256: str = "",
    size_bytes: int | None = None,
    reference: str | None = None,
    file: InboundFile | None = None,
    occurred_at: datetime | None = None,
    received_at: datetime | None = None,
) -> tuple[Transaction, bool]:
    """Record one inbound message (webhook, pull, file) as a `received` transaction, once.

    Returns (transaction, created). A repeated (system, inbound, idempotency_key) creates nothing
    and returns the original (only its id is loaded on the duplicate path). The row is the
    outbox: the dispatcher picks it up; the "received" event is implied by the row itself.
    """
    if not idempotency_key:
        raise ValueError("an inbound transaction needs an idempotency key")
    now = received_at or timezone.now()
    if not payload_sha256:
        if file is not None:
            payload_sha256 = hashlib.sha256(file.content).hexdigest()
        elif raw_body:
            payload_sha256 = hashlib.sha256(raw_body.encode("utf-8")).hexdigest()
        else:
            payload_sha256 = hashlib.sha256(_canonical_json(payload).encode("utf-8")).hexdigest()
    if size_bytes is None:
        size_bytes = len(file.content) if file is not None else len(raw_body.encode("utf-8"))
    root_id = None
    if parent is not None:
        root_id = parent.root_id or parent.id
        correlation_id = correlation_id or parent.correlation_id
        if project is None:
            project = parent.project_id
    tx = _transaction_new(
        direction=Direction.INBOUND,
        system_id=system if isinstance(system, int) else system.pk,
        domain=domain[:50],
        operation=operation[:50],
        idempotency_key=idempotency_key[:255],
        external_id=str(external_id or "")[:255],
        reference=(business_reference_from(payload) if reference is None else reference)[:120],
        subject_domain=subject_domain[:50],
        subject_id=str(subject_id or "")[:255],
        project_id=_project_id(project),
        correlation_id=(correlation_id or correlation_id_new())[:64],
        parent_id=parent.id if parent is not None else None,
        root_id=root_id,
        trigger=trigger,
        schema_version=schema_version[:20],
        raw_body=raw_body,
        payload=payload,
        canonical_payload=None,
        payload_sha256=payload_sha256,
        size_bytes=size_bytes,
        status=TransactionStatus.RECEIVED,
        attempts=0,
        max_attempts=8,
        next_attempt_at=None,
        last_error_code="",
        last_error_message="",
        claimed_by="",
        lease_until=None,
        occurred_at=occurred_at,
        received_at=now,
        updated_at=now,
        completed_at=None,
        duration_ms=None,
    )
    if file is None:
        created = _insert_unless_duplicate(tx)
        return tx, created
    with db_transaction.atomic():
        created = _insert_unless_duplicate(tx)
        if created:
            TransactionFile.objects.create(
                transaction_id=tx.id,
                file_name=file.name[:255] or "upload",
                content_type=file.content_type[:100],
                size_bytes=len(file.content),
                sha256=hashlib.sha256(file.content).hexdigest(),
                content=file.content,
                created_at=now,
            )
    return tx, created


def transaction_create_outbound(
    *,
    parent: Transaction | None,
    system,
    domain: str,
    operation: str,
    payload: Any,
    idempotency_key: str,
    subject_domain: str = "",
    subject_id: str = "",
    external_id: str = "",
    project=None,
    trigger: str | None = None,
    max_attempts: int = 8,
    next_attempt_at: datetime | None = None,
) -> Transaction:
    """Create a `pending` outbound transaction (the outbox row the dispatcher delivers).

    Lineage comes from the parent: root, correlation id, project and trigger. Idempotent: the
    same (system, outbound, idempotency_key) returns the existing row, so re-running a routing
    step never creates a second delivery. `transaction._created` tells which happened.
    """
    if not idempotency_key:
        raise ValueError("an outbound transaction needs an idempotency key")
    now = timezone.now()
    if parent is not None:
        root_id = parent.root_id or parent.id
        correlation_id = parent.correlation_id
        project_id = _project_id(project) if project is not None else parent.project_id
        trigger = trigger or parent.trigger
    else:
        root_id = None
        correlation_id = correlation_id_new()
        project_id = _project_id(project)
        trigger = trigger or Trigger.MANUAL
    tx = _transaction_new(
        direction=Direction.OUTBOUND,
        system_id=system if isinstance(system, int) else system.pk,
        domain=domain[:50],
        operation=operation[:50],
        idempotency_key=idempotency_key[:255],
        external_id=str(external_id or "")[:255],
        reference=business_reference_from(payload),
        subject_domain=subject_domain[:50],
        subject_id=str(subject_id or "")[:255],
        project_id=project_id,
        correlation_id=correlation_id,
        parent_id=parent.id if parent is not None else None,
        root_id=root_id,
        trigger=trigger,
        schema_version="",
        raw_body="",
        payload=payload,
        canonical_payload=None,
        payload_sha256=hashlib.sha256(_canonical_json(payload).encode("utf-8")).hexdigest(),
        size_bytes=0,
        status=TransactionStatus.PENDING,
        attempts=0,
        max_attempts=max_attempts,
        next_attempt_at=next_attempt_at,
        last_error_code="",
        last_error_message="",
        claimed_by="",
        lease_until=None,
        occurred_at=None,
        received_at=now,
        updated_at=now,
        completed_at=None,
        duration_ms=None,
    )
    created = _insert_unless_duplicate(tx)
    if not created:
        tx = Transaction.objects.get(id=tx.id)
    tx._created = created
    return tx


# --- status changes ---------------------------------------------------------------------------


def _check_transition(from_status: str, to_status: str, transaction_id) -> None:
    if to_status not in ALLOWED_TRANSITIONS.get(from_status, set()):
        raise IllegalTransition(
            f"Transaction #{transaction_id} cannot go from {from_status} to {to_status}.",
            from_status=from_status,
            to_status=to_status,
        )


def _status_updates(
    *,
    tx_received_at: datetime | None,
    to_status: str,
    now: datetime,
    error_code: str,
    error_message: str,
    next_attempt_at: datetime | None,
) -> dict:
    updates: dict[str, Any] = {
        "status": to_status,
        "updated_at": now,
        "next_attempt_at": next_attempt_at,
    }
    if error_code or error_message:
        updates["last_error_code"] = error_code[:100]
        updates["last_error_message"] = error_message[:MAX_ERROR_MESSAGE]
    if to_status in TERMINAL_STATUSES:
        updates["completed_at"] = now
        updates["claimed_by"] = ""
        updates["lease_until"] = None
        if tx_received_at is not None:
            updates["duration_ms"] = max(0, int((now - tx_received_at).total_seconds() * 1000))
    return updates


def transaction_transition(
    *,
    transaction: Transaction,
    to_status: str,
    actor=None,
    detail: dict | None = None,
    error_code: str = "",
    error_message: str = "",
    next_attempt_at: datetime | None = None,
) -> Transaction:
    """Move a transaction to `to_status` and append the TransactionEvent.

    Raises IllegalTransition for a move DESIGN §4 does not allow, and TransitionConflict (a
    subclass) when the row is no longer in the status this instance holds: the UPDATE is
    conditional on it, so two workers can never both move the same transaction.
    """
    from_status = transaction.status
    _check_transition(from_status, to_status, transaction.id)
    now = timezone.now()
    updates = _status_updates(
        tx_received_at=transaction.received_at,
        to_status=to_status,
        now=now,
        error_code=error_code,
        error_message=error_message,
        next_attempt_at=next_attempt_at,
    )
    user, label = _actor_label(actor)
    # Inside the caller's transaction (the pipeline processes each transaction in its own
    # savepoint) both writes already commit or roll back together: a nested savepoint would
    # only add two round trips per transition. The conflict is raised before any write.
    in_callers_transaction = db_transaction.get_connection().in_atomic_block
    with nullcontext() if in_callers_transaction else db_transaction.atomic():
        moved = Transaction.objects.filter(id=transaction.id, status=from_status).update(**updates)
        if not moved:
            current = (
                Transaction.objects.filter(id=transaction.id)
                .values_list("status", flat=True)
                .first()
            )
            raise TransitionConflict(
                f"Transaction #{transaction.id} is {current or 'missing'}, not {from_status}: "
                "someone else moved it first.",
                from_status=from_status,
                to_status=to_status,
            )
        TransactionEvent.objects.create(
            transaction_id=transaction.id,
            kind=EventKind.TRANSITION,
            from_status=from_status,
            to_status=to_status,
            actor=user,
            actor_label=label,
            detail=detail or {},
            error_code=error_code[:100],
            error_message=error_message[:MAX_ERROR_MESSAGE],
            at=now,
        )
    for key, value in updates.items():
        setattr(transaction, key, value)
    return transaction


def transactions_transition_bulk(
    *,
    transactions: Iterable[Transaction],
    to_status: str,
    actor=None,
    detail: dict | None = None,
    error_code: str = "",
    error_message: str = "",
    next_attempt_at: datetime | None = None,
) -> list[Transaction]:
    """Move many transactions at once: one conditional UPDATE per current status and one bulk
    INSERT of events. Returns the transactions actually moved (others were moved by someone
    else meanwhile and are left alone). Raises IllegalTransition before writing anything if
    any move is not allowed."""
    transactions = list(transactions)
    if not transactions:
        return []
    for tx in transactions:
        _check_transition(tx.status, to_status, tx.id)
    now = timezone.now()
    user, label = _actor_label(actor)
    by_status: dict[str, list[Transaction]] = {}
    for tx in transactions:
        by_status.setdefault(tx.status, []).append(tx)
    moved: list[Transaction] = []
    with db_transaction.atomic():
        for from_status, group in by_status.items():
            ids = [tx.id for tx in group]
            # Lock-free and race-safe: only rows still in from_status move; the ids that moved
            # are read back inside the same transaction before anyone else can commit a change.
            candidates = Transaction.objects.filter(id__in=ids, status=from_status)
            if connection.features.has_select_for_update_skip_locked:
                still = set(
                    candidates.select_for_update(skip_locked=True).values_list("id", flat=True)
                )
            else:
                still = set(candidates.values_list("id", flat=True))
            if not still:
                continue
            updates = _status_updates(
                tx_received_at=None,
                to_status=to_status,
                now=now,
                error_code=error_code,
                error_message=error_message,
                next_attempt_at=next_attempt_at,
            )
            Transaction.objects.filter(id__in=still, status=from_status).update(**updates)
            for tx in group:
                if tx.id not in still:
                    continue
                for key, value in updates.items():
                    setattr(tx, key, value)
                moved.append((tx, from_status))
        if to_status in TERMINAL_STATUSES and moved:
            # duration needs each row's own received_at
            for tx, _ in moved:
                tx.duration_ms = max(0, int((now - tx.received_at).total_seconds() * 1000))
            Transaction.objects.bulk_update([tx for tx, _ in moved], ["duration_ms"])
        TransactionEvent.objects.bulk_create(
            [
                TransactionEvent(
                    transaction_id=tx.id,
                    kind=EventKind.TRANSITION,
                    from_status=from_status,
                    to_status=to_status,
                    actor=user,
                    actor_label=label,
                    detail=detail or {},
                    error_code=error_code[:100],
                    error_message=error_message[:MAX_ERROR_MESSAGE],
                    at=now,
                )
                for tx, from_status in moved
            ]
        )
    return [tx for tx, _ in moved]


def transaction_events_bulk_create(*, events: Iterable[TransactionEvent | dict]) -> int:
    """Append many events in one INSERT (attempt timings, notes). Dicts are TransactionEvent
    keyword arguments; `at` defaults to now and `actor` may be a user or a label."""
    now = timezone.now()
    rows: list[TransactionEvent] = []
    for event in events:
        if isinstance(event, dict):
            values = dict(event)
            if "transaction" in values:
                values["transaction_id"] = values.pop("transaction").id
            if "actor" in values:
                user, label = _actor_label(values.pop("actor"))
                values.setdefault("actor_label", label)
                values["actor"] = user
            values.setdefault("at", now)
            event = TransactionEvent(**values)
        elif event.at is None:
            event.at = now
        rows.append(event)
    TransactionEvent.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def transaction_event_record(
    *,
    transaction: Transaction,
    kind: str = EventKind.NOTE,
    detail: dict | None = None,
    actor=None,
    error_code: str = "",
    error_message: str = "",
    duration_ms: int | None = None,
) -> TransactionEvent:
    """Append one attempt or note event (no status change), e.g. an Odoo round trip."""
    user, label = _actor_label(actor)
    return TransactionEvent.objects.create(
        transaction_id=transaction.id,
        kind=kind,
        from_status=transaction.status,
        to_status=transaction.status,
        actor=user,
        actor_label=label,
        detail=detail or {},
        error_code=error_code[:100],
        error_message=error_message[:MAX_ERROR_MESSAGE],
        duration_ms=duration_ms,
        at=timezone.now(),
    )


# --- enrichment by the pipeline ---------------------------------------------------------------


def transaction_annotate(
    *,
    transaction: Transaction,
    canonical_payload: Any = None,
    project=None,
    subject_domain: str | None = None,
    subject_id: str | None = None,
    external_id: str | None = None,
    schema_version: str | None = None,
    references: dict[str, str] | Iterable[tuple[str, str]] | None = None,
) -> Transaction:
    """Record what the pipeline learned about a transaction (canonical payload, project,
    subject, references). These are derived fields; what was received is never changed."""
    updates: dict[str, Any] = {}
    if canonical_payload is not None:
        updates["canonical_payload"] = canonical_payload
    if project is not None:
        updates["project_id"] = _project_id(project)
    if subject_domain is not None:
        updates["subject_domain"] = subject_domain[:50]
    if subject_id is not None:
        updates["subject_id"] = str(subject_id)[:255]
    if external_id is not None:
        updates["external_id"] = str(external_id)[:255]
    if schema_version is not None:
        updates["schema_version"] = schema_version[:20]
    if updates:
        updates["updated_at"] = timezone.now()
        Transaction.objects.filter(id=transaction.id).update(**updates)
        for key, value in updates.items():
            setattr(transaction, key, value)
    if references:
        transaction_references_add(transaction=transaction, references=references)
    return transaction


def transaction_references_add(
    *, transaction: Transaction, references: dict[str, str] | Iterable[tuple[str, str]]
) -> int:
    """Attach business references (kind → value) so the ledger search finds the transaction."""
    pairs = references.items() if isinstance(references, dict) else references
    rows = [
        TransactionReference(transaction_id=transaction.id, kind=str(k)[:40], value=str(v)[:120])
        for k, v in pairs
        if v not in (None, "")
    ]
    TransactionReference.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# --- replay -----------------------------------------------------------------------------------


def transaction_replay(
    *,
    transaction: Transaction,
    actor,
    payload_override: Any = None,
    reason: str = "",
) -> Transaction:
    """Replay a transaction: a new child (trigger=replay) that goes through processing or
    delivery again. The original is untouched except for a note on its timeline."""
    from apps.audit.services import audit_record

    if transaction.status not in REPLAYABLE_STATUSES:
        raise IllegalTransition(
            f"Transaction #{transaction.id} is {transaction.status}; only transactions at rest "
            "(delivered, failed, dead, held, ignored, duplicate) can be replayed.",
            from_status=transaction.status,
            to_status="replay",
            code="not_replayable",
        )
    payload = transaction.payload if payload_override is None else payload_override
    key = f"{transaction.idempotency_key[:200]}#replay-{uuid.uuid4().hex[:12]}"
    user, label = _actor_label(actor)
    now = timezone.now()
    with db_transaction.atomic():
        if transaction.direction == Direction.OUTBOUND:
            child = transaction_create_outbound(
                parent=transaction,
                system=transaction.system_id,
                domain=transaction.domain,
                operation=transaction.operation,
                payload=payload,
                idempotency_key=key,
                subject_domain=transaction.subject_domain,
                subject_id=transaction.subject_id,
                external_id=transaction.external_id,
                project=transaction.project_id,
                trigger=Trigger.REPLAY,
                max_attempts=transaction.max_attempts,
            )
        else:
            child, _ = transaction_record_inbound(
                system=transaction.system_id,
                domain=transaction.domain,
                operation=transaction.operation,
                payload=payload,
                idempotency_key=key,
                trigger=Trigger.REPLAY,
                external_id=transaction.external_id,
                subject_domain=transaction.subject_domain,
                subject_id=transaction.subject_id,
                project=transaction.project_id,
                parent=transaction,
                schema_version=transaction.schema_version,
                # the raw body belongs to the original delivery; an override has none
                raw_body=transaction.raw_body if payload_override is None else "",
                reference=transaction.reference,
                occurred_at=transaction.occurred_at,
            )
            child = Transaction.objects.get(id=child.id)
            original_file = TransactionFile.objects.filter(transaction_id=transaction.id).first()
            if original_file is not None:
                TransactionFile.objects.create(
                    transaction_id=child.id,
                    file_name=original_file.file_name,
                    content_type=original_file.content_type,
                    size_bytes=original_file.size_bytes,
                    sha256=original_file.sha256,
                    content=original_file.content,
                    created_at=now,
                )
        detail = {"replay_of": transaction.id, "reason": reason[:1000]}
        if payload_override is not None:
            detail["payload_overridden"] = True
        TransactionEvent.objects.bulk_create(
            [
                TransactionEvent(
                    transaction_id=child.id,
                    kind=EventKind.NOTE,
                    from_status="",
                    to_status=child.status,
                    actor=user,
                    actor_label=label,
                    detail=detail,
                    at=now,
                ),
                TransactionEvent(
                    transaction_id=transaction.id,
                    kind=EventKind.NOTE,
                    from_status=transaction.status,
                    to_status=transaction.status,
                    actor=user,
                    actor_label=label,
                    detail={"replayed_as": child.id, "reason": reason[:1000]},
                    at=now,
                ),
            ]
        )
        audit_record(
            actor=user,
            actor_label="" if user else label,
            action="ledger.transaction.replay",
            target=child,
            detail={
                "original": transaction.id,
                "reason": reason[:1000],
                "payload_overridden": payload_override is not None,
            },
        )
    return child


# --- refused requests -------------------------------------------------------------------------


def refused_request_record(
    *,
    system_code: str,
    endpoint: str,
    http_status: int,
    reason: str,
    message: str,
    size_bytes: int = 0,
    body_sha256: str = "",
    source_address: str | None = None,
    headers: dict | None = None,
    body_excerpt: str = "",
    signature_valid: bool = False,
) -> RefusedRequest:
    """Record a refused ingest request for admins (never the body of an unauthenticated one)."""
    return RefusedRequest.objects.create(
        system_code=system_code[:100],
        endpoint=endpoint[:20],
        http_status=http_status,
        reason=reason[:40],
        message=message[:500],
        size_bytes=size_bytes,
        body_sha256=body_sha256,
        source_address=source_address or None,
        headers=headers or {},
        body_excerpt=body_excerpt if signature_valid else "",
        signature_valid=signature_valid,
        at=timezone.now(),
    )
