"""The inbound pipeline (DESIGN §2, §4): validate → SoR check → map → controls → apply → route.

`transactions_process(transactions)` is the dispatcher's processor for claimed inbound rows
(apps/ledger/processors.py): the dispatcher has already claimed them with a lease, so this
module never claims anything itself. Each transaction goes as far as it can; every stage's
outcome is a status transition (a TransactionEvent), and every problem becomes an exception
item with a category, a plain reason and a trace key that groups repeats:

    validation problem        → failed   + schema_invalid        "schema:<system>:<domain>:<fields>"
    not the system of record  → ignored  (policy ignore) or held + sor_conflict (policy flag)
                                                                 "sor:<system>:<domain>:<subject>"
    no mapping for a value    → held     + cost_code_error / invalid_project_reference /
                                           unknown_vendor / mapping_missing
                                                                 "<kind>:<system>:<value>"
    a control holds it        → held     + the control's category and trace key
    older than what is stored → ignored  (stale; recorded, not applied over newer data)
    transient trouble         → retrying (backoff), failed + processing_error when exhausted
    anything unexpected       → failed   + processing_error  "processing:<system>:<domain>:<error>"

The SoR check runs right after validation, before mapping: a write the hub is going to ignore
anyway must not wait on a missing mapping. Applying and routing happen in one database
transaction, so a crash leaves the row `mapped` (the dispatcher resumes it) and never half
applied. Outbound children are created idempotently (key "route:<tx>:<system>:<domain>").
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from decimal import Decimal

from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError
from django.db import transaction as db_transaction
from django.db.models import F
from django.utils import timezone

from apps.connectors.errors import TransientError
from apps.exceptions.choices import ACTIVE_STATUSES, ExceptionCategory
from apps.exceptions.models import ExceptionItem, ExceptionLink
from apps.exceptions.services import exception_auto_resolve, exception_open
from apps.ledger.choices import EventKind, TransactionStatus, Trigger
from apps.ledger.errors import TransitionConflict
from apps.ledger.models import Transaction
from apps.ledger.services import (
    transaction_annotate,
    transaction_create_outbound,
    transaction_event_record,
    transaction_transition,
)
from apps.sync.choices import ConflictPolicy
from apps.sync.errors import (
    ControlFailure,
    ControlHold,
    MappingMiss,
    SorConflict,
    SorIgnored,
    StageStop,
    StaleUpdate,
    TransientProcessingError,
    ValidationProblem,
)
from apps.sync.handlers import (
    ApplyResult,
    Mapper,
    ProcessingContext,
    Route,
    controls_for,
    handler_for,
)
from apps.sync.models import CanonicalRecord, SubjectState, TransactionOverride
from apps.sync.selectors import FROM_PROJECT, route_policies, sor_evaluate, sor_rules_for
from apps.sync.services import binding_set

logger = logging.getLogger(__name__)

S = TransactionStatus
ACTOR = "pipeline"
# Inbound processing retries (a follow-up GET timed out, the database was busy).
RETRY_BASE_SECONDS = 5.0
RETRY_MAX_SECONDS = 900.0
# Transactions still waiting on a fix: an exception item stays open while any remains.
WAITING_STATUSES = (S.HELD, S.RECEIVED, S.VALIDATED, S.MAPPED, S.RETRYING)


class BatchState:
    """Per-batch caches (mapping memo, SoR rules, overrides, routes, delivery settings) so a
    batch of 200 asks the database once per distinct question, not once per transaction."""

    def __init__(self, transactions: list[Transaction] | None = None):
        self.mapper_memo: dict = {}
        self._sor_rules: dict[tuple, list] = {}
        self._routes: dict[tuple, list] = {}
        self._settings: dict[int, object] = {}
        self.overrides: dict[int, set[str]] = {}
        self.linked: set[int] = set()
        ids = [tx.pk for tx in transactions or []]
        if ids:
            for tx_id, stage in TransactionOverride.objects.filter(
                transaction_id__in=ids
            ).values_list("transaction_id", "stage"):
                self.overrides.setdefault(tx_id, set()).add(stage)
            parents = [tx.parent_id for tx in transactions if tx.parent_id]
            self.linked = set(
                ExceptionLink.objects.filter(transaction_id__in=ids + parents).values_list(
                    "transaction_id", flat=True
                )
            )

    def sor_rules(self, domain: str, entity_id: int | None = None) -> list:
        """The group rules for a domain, with the entity's own rules in place of theirs."""
        key = (domain, entity_id)
        if key not in self._sor_rules:
            rules = sor_rules_for(domain=domain)
            if entity_id is not None:
                from apps.entities.selectors import entity_sor_rules, sor_rules_merge

                rules = sor_rules_merge(
                    group_rules=rules,
                    entity_rules=entity_sor_rules(entity_id=entity_id, domain=domain),
                )
            self._sor_rules[key] = rules
        return self._sor_rules[key]

    def route_policies(
        self, *, domain: str, source_system, project_id, entity_id=FROM_PROJECT
    ) -> list:
        """Routes for a project (its own row > its entity's row > the group row), cached;
        `entity_id` as in apps.sync.selectors.route_policies (default: the project's)."""
        key = (domain, source_system.pk, project_id, entity_id)
        if key not in self._routes:
            self._routes[key] = route_policies(
                domain=domain,
                source_system=source_system,
                project_id=project_id,
                entity_id=entity_id,
            )
        return self._routes[key]

    def max_attempts(self, system) -> int:
        from apps.sync.services import delivery_settings_for

        if system.pk not in self._settings:
            self._settings[system.pk] = delivery_settings_for(system).max_attempts
        return self._settings[system.pk]


