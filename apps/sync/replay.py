"""Release, override and replay: how a fixed problem gets its transactions moving again.

Nothing is edited or deleted: a held transaction is released in place (held → received, the
pipeline runs it again with an event saying who released it and why); anything at rest is
replayed as a child transaction (trigger=replay) linked to the original. Replaying a money
transaction that a person overrode (a payload correction, or an accepted SoR conflict /
overridden control) needs a second person: a ReplayRequest that someone else approves.

Entry points for the exception queue and the ledger UI:
    transaction_release(*, transaction, actor, reason)
    transaction_override_accept(*, transaction, actor, stage, reason)        stage: sor|controls
    transaction_replay_one(*, transaction, actor, reason, payload_override=None)
        -> Transaction (the child) | ReplayRequest (waiting for a second person)
    replay_request_approve(*, request, actor, note="") / replay_request_reject(...)
    mapping_fix_and_replay(*, item, actor, canonical_value, note="", project=None)
    replay_bulk_start(*, actor, filters, reason) -> JobRun        (progress at /jobs/<id>/)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction as db_transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.audit.services import audit_record
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.exceptions.choices import ResolutionAction
from apps.exceptions.models import ExceptionItem
from apps.exceptions.selectors import exception_transaction_ids
from apps.exceptions.services import exception_resolve
from apps.ledger.choices import REPLAYABLE_STATUSES, Direction, TransactionStatus
from apps.ledger.errors import IllegalTransition
from apps.ledger.models import Transaction
from apps.ledger.services import transaction_replay, transaction_transition
from apps.sync.choices import JobKind, JobStatus, ReplayRequestStatus
from apps.sync.handlers import handler_for
from apps.sync.models import JobRun, ReplayRequest, TransactionOverride

logger = logging.getLogger(__name__)
S = TransactionStatus


def _actor_name(actor) -> str:
    return actor.get_username() if getattr(actor, "is_authenticated", False) else "system"


# --- release and override -----------------------------------------------------------------------


def transaction_release(*, transaction: Transaction, actor, reason: str) -> Transaction:
    """Send a held transaction back through processing (inbound) or delivery (outbound)."""
    if transaction.status != S.HELD:
        raise ApplicationError(
            f"Transaction {transaction.pk} is {transaction.status}, not held.", code="not_held"
        )
    to_status = S.RECEIVED if transaction.direction == Direction.INBOUND else S.PENDING
    return transaction_transition(
        transaction=transaction,
        to_status=to_status,
        actor=actor,
        detail={"released_by": _actor_name(actor), "reason": reason},
    )


@db_transaction.atomic
def transaction_override_accept(
    *, transaction: Transaction, actor, stage: str, reason: str
) -> Transaction:
    """A reviewer lets a held transaction past the SoR check or the controls, and releases it."""
    reason = (reason or "").strip()
    if stage not in ("sor", "controls"):
        raise ApplicationError(f"Unknown stage {stage!r}.", code="bad_stage")
    if not reason:
        raise ApplicationError("Say why the transaction may pass.", code="reason_required")
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDeniedError("An override needs a person.")
    TransactionOverride.objects.create(
        transaction_id=transaction.pk, stage=stage, actor=actor, reason=reason
    )
    audit_record(
        actor=actor,
        action=f"sync.override.{stage}",
        target=transaction,
        detail={"reason": reason, "domain": transaction.domain},
    )
    return transaction_release(
        transaction=transaction, actor=actor, reason=f"override ({stage}): {reason}"
    )


# --- replay -------------------------------------------------------------------------------------


def replay_needs_second_person(*, transaction: Transaction, payload_override=None) -> bool:
    """Segregation of duties: a money transaction that a person overrode (corrected payload,
    accepted SoR conflict, overridden control) is replayed only with a second person."""
    if not handler_for(transaction.domain).is_financial:
        return False
    if payload_override is not None:
        return True
    ids = [transaction.pk] + ([transaction.parent_id] if transaction.parent_id else [])
    return TransactionOverride.objects.filter(transaction_id__in=ids).exists()


def _replay_now(*, transaction: Transaction, actor, reason: str, payload_override=None):
    with db_transaction.atomic():
        child = transaction_replay(
            transaction=transaction,
            actor=actor,
            payload_override=payload_override,
            reason=reason,
        )
        if transaction.status == S.HELD:
            # The replay takes over: the held original is closed as superseded, not left waiting.
            transaction_transition(
                transaction=transaction,
                to_status=S.IGNORED,
                actor=actor,
                detail={"superseded_by_replay": child.pk, "reason": reason},
            )
    return child


def transaction_replay_one(
    *, transaction: Transaction, actor, reason: str, payload_override=None
) -> Transaction | ReplayRequest:
    """Replay one transaction as a child; or, when SoD applies, ask for a second person."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why the transaction is replayed.", code="reason_required")
    if transaction.status not in REPLAYABLE_STATUSES:
        raise ApplicationError(
            f"Transaction {transaction.pk} is {transaction.status}; only transactions at rest "
            "can be replayed.",
            code="not_replayable",
            status_code=409,  # a conflict with the transaction's state, as the ledger says
        )
    if replay_needs_second_person(transaction=transaction, payload_override=payload_override):
        if not getattr(actor, "is_authenticated", False):
            raise PermissionDeniedError("This replay needs a person to request it.")
        request = ReplayRequest.objects.create(
            transaction_id=transaction.pk,
            requested_by=actor,
            reason=reason,
            payload_override=payload_override,
        )
        audit_record(
            actor=actor,
            action="sync.replay.requested",
            target=request,
            detail={
                "transaction": transaction.pk,
                "payload_overridden": payload_override is not None,
            },
        )
        return request
    return _replay_now(
        transaction=transaction, actor=actor, reason=reason, payload_override=payload_override
    )


