"""Writes on exception items. The pipeline opens and auto-resolves items; people assign, comment,
resolve and ignore them. Every human action is audited and leaves a system comment (its history).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.utils import timezone

from apps.accounts.roles import ALL_ROLES
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.exceptions.choices import (
    ACTIVE_STATUSES,
    CATEGORY_DEFAULTS,
    ExceptionCategory,
    ExceptionStatus,
    LinkRole,
    ResolutionAction,
    Severity,
)
from apps.exceptions.models import (
    ExceptionCategoryConfig,
    ExceptionComment,
    ExceptionItem,
    ExceptionLink,
)

_ACTIVE = [s.value for s in ACTIVE_STATUSES]


def _category_settings(category: str) -> tuple[str, str, int]:
    config = ExceptionCategoryConfig.objects.filter(category=category).first()
    if config is not None:
        return config.owner_group, config.severity, config.sla_hours
    return CATEGORY_DEFAULTS.get(category, ("integration_admin", Severity.MEDIUM, 24))


def _json_safe(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))


def _system_note(item: ExceptionItem, body: str, author=None) -> None:
    ExceptionComment.objects.create(item=item, author=author, body=body, is_system=True)


def exception_link_transaction(
    *, item: ExceptionItem, transaction, role: str = LinkRole.CAUSE
) -> bool:
    """Link a transaction to an item (once); True when the link is new."""
    _, created = ExceptionLink.objects.get_or_create(
        item=item, transaction_id=transaction.pk, defaults={"role": role}
    )
    return created


def exception_open(
    *,
    category: str,
    title: str,
    reason: str,
    trace_key: str,
    transaction=None,
    project=None,
    system=None,
    amount: Decimal | None = None,
    currency: str = "",
    severity: str | None = None,
    details: dict | None = None,
    tags: list[str] | None = None,
) -> ExceptionItem:
    """Open an item, or attach a repeat (same trace key) to the active one: occurrences + 1."""
    if category not in ExceptionCategory.values:
        raise ApplicationError(f"Unknown exception category {category!r}.", code="bad_category")
    if not trace_key:
        raise ApplicationError("An exception item needs a trace key.", code="trace_key_required")
    if transaction is not None:
        if project is None and getattr(transaction, "project_id", None):
            project = transaction.project
        if system is None and getattr(transaction, "system_id", None):
            system = transaction.system
    trace_key = trace_key[:300]
    now = timezone.now()

    for _attempt in range(3):
        with db_transaction.atomic():
            item = (
                ExceptionItem.objects.select_for_update()
                .filter(trace_key=trace_key, status__in=_ACTIVE)
                .first()
            )
            if item is not None:
                _attach_repeat(item, transaction, reason, amount, currency, details, now)
                return item
            owner_group, default_severity, sla_hours = _category_settings(category)
            try:
                with db_transaction.atomic():
                    item = ExceptionItem.objects.create(
                        category=category,
                        severity=severity or default_severity,
                        title=title[:200],
                        reason=reason,
                        project=project,
                        system=system,
                        amount_at_risk=amount,
                        currency=(currency or "")[:3] if amount is not None else "",
                        owner_group=owner_group,
                        sla_due_at=now + timedelta(hours=sla_hours),
                        tags=list(tags or []),
                        trace_key=trace_key,
                        first_seen_at=now,
                        last_seen_at=now,
                        details=_json_safe(details or {}),
                    )
            except IntegrityError:
                # Another worker opened the same problem a moment ago: attach to theirs.
                continue
            if transaction is not None:
                exception_link_transaction(item=item, transaction=transaction)
            # Outbox row in the same transaction (throttled per category and system).
            from apps.exceptions.notifications import exception_notify_opened

            exception_notify_opened(item=item)
            return item
    raise ApplicationError(
        f"Could not open or attach the exception item for {trace_key}.", code="exception_race"
    )


def _attach_repeat(item, transaction, reason, amount, currency, details, now) -> None:
    new_link = True
    if transaction is not None:
        new_link = exception_link_transaction(
            item=item, transaction=transaction, role=LinkRole.REPEAT
        )
    if not new_link:
        # The same transaction failing the same way again (a retry): not a new occurrence.
        item.last_seen_at = now
        item.save(update_fields=["last_seen_at", "updated_at"])
        return
    item.occurrences += 1
    item.last_seen_at = now
    fields = ["occurrences", "last_seen_at", "updated_at"]
    if amount is not None and (not item.currency or item.currency == currency):
        # Each held transaction adds its own money to what is at risk.
        item.amount_at_risk = (item.amount_at_risk or Decimal("0")) + Decimal(amount)
        item.currency = (currency or item.currency)[:3]
        fields += ["amount_at_risk", "currency"]
    merged = dict(item.details or {})
    merged["last_reason"] = reason
    if details:
        merged["last_details"] = _json_safe(details)
    item.details = merged
    fields.append("details")
    item.save(update_fields=fields)


def exception_auto_resolve(*, trace_key: str, transaction, reason: str) -> ExceptionItem | None:
    """Close the active item with this trace key because a later transaction succeeded."""
    with db_transaction.atomic():
        item = (
            ExceptionItem.objects.select_for_update()
            .filter(trace_key=trace_key[:300], status__in=_ACTIVE)
            .first()
        )
        if item is None:
            return None
        if transaction is not None:
            exception_link_transaction(item=item, transaction=transaction, role=LinkRole.RESOLUTION)
        item.status = ExceptionStatus.RESOLVED
        item.resolution_action = ResolutionAction.AUTO_RESOLVED
        item.resolution_note = reason
        item.resolved_by = None
        item.resolved_at = timezone.now()
        item.save()
        tx_text = f" by transaction {transaction.pk}" if transaction is not None else ""
        _system_note(item, f"Resolved automatically{tx_text}: {reason}")
    return item


def _require_active(item: ExceptionItem) -> None:
    if item.status not in _ACTIVE:
        raise ApplicationError(
            f"Exception item {item.pk} is already {item.get_status_display().lower()}.",
            code="exception_closed",
        )


@db_transaction.atomic
def exception_resolve(*, item: ExceptionItem, actor, action: str, note: str = "") -> ExceptionItem:
    """Close an item with a resolution action and a note (by a person)."""
    item = ExceptionItem.objects.select_for_update().get(pk=item.pk)
    _require_active(item)
    if action not in ResolutionAction.values or action == ResolutionAction.AUTO_RESOLVED:
        raise ApplicationError(f"Unknown resolution action {action!r}.", code="bad_action")
    item.status = ExceptionStatus.RESOLVED
    item.resolution_action = action
    item.resolution_note = (note or "").strip()
    item.resolved_by = actor
    item.resolved_at = timezone.now()
    item.save()
    _system_note(item, f"Resolved: {ResolutionAction(action).label}. {item.resolution_note}", actor)
    audit_record(
        actor=actor,
        action="exception.resolve",
        target=item,
        detail={"resolution": action, "note": item.resolution_note},
    )
    return item


@db_transaction.atomic
def exception_ignore(*, item: ExceptionItem, actor, reason: str) -> ExceptionItem:
    """Close an item as not needing action; the reason is required and kept."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why this item can be ignored.", code="reason_required")
    item = ExceptionItem.objects.select_for_update().get(pk=item.pk)
    _require_active(item)
    item.status = ExceptionStatus.IGNORED
    item.resolution_action = ResolutionAction.IGNORED
    item.resolution_note = reason
    item.resolved_by = actor
    item.resolved_at = timezone.now()
    item.save()
    _system_note(item, f"Ignored: {reason}", actor)
    audit_record(actor=actor, action="exception.ignore", target=item, detail={"reason": reason})
    return item


