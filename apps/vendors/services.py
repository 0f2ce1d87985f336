"""Vendor master protection: a change to bank details or the tax id is held for verification by
a second person; payments to the vendor are held meanwhile (exception category
"vendor bank change"). Duplicate vendors are detected and linked or merged."""

from __future__ import annotations

from difflib import SequenceMatcher

from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.core.fields import mask_account
from apps.projects.exception_items import exception_item_close, exception_item_open
from apps.vendors.choices import (
    CALLBACK_CHECKLIST,
    PROTECTED_FIELDS,
    ChangeSource,
    ChangeStatus,
    DuplicateStatus,
)
from apps.vendors.models import BankDetailChange, DuplicateVendorCandidate, VendorLink
from apps.vendors.selectors import masked_values


def _normalise(field: str, value) -> str:
    text = str(value or "").strip()
    if field in ("iban", "bank_account", "vat"):
        return "".join(text.split()).upper()
    return text


def _masked_dict(values: dict) -> dict:
    return {row["field"]: row["value"] for row in masked_values(values)}


@transaction.atomic
def vendor_bank_change_submit(
    *,
    vendor,
    changes: dict,
    source: str,
    system=None,
    ledger_transaction=None,
    entered_by=None,
    entered_by_label: str = "",
) -> BankDetailChange | None:
    """Hold a change to protected vendor fields for verification (None: nothing changed).
    A newer change supersedes a pending one; the vendor keeps its current values meanwhile."""
    if source not in ChangeSource.values:
        raise ApplicationError(f"Unknown change source {source!r}.", code="bad_source")
    new_values = {}
    for field in PROTECTED_FIELDS:
        if field in changes and changes[field] not in (None, ""):
            value = _normalise(field, changes[field])
            if value != _normalise(field, getattr(vendor, field)):
                new_values[field] = value
    if not new_values:
        return None
    pending = BankDetailChange.objects.select_for_update().filter(
        vendor=vendor, status=ChangeStatus.PENDING
    )
    for earlier in pending:
        if earlier.new_values == new_values:
            return earlier  # the same change again (a re-sent event): one verification item
        earlier.status = ChangeStatus.SUPERSEDED
        earlier.decided_at = timezone.now()
        earlier.decision_note = "superseded by a later change"
        earlier.save(update_fields=["status", "decided_at", "decision_note"])
    change = BankDetailChange.objects.create(
        vendor=vendor,
        source=source,
        system=system,
        transaction_id=getattr(ledger_transaction, "pk", None),
        old_values={field: getattr(vendor, field) or "" for field in new_values},
        new_values=new_values,
        entered_by=entered_by if getattr(entered_by, "is_authenticated", False) else None,
        entered_by_label=(
            entered_by_label or (entered_by.get_username() if entered_by is not None else "")
        )[:150],
    )
    old_masked, new_masked = _masked_dict(change.old_values), _masked_dict(new_values)
    exception_item_open(
        category="vendor_bank_change",
        title=f"Bank details of {vendor.code} {vendor.name} changed: verify before paying"[:200],
        reason=(
            f"{change.get_source_display()} changed "
            + ", ".join(
                f"{f}: {old_masked.get(f) or '(none)'} → {new_masked[f]}" for f in new_values
            )
            + ". A second person verifies it by call-back; payments to the vendor are held."
        ),
        trace_key=change.trace_key,
        severity="critical",
        details={"bank_change": change.pk, "vendor": vendor.code, "source": source},
        ledger_transaction=ledger_transaction,
    )
    audit_record(
        actor=entered_by,
        action="vendor.bank_change.submit",
        target=vendor,
        detail={
            "change": change.pk,
            "source": source,
            "old": old_masked,
            "new": new_masked,
            "transaction": change.transaction_id,
        },
        actor_label=change.entered_by_label,
    )
    return change


def _same_person(change: BankDetailChange, actor) -> bool:
    if change.entered_by_id and change.entered_by_id == actor.pk:
        return True
    label = (change.entered_by_label or "").strip().lower()
    if not label:
        return False
    names = {actor.get_username().lower(), (getattr(actor, "email", "") or "").lower()}
    return label in names


def _pending_locked(change: BankDetailChange) -> BankDetailChange:
    change = BankDetailChange.objects.select_for_update().select_related("vendor").get(pk=change.pk)
    if change.status != ChangeStatus.PENDING:
        raise ApplicationError(
            f"Change #{change.pk} is {change.get_status_display().lower()}.",
            code="bank_change_decided",
            status_code=409,
        )
    return change