def backoff_seconds(attempt: int, *, base: float, maximum: float) -> float:
    """Exponential backoff with jitter: base·2^(attempt−1), capped, then 50–100% of it (so
    many rows failing together do not come back together)."""
    delay = min(maximum, base * (2 ** max(0, attempt - 1)))
    return delay * random.uniform(0.5, 1.0)


# --- entry points -------------------------------------------------------------------------------


# Transactions processed per database transaction: each still gets its own savepoint (one bad
# row never undoes the others), but the chunk commits once instead of once per stage and row.
CHUNK_SIZE = 50


def transactions_process(transactions: list[Transaction]) -> None:
    """Dispatcher processor: run each claimed inbound transaction through the pipeline."""
    batch = BatchState(transactions)
    for start in range(0, len(transactions), CHUNK_SIZE):
        chunk = transactions[start : start + CHUNK_SIZE]
        try:
            with db_transaction.atomic():
                for tx in chunk:
                    _process_in_savepoint(tx, batch)
        except DatabaseError as exc:  # the commit itself failed: rows stay leased, come back
            logger.exception("committing a pipeline chunk failed")
            for tx in chunk:
                _note_crash(tx, exc)


def _process_in_savepoint(tx: Transaction, batch: BatchState) -> None:
    try:
        with db_transaction.atomic():
            transaction_process(transaction=tx, batch=batch)
    except TransitionConflict as exc:
        # Another worker moved it (its lease ran out under us): theirs now.
        logger.info("transaction %s moved by someone else: %s", tx.pk, exc)
    except Exception as exc:  # one bad row must not stop the batch; it is recorded
        logger.exception("pipeline crashed on transaction %s", tx.pk)
        _note_crash(tx, exc)


def transaction_process(
    *, transaction: Transaction, batch: BatchState | None = None
) -> Transaction:
    """Take one inbound transaction as far as it can go from its current status."""
    batch = batch or BatchState([transaction])
    tx = transaction
    ctx = _context(tx, batch)
    try:
        if tx.status in (S.RECEIVED, S.RETRYING):
            _stage_validate(ctx)
        if tx.status == S.VALIDATED:
            _stage_sor(ctx, batch)
            _stage_map(ctx)
        if tx.status == S.MAPPED:
            _stage_apply_and_route(ctx, batch)
    except TransitionConflict:
        raise
    except Exception as exc:
        # A stage's database transaction rolled back: the row is where the database says.
        tx.refresh_from_db(fields=["status", "attempts", "max_attempts", "project", "updated_at"])
        _outcome(ctx, exc)
    return tx