@db_transaction.atomic
def exception_assign(
    *, item: ExceptionItem, actor, assignee, owner_group: str | None = None
) -> ExceptionItem:
    """Give an item to a person (None = unassign) and optionally move it to another group."""
    item = ExceptionItem.objects.select_for_update().get(pk=item.pk)
    _require_active(item)
    if owner_group is not None and owner_group not in ALL_ROLES:
        raise ApplicationError(f"Unknown group {owner_group!r}.", code="bad_owner_group")
    before = {"assignee": item.assignee.get_username() if item.assignee else None}
    before["owner_group"] = item.owner_group
    item.assignee = assignee
    if owner_group is not None:
        item.owner_group = owner_group
    if assignee is not None and item.status == ExceptionStatus.OPEN:
        item.status = ExceptionStatus.IN_PROGRESS
    item.save()
    who = assignee.get_username() if assignee is not None else "nobody"
    _system_note(item, f"Assigned to {who} (group {item.owner_group}).", actor)
    if assignee is not None and getattr(actor, "pk", None) != assignee.pk:
        from apps.exceptions.notifications import exception_notify_assigned

        exception_notify_assigned(item=item, assignee=assignee, actor=actor)
    audit_record(
        actor=actor,
        action="exception.assign",
        target=item,
        detail={"before": before, "assignee": who, "owner_group": item.owner_group},
    )
    return item


