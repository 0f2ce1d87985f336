"""Reads for vendor master protection: pending bank changes, masked views, duplicates."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.core.fields import mask_account
from apps.vendors.choices import FIELD_LABELS, ChangeStatus, DuplicateStatus
from apps.vendors.models import BankDetailChange, DuplicateVendorCandidate


def bank_change_pending_for(*, vendor) -> BankDetailChange | None:
    return (
        BankDetailChange.objects.filter(vendor=vendor, status=ChangeStatus.PENDING)
        .order_by("-created_at")
        .first()
    )


def vendor_payment_hold_reason(*, vendor) -> str:
    """Why payments to this vendor are held by master-data protection ("" = not held)."""
    change = bank_change_pending_for(vendor=vendor)
    if change is None:
        return ""
    return (
        f"the bank details of {vendor.code} changed (change #{change.pk}, "
        f"{change.get_source_display().lower()}) and are not verified yet"
    )


def bank_change_list(*, status: str | None = None) -> QuerySet[BankDetailChange]:
    queryset = BankDetailChange.objects.select_related(
        "vendor", "system", "entered_by", "decided_by"
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at")


def masked_values(values: dict | None) -> list[dict]:
    """[{field, label, value(masked)}] for a stored old/new value set."""
    rows = []
    for field, value in (values or {}).items():
        visible = 3 if field == "vat" else 4
        shown = value if field == "bank_name" else mask_account(value, visible=visible)
        rows.append({"field": field, "label": FIELD_LABELS.get(field, field), "value": shown})
    return rows


def bank_change_rows(*, change: BankDetailChange) -> list[dict]:
    """Old and new value per changed field, masked."""
    old = dict(masked_values_by_field(change.old_values))
    new = dict(masked_values_by_field(change.new_values))
    return [
        {"label": FIELD_LABELS.get(field, field), "old": old.get(field, ""), "new": new[field]}
        for field in change.new_values or {}
    ]


def masked_values_by_field(values: dict | None):
    for row in masked_values(values):
        yield row["field"], row["value"]


def duplicate_list(*, status: str | None = DuplicateStatus.OPEN) -> QuerySet:
    queryset = DuplicateVendorCandidate.objects.select_related("vendor", "other")
    if status:
        queryset = queryset.filter(status=status)
    return queryset