def _outcome(ctx: ProcessingContext, exc: Exception) -> None:
    """Turn what stopped a stage into the transaction's next status (and an item)."""
    if isinstance(exc, ValidationProblem | ControlFailure):
        _stop(ctx, S.FAILED, exc)
    elif isinstance(exc, MappingMiss | SorConflict | ControlHold):
        _stop(ctx, S.HELD, exc)
    elif isinstance(exc, SorIgnored | StaleUpdate):
        _stop(ctx, S.IGNORED, exc, open_item=False)
    elif isinstance(exc, TransientProcessingError):
        _retry_or_fail(ctx, exc.reason, retry_after=exc.retry_after)
    elif isinstance(exc, TransientError):
        _retry_or_fail(ctx, str(exc), retry_after=exc.retry_after)
    elif isinstance(exc, OperationalError | InterfaceError):
        _retry_or_fail(ctx, f"database: {exc}")
    else:
        logger.error("processing transaction %s failed", ctx.transaction.pk, exc_info=exc)
        _stop(ctx, S.FAILED, _processing_error(ctx, exc))


# --- stages -------------------------------------------------------------------------------------


def _context(tx: Transaction, batch: BatchState) -> ProcessingContext:
    handler = handler_for(tx.domain)
    record = handler.record(tx)
    ctx = ProcessingContext(
        transaction=tx,
        system=tx.system,
        handler=handler,
        record=record,
        mapper=Mapper(tx.system, memo=batch.mapper_memo),
        schema_version=handler.schema_version_of(tx, record),
    )
    ctx.overrides = set(batch.overrides.get(tx.pk, set()))
    if tx.status == S.MAPPED:
        # Resuming after a crash between mapping and applying: what mapping produced is stored.
        ctx.canonical = dict(tx.canonical_payload or {})
        ctx.subject_id = tx.subject_id
        ctx.project = tx.project if tx.project_id else None
    return ctx


def _stage_validate(ctx: ProcessingContext) -> None:
    tx = ctx.transaction
    problems = ctx.handler.validate(ctx)
    if problems:
        fields = sorted({p.split(":", 1)[0] for p in problems})
        raise ValidationProblem(
            f"The {tx.domain} message from {ctx.system.code} does not match schema version "
            f"{ctx.schema_version}: " + "; ".join(problems) + ". The sender must correct and "
            "resend it (or an admin replays it with a corrected payload).",
            category=ExceptionCategory.SCHEMA_INVALID,
            title=f"Invalid {tx.domain} message from {ctx.system.code}",
            trace_key=f"schema:{ctx.system.code}:{tx.domain}:{','.join(fields)}"[:300],
            details={"problems": problems, "schema_version": ctx.schema_version},
        )
    transaction_transition(
        transaction=tx,
        to_status=S.VALIDATED,
        actor=ACTOR,
        detail={"schema_version": ctx.schema_version},
    )


def _subject_hint(ctx: ProcessingContext) -> str:
    for key in ctx.handler.subject_keys:
        value = ctx.record.get(key)
        if value not in (None, "") and not isinstance(value, dict | list):
            return str(value)
    tx = ctx.transaction
    return str(tx.external_id or tx.idempotency_key)