@db_transaction.atomic
def exception_status_set(
    *, item: ExceptionItem, actor, status: str, note: str = ""
) -> ExceptionItem:
    """Move an active item between open, in progress and waiting (e.g. waiting on a vendor)."""
    if status not in _ACTIVE:
        raise ApplicationError(
            "Use resolve or ignore to close an item; status must be open, in_progress or waiting.",
            code="bad_status",
        )
    item = ExceptionItem.objects.select_for_update().get(pk=item.pk)
    _require_active(item)
    before = item.status
    item.status = status
    item.save()
    _system_note(item, f"Status {before} → {status}. {note}".strip(), actor)
    audit_record(
        actor=actor,
        action="exception.status",
        target=item,
        detail={"from": before, "to": status, "note": note},
    )
    return item


@db_transaction.atomic
def exception_reopen(*, item: ExceptionItem, actor, reason: str) -> ExceptionItem:
    """Reopen a closed item (the fix did not hold); refused if the problem is open elsewhere."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why the item is reopened.", code="reason_required")
    item = ExceptionItem.objects.select_for_update().get(pk=item.pk)
    if item.status in _ACTIVE:
        raise ApplicationError("The item is already open.", code="exception_active")
    other = (
        ExceptionItem.objects.filter(trace_key=item.trace_key, status__in=_ACTIVE)
        .exclude(pk=item.pk)
        .first()
    )
    if other is not None:
        raise ApplicationError(
            f"The same problem is already open as item {other.pk}.",
            code="exception_duplicate_active",
            details={"item_id": other.pk},
        )
    item.status = ExceptionStatus.OPEN
    item.resolution_action = ""
    item.resolution_note = ""
    item.resolved_by = None
    item.resolved_at = None
    item.save()
    _system_note(item, f"Reopened: {reason}", actor)
    audit_record(actor=actor, action="exception.reopen", target=item, detail={"reason": reason})
    return item


def exception_comment_add(*, item: ExceptionItem, author, body: str) -> ExceptionComment:
    """Add a person's comment to an item."""
    body = (body or "").strip()
    if not body:
        raise ApplicationError("A comment cannot be empty.", code="comment_empty")
    return ExceptionComment.objects.create(item=item, author=author, body=body)


def exception_category_configs_seed() -> int:
    """Create missing per-category defaults (idempotent); returns how many were created."""
    created = 0
    for category, (owner_group, severity, sla_hours) in CATEGORY_DEFAULTS.items():
        _, was_created = ExceptionCategoryConfig.objects.get_or_create(
            category=category,
            defaults={"owner_group": owner_group, "severity": severity, "sla_hours": sla_hours},
        )
        created += int(was_created)
    return created