@db_transaction.atomic
def replay_request_approve(*, request: ReplayRequest, actor, note: str = "") -> Transaction:
    """A second person approves a replay request: the replay happens now (audited)."""
    request = ReplayRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != ReplayRequestStatus.PENDING:
        raise ApplicationError("This replay request was already decided.", code="decided")
    if not getattr(actor, "is_authenticated", False) or actor.pk == request.requested_by_id:
        raise PermissionDeniedError(
            "Segregation of duties: a second person must approve this replay."
        )
    original = Transaction.objects.get(pk=request.transaction_id)
    child = _replay_now(
        transaction=original,
        actor=actor,
        reason=f"{request.reason} (requested by {request.requested_by.get_username()}, "
        f"approved by {actor.get_username()})",
        payload_override=request.payload_override,
    )
    # The approved replay carries the original's overrides: the approval covers them.
    for override in TransactionOverride.objects.filter(transaction_id=original.pk):
        TransactionOverride.objects.create(
            transaction_id=child.pk,
            stage=override.stage,
            actor=actor,
            reason=f"carried over by approved replay request {request.pk}: {override.reason}",
        )
    request.status = ReplayRequestStatus.EXECUTED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note
    request.child_id = child.pk
    request.save()
    audit_record(
        actor=actor,
        action="sync.replay.approved",
        target=request,
        detail={"transaction": original.pk, "child": child.pk, "note": note},
    )
    return child


@db_transaction.atomic
def replay_request_reject(*, request: ReplayRequest, actor, note: str) -> ReplayRequest:
    """A second person refuses a replay request."""
    request = ReplayRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != ReplayRequestStatus.PENDING:
        raise ApplicationError("This replay request was already decided.", code="decided")
    if not getattr(actor, "is_authenticated", False) or actor.pk == request.requested_by_id:
        raise PermissionDeniedError("A second person must decide this replay.")
    if not (note or "").strip():
        raise ApplicationError("Say why the replay is refused.", code="reason_required")
    request.status = ReplayRequestStatus.REJECTED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note.strip()
    request.save()
    audit_record(actor=actor, action="sync.replay.rejected", target=request, detail={"note": note})
    return request