def _stage_sor(ctx: ProcessingContext, batch: BatchState) -> None:
    tx = ctx.transaction
    if "sor" in ctx.overrides:
        ctx.notes["sor"] = "accepted by a reviewer (override)"
        return
    from apps.entities.selectors import entity_id_for_transaction

    decision = sor_evaluate(
        domain=tx.domain,
        system=ctx.system,
        fields=ctx.record.keys(),
        rules=batch.sor_rules(
            tx.domain, entity_id_for_transaction(transaction=tx, record=ctx.record)
        ),
    )
    if decision.ignored_fields:
        for name in decision.ignored_fields:
            ctx.record.pop(name, None)
        ctx.notes["sor_ignored_fields"] = decision.ignored_fields
    details = {
        "authority": decision.authority,
        "flagged_fields": decision.flagged_fields,
        "ignored_fields": decision.ignored_fields,
        "rule_id": decision.rule.pk if decision.rule else None,
    }
    if decision.outcome == ConflictPolicy.IGNORE:
        raise SorIgnored(
            f"{ctx.system.code} is not the system of record for {tx.domain} "
            f"({decision.rule.authority_label} is): the write is recorded and ignored.",
            details=details,
        )
    if decision.outcome == ConflictPolicy.FLAG:
        hint = _subject_hint(ctx)
        raise SorConflict(
            f"{ctx.system.code} changed {tx.domain} {hint}, but {decision.reason}. A reviewer "
            "decides: accept the change (it is then applied) or ignore it.",
            category=ExceptionCategory.SOR_CONFLICT,
            title=f"{tx.domain} {hint} changed in {ctx.system.code}, not the system of record",
            trace_key=f"sor:{ctx.system.code}:{tx.domain}:{hint}"[:300],
            details=details,
        )


def _stage_map(ctx: ProcessingContext) -> None:
    tx = ctx.transaction
    ctx.canonical = ctx.handler.map(ctx)
    ctx.subject_id = str(ctx.handler.subject(ctx))[:100]
    references = ctx.handler.references(ctx)
    with db_transaction.atomic():
        transaction_annotate(
            transaction=tx,
            canonical_payload=ctx.canonical,
            project=ctx.project,
            subject_domain=tx.domain,
            subject_id=ctx.subject_id,
            references=references,
        )
        detail = {"subject": ctx.subject_id, **ctx.notes}
        if ctx.project is not None:
            detail["project"] = ctx.project.code
        transaction_transition(transaction=tx, to_status=S.MAPPED, actor=ACTOR, detail=detail)


def _subject_state_locked(domain: str, subject_id: str) -> SubjectState:
    state = (
        SubjectState.objects.select_for_update()
        .filter(domain=domain, subject_id=subject_id)
        .first()
    )
    if state is not None:
        return state
    try:
        with db_transaction.atomic():
            return SubjectState.objects.create(domain=domain, subject_id=subject_id)
    except IntegrityError:
        return SubjectState.objects.select_for_update().get(domain=domain, subject_id=subject_id)


def _canonical_record_store(ctx: ProcessingContext) -> None:
    values = {
        "data": ctx.canonical,
        "project": ctx.project,
        "source_system": ctx.system,
        "source_updated_at": ctx.source_at,
        "last_transaction_id": ctx.transaction.pk,
    }
    query = CanonicalRecord.objects.filter(domain=ctx.domain, canonical_id=ctx.subject_id)
    if query.update(version=F("version") + 1, updated_at=timezone.now(), **values):
        return
    try:
        with db_transaction.atomic():
            CanonicalRecord.objects.create(domain=ctx.domain, canonical_id=ctx.subject_id, **values)
    except IntegrityError:
        query.update(version=F("version") + 1, updated_at=timezone.now(), **values)


