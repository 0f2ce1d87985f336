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
