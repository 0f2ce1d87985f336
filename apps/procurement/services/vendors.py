"""Vendors, their eligibility, and match tolerances."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.procurement.choices import VendorStatus
from apps.procurement.models import MatchTolerance, Vendor
from apps.projects.money import currency_validate, parse_decimal


def vendor_upsert(
    *,
    code: str,
    name: str,
    status: str = VendorStatus.PENDING,
    vat: str = "",
    email: str = "",
    currency: str = "EUR",
    insurance_expiry: date | None = None,
    compliance_expiry: date | None = None,
    external_ref: str = "",
    iban: str = "",
    bank_account: str = "",
    bank_name: str = "",
    actor=None,
    change_source: str = "manual",
    system=None,
    ledger_transaction=None,
    entered_by_label: str = "",
) -> Vendor:
    """Create or update a vendor by code (vendor master sync, demo, admin).

    The tax id and bank details of an existing vendor are never overwritten here: a different
    value opens a verification item (apps.vendors) and applies only once a second person
    confirms it; an empty value leaves the stored one alone."""
    from apps.vendors.services import vendor_bank_change_submit

    code = (code or "").strip()
    if not code or not (name or "").strip():
        raise ApplicationError("A vendor needs a code and a name.", code="vendor_incomplete")
    if status not in VendorStatus.values:
        raise ApplicationError(f"Unknown vendor status {status!r}.", code="bad_vendor_status")
    protected = {
        "vat": "".join((vat or "").split()).upper(),
        "iban": "".join((iban or "").split()).upper(),
        "bank_account": "".join((bank_account or "").split()).upper(),
        "bank_name": (bank_name or "").strip(),
    }
    defaults = {
        "name": name.strip(),
        "status": status,
        "email": email,
        "currency": currency_validate(currency),
        "insurance_expiry": insurance_expiry,
        "compliance_expiry": compliance_expiry,
        "external_ref": external_ref,
    }
    vendor, created = Vendor.objects.update_or_create(
        code=code, defaults=defaults, create_defaults={**defaults, **protected}
    )
    if not created:
        vendor_bank_change_submit(
            vendor=vendor,
            changes=protected,
            source=change_source,
            system=system,
            ledger_transaction=ledger_transaction,
            entered_by=actor,
            entered_by_label=entered_by_label,
        )
    if actor is not None:
        audit_record(
            actor=actor,
            action="vendor.create" if created else "vendor.update",
            target=vendor,
            detail={"status": status, "insurance_expiry": insurance_expiry},
        )
    return vendor


@transaction.atomic
def vendor_block(*, vendor: Vendor, actor, reason: str) -> Vendor:
    """Block a vendor: no new commitment, and its bills are held (audited)."""
    if not (reason or "").strip():
        raise ApplicationError("Say why the vendor is blocked.", code="reason_required")
    vendor.status = VendorStatus.BLOCKED
    vendor.blocked_reason = reason.strip()[:255]
    vendor.save(update_fields=["status", "blocked_reason", "updated_at"])
    audit_record(actor=actor, action="vendor.block", target=vendor, detail={"reason": reason})
    return vendor


@transaction.atomic
def vendor_approve(*, vendor: Vendor, actor, insurance_expiry: date | None = None) -> Vendor:
    """Approve (or unblock) a vendor, optionally with its new insurance expiry (audited)."""
    vendor.status = VendorStatus.APPROVED
    vendor.blocked_reason = ""
    if insurance_expiry is not None:
        vendor.insurance_expiry = insurance_expiry
    vendor.save(update_fields=["status", "blocked_reason", "insurance_expiry", "updated_at"])
    audit_record(
        actor=actor,
        action="vendor.approve",
        target=vendor,
        detail={"insurance_expiry": vendor.insurance_expiry},
    )
    return vendor


def vendor_eligibility_check(*, vendor: Vendor, on: date | None = None, project=None) -> None:
    """Raise `vendor_ineligible` with every reason when a vendor may not get a commitment
    (on a project: also the compliance documents its entity's policies require)."""
    from apps.compliance.selectors import compliance_problems

    on = on or timezone.localdate()
    problems = vendor.eligibility_problems(on)
    problems += compliance_problems(vendor=vendor, project=project, purpose="commitment", on=on)
    if problems:
        raise ApplicationError(
            f"Vendor {vendor.code} {vendor.name} is not eligible: "
            + "; ".join(p["message"] for p in problems)
            + ".",
            code="vendor_ineligible",
            details={"vendor": vendor.code, "problems": problems},
            status_code=409,
        )


def _optional(value, field) -> Decimal | None:
    if value is None or value == "":
        return None
    return parse_decimal(value, field=field)


@transaction.atomic
def match_tolerance_set(
    *,
    actor,
    project=None,
    vendor: Vendor | None = None,
    quantity_pct=None,
    quantity_amount=None,
    price_pct=None,
    price_amount=None,
    currency: str = "EUR",
) -> MatchTolerance:
    """Set the match tolerances for a project, a vendor, or a vendor on a project (audited)."""
    tolerance = MatchTolerance.objects.filter(project=project, vendor=vendor).first()
    tolerance = tolerance or MatchTolerance(project=project, vendor=vendor)
    tolerance.quantity_pct = _optional(quantity_pct, "quantity_pct")
    tolerance.quantity_amount = _optional(quantity_amount, "quantity_amount")
    tolerance.price_pct = _optional(price_pct, "price_pct")
    tolerance.price_amount = _optional(price_amount, "price_amount")
    tolerance.currency = currency_validate(currency)
    tolerance.save()
    audit_record(
        actor=actor,
        action="match_tolerance.set",
        target=tolerance,
        detail={
            "project": getattr(project, "code", None),
            "vendor": getattr(vendor, "code", None),
            "quantity_pct": tolerance.quantity_pct,
            "quantity_amount": tolerance.quantity_amount,
            "price_pct": tolerance.price_pct,
            "price_amount": tolerance.price_amount,
        },
    )
    return tolerance