# --- fix a mapping and release everything waiting on it -----------------------------------------


@dataclass
class MappingFixResult:
    mapping: object
    released: list[int]
    replayed: list[int]
    item: ExceptionItem


def mapping_fix_and_replay(
    *, item: ExceptionItem, actor, canonical_value: str, note: str = "", project=None
) -> MappingFixResult:
    """The one action behind a mapping-miss exception item: save the missing mapping, release
    every transaction held on it (and replay any that already came to rest), resolve the item.

    The item's details name the mapping (kind, system, value, scope), as the pipeline's
    MappingMiss wrote them."""
    from apps.connectors.models import System
    from apps.sync.services import mapping_save

    details = item.details or {}
    kind, system_code, value = (
        details.get("mapping_kind"),
        details.get("system"),
        details.get("value"),
    )
    if not (kind and system_code and value):
        raise ApplicationError(
            "This exception item is not about a missing mapping.", code="not_a_mapping_item"
        )
    if not item.is_active:
        raise ApplicationError("This exception item is already closed.", code="exception_closed")
    system = System.objects.filter(code=system_code).first()
    if system is None:
        raise ApplicationError(f"System {system_code} no longer exists.", code="no_system")
    with db_transaction.atomic():
        mapping = mapping_save(
            actor=actor,
            kind=kind,
            system=system,
            external_value=value,
            external_label=details.get("label", ""),
            canonical_value=canonical_value,
            scope=details.get("scope", ""),
            project=project,
            note=f"fix for exception item {item.pk}",
        )
        released, replayed = [], []
        reason = f"mapping {kind} {system_code}:{value} → {canonical_value} (item {item.pk})"
        for tx in Transaction.objects.filter(pk__in=exception_transaction_ids(item=item)).order_by(
            "id"
        ):
            if tx.status == S.HELD:
                transaction_release(transaction=tx, actor=actor, reason=reason)
                released.append(tx.pk)
            elif tx.status in (S.FAILED, S.DEAD):
                child = _replay_now(transaction=tx, actor=actor, reason=reason)
                replayed.append(child.pk)
        item = exception_resolve(
            item=item,
            actor=actor,
            action=ResolutionAction.MAPPING_FIXED,
            note=(
                note
                or f"Mapped {value} → {canonical_value}; released {len(released)}, "
                f"replayed {len(replayed)} transaction(s)."
            ),
        )
    return MappingFixResult(mapping=mapping, released=released, replayed=replayed, item=item)


# --- bulk replay --------------------------------------------------------------------------------

REPLAY_FILTER_KEYS = (
    "status",
    "system_id",
    "domain",
    "direction",
    "project_id",
    "received_from",
    "received_to",
    "exception_item_id",
    "ids",
)


def replay_candidates(*, filters: dict) -> QuerySet[Transaction]:
    """Transactions at rest matching a bulk-replay filter (oldest first)."""
    queryset = Transaction.objects.filter(status__in=list(REPLAYABLE_STATUSES))
    unknown = set(filters) - set(REPLAY_FILTER_KEYS)
    if unknown:
        raise ApplicationError(f"Unknown filters: {', '.join(sorted(unknown))}.", code="filters")
    if filters.get("status"):
        statuses = filters["status"]
        queryset = queryset.filter(
            status__in=[statuses] if isinstance(statuses, str) else list(statuses)
        )
    for key in ("system_id", "domain", "direction", "project_id"):
        if filters.get(key):
            queryset = queryset.filter(**{key: filters[key]})
    for key, lookup in (("received_from", "gte"), ("received_to", "lt")):
        if filters.get(key):
            when = parse_datetime(str(filters[key]))
            if when is None:
                raise ApplicationError(f"{key} is not a date-time.", code="filters")
            queryset = queryset.filter(**{f"received_at__{lookup}": when})
    if filters.get("exception_item_id"):
        item = ExceptionItem.objects.filter(pk=filters["exception_item_id"]).first()
        queryset = queryset.filter(pk__in=exception_transaction_ids(item=item) if item else [])
    if filters.get("ids"):
        queryset = queryset.filter(pk__in=[int(i) for i in filters["ids"]])
    if not any(filters.get(k) for k in REPLAY_FILTER_KEYS):
        raise ApplicationError(
            "A bulk replay needs at least one filter (it never replays the whole ledger).",
            code="filters",
        )
    return queryset.order_by("id")