@db_transaction.atomic
def exception_category_config_update(
    *, category: str, actor, owner_group: str, severity: str, sla_hours: int
) -> ExceptionCategoryConfig:
    """Change a category's default owner group, severity or SLA (applies to new items)."""
    if category not in ExceptionCategory.values:
        raise ApplicationError(f"Unknown exception category {category!r}.", code="bad_category")
    if owner_group not in ALL_ROLES:
        raise ApplicationError(f"Unknown group {owner_group!r}.", code="bad_owner_group")
    if severity not in Severity.values:
        raise ApplicationError(f"Unknown severity {severity!r}.", code="bad_severity")
    if int(sla_hours) < 1:
        raise ApplicationError("The SLA must be at least one hour.", code="bad_sla")
    config, _ = ExceptionCategoryConfig.objects.select_for_update().get_or_create(
        category=category,
        defaults={"owner_group": owner_group, "severity": severity, "sla_hours": sla_hours},
    )
    before = {"owner_group": config.owner_group, "severity": config.severity}
    before["sla_hours"] = config.sla_hours
    config.owner_group = owner_group
    config.severity = severity
    config.sla_hours = int(sla_hours)
    config.updated_by = actor
    config.save()
    audit_record(
        actor=actor,
        action="exception.category_config",
        target=config,
        detail={
            "before": before,
            "after": {"owner_group": owner_group, "severity": severity, "sla_hours": sla_hours},
        },
    )
    return config


# --- workbench actions (queue UI and API) --------------------------------------------------------

BULK_ACTIONS = ("assign", "tag", "resolve", "ignore")
# Categories about money: overriding a control on them needs a second person.
FINANCIAL_CATEGORIES = frozenset(
    {
        ExceptionCategory.UNMATCHED_INVOICE,
        ExceptionCategory.PRICE_QUANTITY_VARIANCE,
        ExceptionCategory.MISSING_RECEIPT,
        ExceptionCategory.BUDGET_EXCEEDED,
        ExceptionCategory.DUPLICATE_SUSPECTED,
        ExceptionCategory.RECONCILIATION_DIFFERENCE,
        ExceptionCategory.VENDOR_BANK_CHANGE,
        ExceptionCategory.COMPLIANCE_HOLD,
        ExceptionCategory.SOR_CONFLICT,
    }
)


def exception_is_financial(*, item: ExceptionItem) -> bool:
    return item.category in FINANCIAL_CATEGORIES or item.amount_at_risk is not None


@db_transaction.atomic
def exception_tag(*, item: ExceptionItem, actor, tags: list[str]) -> ExceptionItem:
    """Add tags to an item (kept sorted, no duplicates)."""
    cleaned = sorted({t.strip()[:40] for t in tags if t and t.strip()})
    if not cleaned:
        raise ApplicationError("Name at least one tag.", code="tag_required")
    item = ExceptionItem.objects.select_for_update().get(pk=item.pk)
    before = list(item.tags or [])
    item.tags = sorted(set(before) | set(cleaned))
    item.save(update_fields=["tags", "updated_at"])
    _system_note(item, f"Tagged {', '.join(cleaned)}.", actor)
    audit_record(
        actor=actor,
        action="exception.tag",
        target=item,
        detail={"before": before, "added": cleaned},
    )
    return item


def exception_bulk_apply(
    *,
    items,
    actor,
    action: str,
    assignee=None,
    tags: list[str] | None = None,
    resolution: str = "",
    note: str = "",
    progress=None,
) -> dict:
    """Apply one action to many items, each in its own transaction so one refusal (an item
    closed meanwhile) never undoes the others; returns {"done": n, "failed": [{id, message}]}."""
    if action not in BULK_ACTIONS:
        raise ApplicationError(f"Unknown bulk action {action!r}.", code="bad_action")
    if action == "ignore" and not (note or "").strip():
        raise ApplicationError("Say why these items can be ignored.", code="reason_required")
    if action == "resolve" and not resolution:
        raise ApplicationError("Pick a resolution action.", code="bad_action")
    if action == "tag" and not [t for t in (tags or []) if t.strip()]:
        raise ApplicationError("Name at least one tag.", code="tag_required")
    done, failed = 0, []
    items = list(items)
    for index, item in enumerate(items, start=1):
        try:
            if action == "assign":
                exception_assign(item=item, actor=actor, assignee=assignee)
            elif action == "tag":
                exception_tag(item=item, actor=actor, tags=tags or [])
            elif action == "resolve":
                exception_resolve(item=item, actor=actor, action=resolution, note=note)
            else:
                exception_ignore(item=item, actor=actor, reason=note)
            done += 1
        except ApplicationError as exc:
            failed.append({"id": item.pk, "message": exc.message})
        if progress is not None:
            progress(index, len(items))
    return {"done": done, "failed": failed}


