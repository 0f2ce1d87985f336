"""The tamper-evident audit log: every entry hashes its content with the previous entry's hash."""

from __future__ import annotations

import hashlib
import json

from django.db import transaction
from django.utils import timezone

from apps.audit.models import AuditChainHead, AuditEntry

GENESIS = "0" * 64


def _canonical(entry: AuditEntry) -> str:
    return json.dumps(
        {
            "sequence": entry.sequence,
            "at": entry.at.isoformat(),
            "actor": entry.actor_label,
            "action": entry.action,
            "target_type": entry.target_type,
            "target_id": entry.target_id,
            "target_label": entry.target_label,
            "detail": entry.detail,
            "prev": entry.prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )


def entry_digest(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry).encode("utf-8")).hexdigest()


def audit_record(
    *, actor, action: str, target=None, detail: dict | None = None, actor_label: str = ""
) -> AuditEntry:
    """Append one entry to the chain (inside the caller's transaction when there is one)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = actor_label or (user.get_username() if user else "system")
    with transaction.atomic():
        head, _ = AuditChainHead.objects.get_or_create(id=1)
        head = AuditChainHead.objects.select_for_update().get(id=1)
        entry = AuditEntry(
            sequence=head.sequence + 1,
            at=timezone.now(),
            actor=user,
            actor_label=label[:150],
            action=action,
            target_type=target._meta.label_lower if target is not None else "",
            target_id=str(getattr(target, "pk", "") or "") if target is not None else "",
            target_label=str(target)[:255] if target is not None else "",
            detail=json.loads(json.dumps(detail or {}, default=str)),
            prev_hash=head.last_hash,
        )
        entry.entry_hash = entry_digest(entry)
        entry.save()
        head.sequence = entry.sequence
        head.last_hash = entry.entry_hash
        head.save(update_fields=["sequence", "last_hash"])
    return entry


def audit_verify() -> list[str]:
    """Walk the chain; return the problems found (empty list = intact)."""
    problems: list[str] = []
    expected_prev = GENESIS
    expected_seq = 1
    last_hash = GENESIS
    for entry in AuditEntry.objects.order_by("sequence").iterator(chunk_size=2000):
        if entry.sequence != expected_seq:
            problems.append(f"sequence gap: expected #{expected_seq}, found #{entry.sequence}")
            expected_seq = entry.sequence
        if entry.prev_hash != expected_prev:
            problems.append(f"#{entry.sequence}: previous-hash link broken (reordered or removed)")
        if entry_digest(entry) != entry.entry_hash:
            problems.append(f"#{entry.sequence}: content does not match its hash (changed)")
        expected_prev = entry.entry_hash
        last_hash = entry.entry_hash
        expected_seq += 1
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and (head.sequence != expected_seq - 1 or head.last_hash != last_hash):
        problems.append("chain head does not match the last entry (entries removed at the end)")
    return problems