def replay_bulk_start(*, actor, filters: dict, reason: str) -> JobRun:
    """Record a bulk replay as a job run and hand it to a worker (progress at /jobs/<id>/)."""
    from apps.sync.services import job_run_create
    from apps.sync.tasks import job_run_enqueue

    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why these transactions are replayed.", code="reason_required")
    total = replay_candidates(filters=filters).count()
    if total == 0:
        raise ApplicationError("No transaction at rest matches these filters.", code="no_match")
    with db_transaction.atomic():
        job = job_run_create(
            kind=JobKind.REPLAY,
            name=f"Replay {total} transaction(s): {reason[:120]}",
            requested_by=actor,
            params={"filters": filters, "reason": reason},
            total=total,
        )
        audit_record(
            actor=actor,
            action="sync.replay.bulk",
            target=job,
            detail={"filters": filters, "reason": reason, "total": total},
        )
        job_run_enqueue(job=job)
    return job


def replay_bulk_execute(*, job: JobRun) -> JobRun:
    """Run a bulk replay job: replay each matching transaction, counting and logging."""
    from django.contrib.auth import get_user_model

    from apps.sync.services import job_run_finish, job_run_log, job_run_progress, job_run_start

    params = job.params or {}
    ids = list(replay_candidates(filters=params.get("filters", {})).values_list("pk", flat=True))
    if not job_run_start(job=job, total=len(ids)):
        return job
    actor = get_user_model().objects.filter(pk=job.requested_by_id).first()
    reason = params.get("reason", "bulk replay")
    job_run_log(job=job, message=f"{len(ids)} transaction(s) match; replaying oldest first")
    step = max(1, min(50, len(ids) // 20 or 1))
    pending = {"created": 0, "skipped": 0, "failed": 0, "done": 0}

    def flush():
        job_run_progress(job=job, read=pending["done"], **pending)
        for key in pending:
            pending[key] = 0

    try:
        for position, tx_id in enumerate(ids, start=1):
            tx = Transaction.objects.filter(pk=tx_id).first()
            try:
                if tx is None or tx.status not in REPLAYABLE_STATUSES:
                    pending["skipped"] += 1
                else:
                    outcome = transaction_replay_one(
                        transaction=tx, actor=actor, reason=f"{reason} (job {job.pk})"
                    )
                    if isinstance(outcome, ReplayRequest):
                        pending["skipped"] += 1
                        job_run_log(
                            job=job,
                            level="warning",
                            message=f"#{tx_id}: needs a second person (request {outcome.pk})",
                        )
                    else:
                        pending["created"] += 1
            except (ApplicationError, IllegalTransition) as exc:
                pending["failed"] += 1
                job_run_log(job=job, level="error", message=f"#{tx_id}: {exc}")
            pending["done"] += 1
            if position % step == 0:
                flush()
        flush()
    except Exception as exc:
        flush()
        job_run_log(job=job, level="error", message=f"stopped: {type(exc).__name__}: {exc}")
        return job_run_finish(job=job, status=JobStatus.FAILED, outcome=str(exc))
    job.refresh_from_db()
    return job_run_finish(
        job=job,
        outcome=f"{job.created_count} replayed, {job.skipped_count} skipped, "
        f"{job.failed_count} failed",
    )