def saved_filter_save(*, user, name: str, query: str):
    """Save (or overwrite) a named queue filter for a user."""
    from apps.exceptions.models import SavedFilter

    name = (name or "").strip()[:80]
    if not name:
        raise ApplicationError("Give the filter a name.", code="name_required")
    query = (query or "").lstrip("?")[:1000]
    saved, _ = SavedFilter.objects.update_or_create(user=user, name=name, defaults={"query": query})
    return saved


def saved_filter_delete(*, user, filter_id: int) -> None:
    """Delete one of the user's saved filters."""
    from apps.exceptions.models import SavedFilter

    SavedFilter.objects.filter(user=user, pk=filter_id).delete()


def _item_transaction(item: ExceptionItem, transaction_id: int):
    from apps.ledger.models import Transaction

    if not ExceptionLink.objects.filter(item=item, transaction_id=transaction_id).exists():
        raise ApplicationError(
            f"Transaction {transaction_id} is not linked to item {item.pk}.", code="not_linked"
        )
    return Transaction.objects.get(pk=transaction_id)


def exception_replay_transactions(*, item: ExceptionItem, actor, reason: str) -> dict:
    """Retry every linked transaction at rest: held ones are released, failed/dead ones replayed
    as children (or a replay request when segregation of duties applies)."""
    from apps.ledger.choices import TransactionStatus
    from apps.ledger.models import Transaction
    from apps.sync.models import ReplayRequest
    from apps.sync.replay import transaction_release, transaction_replay_one

    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why the transactions are retried.", code="reason_required")
    _require_active(item)
    released, replayed, requested = [], [], []
    ids = list(ExceptionLink.objects.filter(item=item).values_list("transaction_id", flat=True))
    for tx in Transaction.objects.filter(pk__in=ids).order_by("id"):
        if tx.status == TransactionStatus.HELD:
            transaction_release(transaction=tx, actor=actor, reason=reason)
            released.append(tx.pk)
        elif tx.status in (TransactionStatus.FAILED, TransactionStatus.DEAD):
            result = transaction_replay_one(transaction=tx, actor=actor, reason=reason)
            if isinstance(result, ReplayRequest):
                requested.append(result.pk)
            else:
                replayed.append(result.pk)
                exception_link_transaction(item=item, transaction=result, role=LinkRole.REPLAY)
    if not (released or replayed or requested):
        raise ApplicationError(
            "No linked transaction is waiting to be retried.", code="nothing_to_retry"
        )
    _system_note(
        item,
        f"Retried: released {released or '–'}, replayed as {replayed or '–'}"
        + (f", replay requests {requested} wait for a second person" if requested else "")
        + f". {reason}",
        actor,
    )
    audit_record(
        actor=actor,
        action="exception.retry",
        target=item,
        detail={"released": released, "replayed": replayed, "requested": requested},
    )
    return {"released": released, "replayed": replayed, "requested": requested}