def _stage_apply_and_route(ctx: ProcessingContext, batch: BatchState) -> None:
    tx = ctx.transaction
    with db_transaction.atomic():
        if "controls" not in ctx.overrides:
            for control in controls_for(tx.domain):
                control(ctx)
        ctx.source_at = ctx.handler.source_time(ctx)
        state = None
        if ctx.source_at is not None and ctx.subject_id:
            # One writer per subject at a time; an update older than what is stored is stale.
            state = _subject_state_locked(tx.domain, ctx.subject_id)
            if state.last_source_at is not None and ctx.source_at < state.last_source_at:
                raise StaleUpdate(
                    f"This update of {tx.domain} {ctx.subject_id} was made at "
                    f"{ctx.source_at.isoformat()}, before the one already applied "
                    f"({state.last_source_at.isoformat()}, transaction "
                    f"{state.last_transaction_id}): recorded and skipped.",
                    details={
                        "stale": True,
                        "source_at": ctx.source_at.isoformat(),
                        "applied_source_at": state.last_source_at.isoformat(),
                        "applied_transaction": state.last_transaction_id,
                    },
                )
        result = ctx.handler.apply(ctx)
        if result.subject_id and result.subject_id != ctx.subject_id:
            ctx.subject_id = str(result.subject_id)[:100]
            transaction_annotate(transaction=tx, subject_id=ctx.subject_id)
        if ctx.handler.keep_canonical_record and ctx.subject_id:
            _canonical_record_store(ctx)
        if tx.external_id and ctx.subject_id:
            # What this record is called in the system it came from (reconciliation, replays).
            binding_set(
                system=ctx.system,
                domain=tx.domain,
                canonical_id=ctx.subject_id,
                external_id=tx.external_id,
                project=ctx.project,
                transaction_id=tx.pk,
                values=ctx.record,
            )
        if state is not None:
            state.last_source_at = ctx.source_at
            state.last_transaction_id = tx.pk
            state.updates += 1
            state.save(
                update_fields=["last_source_at", "last_transaction_id", "updates", "updated_at"]
            )
        transaction_transition(
            transaction=tx,
            to_status=S.APPLIED,
            actor=ACTOR,
            detail={
                "subject": ctx.subject_id,
                "created": result.created,
                "changed": result.changed,
                **result.detail,
            },
        )
        children = _route(ctx, result, batch)
        transaction_transition(
            transaction=tx,
            to_status=S.DELIVERED,
            actor=ACTOR,
            detail={
                "routed_to": [
                    {"system": child.system.code, "transaction": child.pk} for child in children
                ]
            },
        )
    if tx.pk in batch.linked or tx.parent_id in batch.linked:
        _resolve_items_cleared_by(tx)


def _route(ctx: ProcessingContext, result: ApplyResult, batch: BatchState) -> list[Transaction]:
    tx = ctx.transaction
    routes = ctx.handler.routes(ctx, result)
    if routes is None:
        project_id = ctx.project.pk if ctx.project is not None else None
        entity_id = ctx.project.entity_id if ctx.project is not None else None
        routes = [
            Route(
                system=policy.route_target,
                domain=tx.domain,
                operation=ctx.handler.outbound_operation(ctx),
                payload=ctx.handler.outbound_payload(ctx, policy.route_target),
                subject_id=ctx.subject_id,
            )
            for policy in batch.route_policies(
                domain=tx.domain,
                source_system=ctx.system,
                project_id=project_id,
                entity_id=entity_id,
            )
        ]
    children = []
    for route in routes:
        suffix = f":{route.key_suffix}" if route.key_suffix else ""
        # The binding (external id) is looked up at delivery time: it may be set meanwhile.
        child = transaction_create_outbound(
            parent=tx,
            system=route.system,
            domain=route.domain,
            operation=route.operation,
            payload=route.payload,
            idempotency_key=f"route:{tx.pk}:{route.system.code}:{route.domain}{suffix}",
            subject_domain=route.domain,
            subject_id=route.subject_id or ctx.subject_id,
            project=ctx.project,
            max_attempts=batch.max_attempts(route.system),
        )
        child.system = route.system
        children.append(child)
    return children


# --- outcomes -----------------------------------------------------------------------------------


def _stop(
    ctx: ProcessingContext, to_status: str, stop: StageStop, *, open_item: bool = True
) -> None:
    """Move the transaction to held / failed / ignored, with an exception item when a person
    must act."""
    tx = ctx.transaction
    detail = {"reason": stop.reason, **{k: v for k, v in stop.details.items() if k != "problems"}}
    if "problems" in stop.details:
        detail["problems"] = stop.details["problems"]
    if ctx.notes:
        detail["notes"] = ctx.notes
    with db_transaction.atomic():
        if open_item and stop.category:
            amount, currency = (stop.amount, stop.currency)
            if amount is None:
                amount, currency = _safe_amount(ctx)
            project = ctx.project
            if project is None and tx.project_id:
                project = tx.project
            item = exception_open(
                category=stop.category,
                title=stop.title,
                reason=stop.reason,
                trace_key=stop.trace_key or f"tx:{tx.pk}",
                transaction=tx,
                project=project,
                system=ctx.system,
                amount=amount,
                currency=currency,
                severity=stop.severity,
                details={**stop.details, "stage_status": tx.status, "domain": tx.domain},
            )
            detail["exception_item"] = item.pk
            detail["trace_key"] = item.trace_key
        transaction_transition(
            transaction=tx,
            to_status=to_status,
            actor=ACTOR,
            detail=detail,
            error_code=(stop.category or type(stop).__name__.lower())[:100],
            error_message=stop.reason,
        )