@transaction.atomic
def vendor_bank_change_verify(
    *, change: BankDetailChange, actor, checklist: dict, note: str = ""
) -> BankDetailChange:
    """A second person confirms the change after the call-back: the new values are applied,
    the verification item is resolved and held payments are released."""
    change = _pending_locked(change)
    if _same_person(change, actor):
        audit_record(
            actor=actor,
            action="vendor.bank_change.refused",
            target=change.vendor,
            detail={"change": change.pk, "reason": "same person"},
        )
        raise PermissionDeniedError(
            "The person who entered a bank detail change cannot verify it: a second person "
            "must confirm it.",
            code="same_person",
        )
    missing = [label for key, label in CALLBACK_CHECKLIST.items() if not checklist.get(key)]
    if missing:
        raise ApplicationError(
            "Complete the call-back checklist: " + "; ".join(missing) + ".",
            code="checklist_incomplete",
            details={"missing": [k for k in CALLBACK_CHECKLIST if not checklist.get(k)]},
        )
    vendor = change.vendor
    for field, value in change.new_values.items():
        setattr(vendor, field, value)
    vendor.save()
    change.status = ChangeStatus.VERIFIED
    change.checklist = {key: bool(checklist.get(key)) for key in CALLBACK_CHECKLIST}
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.decision_note = note
    change.save()
    audit_record(
        actor=actor,
        action="vendor.bank_change.verify",
        target=vendor,
        detail={"change": change.pk, "new": _masked_dict(change.new_values), "note": note},
    )
    exception_item_close(
        trace_key=change.trace_key, reason=f"verified by {actor.get_username()} (call-back done)"
    )
    _release_payments(vendor, actor)
    return change


@transaction.atomic
def vendor_bank_change_reject(*, change: BankDetailChange, actor, reason: str) -> BankDetailChange:
    """Refuse a change (e.g. the call-back showed it is fraud): the vendor keeps its details."""
    if not (reason or "").strip():
        raise ApplicationError("Say why the change is rejected.", code="reason_required")
    change = _pending_locked(change)
    change.status = ChangeStatus.REJECTED
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.decision_note = reason.strip()
    change.save()
    audit_record(
        actor=actor,
        action="vendor.bank_change.reject",
        target=change.vendor,
        detail={"change": change.pk, "reason": reason},
    )
    exception_item_close(trace_key=change.trace_key, reason=f"change rejected: {reason}")
    _release_payments(change.vendor, actor)
    return change


def _release_payments(vendor, actor) -> None:
    from apps.procurement.services.invoices import invoice_payment_release_for_vendor

    invoice_payment_release_for_vendor(vendor=vendor, actor=actor)


# --- duplicates -------------------------------------------------------------------------------

_NAME_NOISE = {
    "bv", "b.v.", "gmbh", "ltd", "limited", "plc", "inc", "llc", "sa", "sarl", "ag", "nv",
    "n.v.", "co", "company", "the", "&", "and",
}  # fmt: skip


def _name_key(name: str) -> str:
    words = [w.strip(".,()") for w in (name or "").lower().split()]
    return " ".join(w for w in words if w and w not in _NAME_NOISE)


def _name_similarity(a: str, b: str) -> float:
    ka, kb = _name_key(a), _name_key(b)
    if not ka or not kb:
        return 0.0
    return SequenceMatcher(None, ka, kb).ratio()


NAME_THRESHOLD = 0.88


def vendor_duplicates_detect(*, vendors=None) -> list[DuplicateVendorCandidate]:
    """Find vendor pairs with the same tax id or bank account (by fingerprint) or a very
    similar name, across systems and entities; record each pair once."""
    from apps.procurement.models import Vendor

    rows = list(
        (vendors if vendors is not None else Vendor.objects.all()).only(
            "id", "code", "name", "vat_fingerprint", "iban_fingerprint"
        )
    )
    found = []
    for i, a in enumerate(rows):
        for b in rows[i + 1 :]:
            reasons, score = [], 0.0
            if a.vat_fingerprint and a.vat_fingerprint == b.vat_fingerprint:
                reasons.append("same_tax_id")
                score = max(score, 1.0)
            if a.iban_fingerprint and a.iban_fingerprint == b.iban_fingerprint:
                reasons.append("same_bank_account")
                score = max(score, 0.95)
            similarity = _name_similarity(a.name, b.name)
            if similarity >= NAME_THRESHOLD:
                reasons.append("similar_name")
                score = max(score, round(similarity, 2))
            if not reasons:
                continue
            low, high = sorted((a, b), key=lambda v: v.pk)
            candidate, created = DuplicateVendorCandidate.objects.get_or_create(
                vendor=low, other=high, defaults={"reasons": reasons, "score": score}
            )
            if not created and candidate.status == DuplicateStatus.OPEN:
                candidate.reasons, candidate.score = reasons, score
                candidate.save(update_fields=["reasons", "score"])
            found.append(candidate)
    return found