def exception_edit_and_retry(
    *, item: ExceptionItem, actor, transaction_id: int, payload: dict, reason: str
):
    """Replay one linked transaction with a corrected payload; the diff and reason are kept.
    A money transaction then needs a second person (returns the ReplayRequest)."""
    import difflib
    import json

    from apps.sync.models import ReplayRequest
    from apps.sync.replay import transaction_replay_one

    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why the payload is corrected.", code="reason_required")
    if not isinstance(payload, dict):
        raise ApplicationError("The corrected payload must be a JSON object.", code="bad_payload")
    _require_active(item)
    tx = _item_transaction(item, transaction_id)
    before = json.dumps(tx.payload, indent=2, sort_keys=True, default=str).splitlines()
    after = json.dumps(payload, indent=2, sort_keys=True, default=str).splitlines()
    diff = "\n".join(difflib.unified_diff(before, after, "original", "corrected", lineterm=""))
    if not diff:
        raise ApplicationError(
            "The corrected payload is the same as the original.", code="no_change"
        )
    result = transaction_replay_one(
        transaction=tx, actor=actor, reason=reason, payload_override=payload
    )
    if not isinstance(result, ReplayRequest):
        exception_link_transaction(item=item, transaction=result, role=LinkRole.REPLAY)
    _system_note(item, f"Payload of transaction {tx.pk} corrected ({reason}):\n{diff}", actor)
    audit_record(
        actor=actor,
        action="exception.edit_payload",
        target=item,
        detail={"transaction": tx.pk, "reason": reason, "diff": diff},
    )
    return result


@db_transaction.atomic
def override_request_create(
    *, item: ExceptionItem, actor, transaction_id: int, stage: str, reason: str
):
    """Ask to let a held transaction past a control (sor|controls). Financial items wait for a
    second person; others are overridden at once. Returns the OverrideRequest."""
    from apps.exceptions.models import OverrideRequest
    from apps.sync.replay import transaction_override_accept

    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Justify the override.", code="reason_required")
    if stage not in ("sor", "controls"):
        raise ApplicationError(f"Unknown stage {stage!r}.", code="bad_stage")
    _require_active(item)
    tx = _item_transaction(item, transaction_id)
    request = OverrideRequest.objects.create(
        item=item, transaction_id=tx.pk, stage=stage, reason=reason, requested_by=actor
    )
    audit_record(
        actor=actor,
        action="exception.override.requested",
        target=item,
        detail={"transaction": tx.pk, "stage": stage, "reason": reason},
    )
    if exception_is_financial(item=item):
        _system_note(
            item, f"Override of {stage} requested: {reason}. Needs a second person.", actor
        )
        return request
    transaction_override_accept(transaction=tx, actor=actor, stage=stage, reason=reason)
    request.status = "approved"
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.save()
    _system_note(item, f"Control {stage} overridden: {reason}", actor)
    return request


@db_transaction.atomic
def override_request_decide(*, request, actor, approve: bool, note: str = ""):
    """A second person approves (the transaction is released past the control) or rejects."""
    from apps.core.errors import PermissionDeniedError
    from apps.exceptions.models import OverrideRequest
    from apps.ledger.models import Transaction
    from apps.sync.replay import transaction_override_accept

    request = OverrideRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != "pending":
        raise ApplicationError("This override request was already decided.", code="decided")
    if actor.pk == request.requested_by_id:
        raise PermissionDeniedError(
            "Segregation of duties: a second person must approve this override."
        )
    note = (note or "").strip()
    if not approve and not note:
        raise ApplicationError("Say why the override is refused.", code="reason_required")
    if approve:
        tx = Transaction.objects.get(pk=request.transaction_id)
        transaction_override_accept(
            transaction=tx,
            actor=actor,
            stage=request.stage,
            reason=f"{request.reason} (requested by {request.requested_by.get_username()}, "
            f"approved by {actor.get_username()})",
        )
    request.status = "approved" if approve else "rejected"
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save()
    verb = "approved" if approve else "rejected"
    _system_note(request.item, f"Override of {request.stage} {verb}. {note}".strip(), actor)
    audit_record(
        actor=actor,
        action=f"exception.override.{verb}",
        target=request.item,
        detail={"request": request.pk, "transaction": request.transaction_id, "note": note},
    )
    return request