def _safe_amount(ctx: ProcessingContext) -> tuple[Decimal | None, str]:
    try:
        return ctx.handler.amount(ctx)
    except Exception:  # an amount is a nicety on the item; never a reason to fail
        return None, ""


def _processing_error(ctx: ProcessingContext, exc: Exception) -> StageStop:
    name = type(exc).__name__
    return StageStop(
        f"Processing stopped with an unexpected error ({name}: {exc}). The transaction is kept; "
        "replay it once the cause is fixed.",
        category=ExceptionCategory.PROCESSING_ERROR,
        title=f"{ctx.transaction.domain} from {ctx.system.code} could not be processed ({name})",
        trace_key=f"processing:{ctx.system.code}:{ctx.transaction.domain}:{name}",
        details={"error": f"{name}: {exc}"[:1000]},
    )


def _retry_or_fail(
    ctx: ProcessingContext, message: str, *, retry_after: float | None = None
) -> None:
    tx = ctx.transaction
    tx.refresh_from_db(fields=["status", "attempts", "max_attempts"])
    if tx.attempts >= tx.max_attempts:
        _stop(
            ctx,
            S.FAILED,
            StageStop(
                f"Gave up after {tx.attempts} attempts; last error: {message}",
                category=ExceptionCategory.PROCESSING_ERROR,
                title=f"{tx.domain} from {ctx.system.code} kept failing",
                trace_key=f"processing:{ctx.system.code}:{tx.domain}:exhausted",
                details={"last_error": message[:1000], "attempts": tx.attempts},
            ),
        )
        return
    delay = (
        retry_after
        if retry_after is not None
        else backoff_seconds(tx.attempts, base=RETRY_BASE_SECONDS, maximum=RETRY_MAX_SECONDS)
    )
    transaction_transition(
        transaction=tx,
        to_status=S.RETRYING,
        actor=ACTOR,
        detail={"attempt": tx.attempts, "retry_in_seconds": round(delay, 1)},
        error_code="transient",
        error_message=message[:4000],
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
    )


def _resolve_items_cleared_by(tx: Transaction) -> None:
    """A transaction went through: close the items it (or the one it replays) was waiting on,
    once no other linked transaction is still waiting."""
    ids = [tx.pk]
    if tx.trigger == Trigger.REPLAY and tx.parent_id:
        ids.append(tx.parent_id)
    item_ids = set(
        ExceptionLink.objects.filter(
            transaction_id__in=ids, item__status__in=[s.value for s in ACTIVE_STATUSES]
        ).values_list("item_id", flat=True)
    )
    for item in ExceptionItem.objects.filter(pk__in=item_ids):
        linked = ExceptionLink.objects.filter(item=item).values_list("transaction_id", flat=True)
        still_waiting = (
            Transaction.objects.filter(pk__in=list(linked), status__in=list(WAITING_STATUSES))
            .exclude(pk__in=ids)
            .exists()
        )
        if not still_waiting:
            exception_auto_resolve(
                trace_key=item.trace_key,
                transaction=tx,
                reason=f"transaction {tx.pk} went through",
            )


def _note_crash(tx: Transaction, exc: Exception) -> None:
    try:
        transaction_event_record(
            transaction=tx,
            kind=EventKind.NOTE,
            actor=ACTOR,
            detail={"pipeline_error": f"{type(exc).__name__}: {exc}"[:1000]},
            error_code="pipeline_error",
            error_message=str(exc)[:4000],
        )
    except DatabaseError:
        logger.exception("could not record the crash of transaction %s", tx.pk)