@transaction.atomic
def vendor_duplicate_resolve(
    *, candidate: DuplicateVendorCandidate, actor, action: str, survivor=None, note: str = ""
) -> DuplicateVendorCandidate:
    """link: the two records stay (e.g. one per entity) and are recorded as the same party;
    merge: the other record's bindings, mappings and documents move to the survivor and the
    merged vendor is blocked; dismiss: not a duplicate."""
    from apps.procurement.services.vendors import vendor_block

    candidate = DuplicateVendorCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status != DuplicateStatus.OPEN:
        raise ApplicationError("This pair was already decided.", code="duplicate_decided")
    if action == "dismiss":
        candidate.status = DuplicateStatus.DISMISSED
    elif action in ("link", "merge"):
        survivor = survivor or candidate.vendor
        if survivor.pk not in (candidate.vendor_id, candidate.other_id):
            raise ApplicationError("The survivor is one of the pair.", code="bad_survivor")
        other = candidate.other if survivor.pk == candidate.vendor_id else candidate.vendor
        VendorLink.objects.create(
            survivor=survivor,
            linked_code=other.code,
            linked_vendor=other,
            merged=action == "merge",
            created_by=actor,
        )
        moved = _bindings_follow(
            survivor=survivor, other=other, merge=action == "merge", actor=actor
        )
        if action == "merge":
            vendor_block(vendor=other, actor=actor, reason=f"merged into {survivor.code}")
        candidate.status = DuplicateStatus.MERGED if action == "merge" else DuplicateStatus.LINKED
        note = note or f"{moved} binding(s) now point to {survivor.code}"
    else:
        raise ApplicationError(f"Unknown action {action!r}.", code="bad_action")
    candidate.decided_by = actor
    candidate.decided_at = timezone.now()
    candidate.note = note[:300]
    candidate.save()
    audit_record(
        actor=actor,
        action=f"vendor.duplicate.{action}",
        target=candidate.vendor,
        detail={"pair": [candidate.vendor.code, candidate.other.code], "note": candidate.note},
    )
    return candidate


def _bindings_follow(*, survivor, other, merge: bool, actor=None) -> int:
    """Point the other vendor's bindings (its ids in external systems) at the survivor; on a
    link only where the survivor has no binding of its own in that system, so each external
    record keeps resolving to one hub vendor. On a merge the other's code (and the vendor
    mappings that led to it) map to the survivor, so later events from those systems resolve."""
    from apps.sync.choices import MappingKind
    from apps.sync.models import Binding, Mapping
    from apps.sync.services import mapping_save

    moved = 0
    own_systems = set(
        Binding.objects.filter(domain="vendor", canonical_id=survivor.code).values_list(
            "system_id", flat=True
        )
    )
    touched_systems = []
    for binding in Binding.objects.filter(domain="vendor", canonical_id=other.code):
        if binding.system_id in own_systems:
            if not merge:
                continue
            binding.delete()  # the survivor's own binding in this system stays
        else:
            binding.canonical_id = survivor.code
            binding.save(update_fields=["canonical_id"])
        touched_systems.append(binding.system)
        moved += 1
    if merge:
        for system in touched_systems:
            mapping_save(
                actor=actor,
                kind=MappingKind.VENDOR,
                system=system,
                external_value=other.code,
                canonical_value=survivor.code,
                note=f"vendor {other.code} merged into {survivor.code}",
            )
        for mapping in Mapping.objects.filter(
            kind=MappingKind.VENDOR, canonical_value=other.code, active=True
        ).select_related("system", "project", "entity"):
            mapping_save(
                actor=actor,
                kind=MappingKind.VENDOR,
                system=mapping.system,
                external_value=mapping.external_value,
                canonical_value=survivor.code,
                scope=mapping.scope,
                project=mapping.project,
                entity=mapping.entity,
                note=f"vendor {other.code} merged into {survivor.code}",
            )
    return moved


def mask(value: str) -> str:
    return mask_account(value)
