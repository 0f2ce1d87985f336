"""Payments to vendors, from Odoo, bank statements or entered by hand, allocated to bills.

A payment is a fact when Odoo or the bank reports it: it is always recorded, and a problem
(paying a held bill, paying more than is open) becomes an exception item. A payment entered by
hand is refused instead, with the reason.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.procurement.choices import (
    InvoiceKind,
    InvoiceStatus,
    PaymentSource,
    PaymentStatus,
)
from apps.procurement.models import Invoice, Payment, PaymentAllocation, Vendor
from apps.procurement.services.common import audited_refusal, next_number
from apps.projects.exception_items import exception_item_open
from apps.projects.money import ZERO, currency_validate, parse_decimal, quantize_money

PAYABLE_STATUSES = (InvoiceStatus.APPROVED, InvoiceStatus.POSTED, InvoiceStatus.PARTIALLY_PAID)


def payment_hold_reasons(*, invoice: Invoice) -> list[dict]:
    """Why a bill may not be paid now beyond its own status: a pending vendor bank-detail
    change (apps.vendors) or a missing/expired compliance document (apps.compliance).
    [{category, title, reason, trace_key}]"""
    from apps.vendors.selectors import vendor_payment_hold_reason

    holds = []
    reason = vendor_payment_hold_reason(vendor=invoice.vendor)
    if reason:
        holds.append(
            {
                "category": "vendor_bank_change",
                "title": "vendor bank details changed, not verified",
                "reason": reason,
                "trace_key": f"vendor_bank_change:{invoice.vendor_id}",
            }
        )
    from apps.compliance.selectors import compliance_payment_hold_reason

    compliance = compliance_payment_hold_reason(invoice=invoice)
    if compliance:
        holds.append(compliance)
    return holds


def _allocation_problem(invoice: Invoice, amount: Decimal) -> str:
    if invoice.kind != InvoiceKind.INVOICE:
        return f"{invoice} is a credit note; payments go to bills"
    if invoice.payment_hold or invoice.status not in PAYABLE_STATUSES:
        return f"{invoice} is not released for payment ({invoice.get_status_display().lower()})"
    if amount > invoice.open_amount:
        return (
            f"{amount} {invoice.currency} is more than the {invoice.open_amount} open on {invoice}"
        )
    return ""


def _apply_allocation(payment: Payment, invoice: Invoice, amount: Decimal) -> None:
    PaymentAllocation.objects.create(payment=payment, invoice=invoice, amount=amount)
    invoice.paid_amount += amount
    if invoice.kind == InvoiceKind.INVOICE and invoice.status in PAYABLE_STATUSES:
        invoice.status = (
            InvoiceStatus.PAID
            if invoice.paid_amount >= invoice.payable_amount
            else InvoiceStatus.PARTIALLY_PAID
        )
    invoice.save(update_fields=["paid_amount", "status"])


@audited_refusal("payment.refused", target="vendor", actor="recorded_by")
def payment_record(
    *,
    vendor: Vendor,
    amount,
    currency: str,
    paid_on: date,
    source: str,
    reference: str = "",
    external_ref: str = "",
    allocations: list[dict] | None = None,
    recorded_by=None,
    ledger_transaction=None,
) -> Payment:
    """Record a payment and allocate it to bills ([{"invoice": Invoice, "amount": Decimal}]).
    Idempotent per (source, external_ref): the same Odoo payment or bank line returns the
    first record."""
    if source not in PaymentSource.values:
        raise ApplicationError(f"Unknown payment source {source!r}.", code="bad_source")
    currency = currency_validate(currency)
    amount = quantize_money(parse_decimal(amount, field="amount"), currency)
    if amount <= 0:
        raise ApplicationError("A payment amount is positive.", code="bad_amount")
    with transaction.atomic():
        if external_ref:
            existing = Payment.objects.filter(source=source, external_ref=external_ref).first()
            if existing is not None:
                return existing
        planned = []
        for spec in allocations or []:
            invoice = Invoice.objects.select_for_update().get(
                id=getattr(spec["invoice"], "id", spec["invoice"])
            )
            share = quantize_money(
                parse_decimal(spec["amount"], field="allocation amount"), currency
            )
            if invoice.vendor_id != vendor.id:
                raise ApplicationError(
                    f"{invoice} is not a bill of {vendor.code}.", code="vendor_mismatch"
                )
            if invoice.currency != currency:
                raise ApplicationError(
                    f"{invoice} is in {invoice.currency}.", code="currency_mismatch"
                )
            planned.append((invoice, share))
        if sum((share for _, share in planned), ZERO) > amount:
            raise ApplicationError(
                "The allocations add up to more than the payment.", code="over_allocation"
            )
        problems = [
            (invoice, share, _allocation_problem(invoice, share)) for invoice, share in planned
        ]
        from apps.vendors.selectors import vendor_payment_hold_reason

        bank_change = vendor_payment_hold_reason(vendor=vendor)
        if bank_change and source == PaymentSource.MANUAL:
            raise ApplicationError(
                f"Payments to {vendor.code} are held: {bank_change}.",
                code="payment_held",
                status_code=409,
            )
        if source == PaymentSource.MANUAL:
            refused = [p for p in problems if p[2]]
            if refused:
                raise ApplicationError(
                    "The payment cannot be recorded: " + "; ".join(p[2] for p in refused) + ".",
                    code="payment_not_allowed",
                    status_code=409,
                )
        payment = Payment.objects.create(
            number=next_number("PAY"),
            vendor=vendor,
            amount=amount,
            currency=currency,
            paid_on=paid_on,
            reference=reference[:140],
            source=source,
            external_ref=external_ref[:100],
            recorded_by=recorded_by,
        )
        allocated = ZERO
        for invoice, share, problem in problems:
            _apply_allocation(payment, invoice, share)
            allocated += share
            if problem:
                # The money already left (Odoo or the bank says so): record it, and make
                # someone own the question of why a held or settled bill was paid.
                exception_item_open(
                    category="reconciliation_difference",
                    title=f"Payment {payment.number} on {invoice}: {problem}"[:200],
                    reason=f"{source} reports {share} {currency} paid on {invoice}: {problem}.",
                    trace_key=f"payment:{payment.id}:invoice:{invoice.id}",
                    project=invoice.project,
                    amount=share,
                    currency=currency,
                    details={"payment": payment.id, "invoice": invoice.id},
                    ledger_transaction=ledger_transaction,
                )
        if bank_change:
            # Odoo or the bank reports money sent while a bank change is unverified: the
            # verification item (same trace key) carries it, at the highest severity.
            exception_item_open(
                category="vendor_bank_change",
                title=(
                    f"Payment {payment.number} to {vendor.code} while bank details are unverified"
                )[:200],
                reason=(
                    f"{source} reports {amount} {currency} paid to {vendor.code}: {bank_change}."
                ),
                trace_key=f"vendor_bank_change:{vendor.id}",
                amount=amount,
                currency=currency,
                severity="critical",
                details={"payment": payment.id},
                ledger_transaction=ledger_transaction,
            )
        payment.unallocated_amount = amount - allocated
        payment.save(update_fields=["unallocated_amount"])
        audit_record(
            actor=recorded_by,
            action="payment.record",
            target=payment,
            detail={
                "source": source,
                "amount": str(amount),
                "allocations": [{"invoice": i.id, "amount": str(s)} for i, s, _ in problems],
            },
        )
    return payment


@transaction.atomic
def payment_allocate(*, payment: Payment, invoice: Invoice, amount, actor) -> PaymentAllocation:
    """Allocate the unallocated part of a payment to a released bill (bank reconciliation)."""
    payment = Payment.objects.select_for_update().get(id=payment.id)
    invoice = Invoice.objects.select_for_update().get(id=invoice.id)
    amount = quantize_money(parse_decimal(amount, field="amount"), payment.currency)
    if amount <= 0 or amount > payment.unallocated_amount:
        raise ApplicationError(
            f"Only {payment.unallocated_amount} {payment.currency} of {payment.number} "
            "is unallocated.",
            code="over_allocation",
        )
    if invoice.vendor_id != payment.vendor_id or invoice.currency != payment.currency:
        raise ApplicationError(
            f"{invoice} is not a bill of this payment's vendor.", code="vendor_mismatch"
        )
    problem = _allocation_problem(invoice, amount)
    if problem:
        raise ApplicationError(problem + ".", code="payment_not_allowed", status_code=409)
    _apply_allocation(payment, invoice, amount)
    payment.unallocated_amount -= amount
    payment.save(update_fields=["unallocated_amount"])
    audit_record(
        actor=actor,
        action="payment.allocate",
        target=payment,
        detail={"invoice": invoice.id, "amount": str(amount)},
    )
    return payment.allocations.get(invoice=invoice, amount=amount)


@transaction.atomic
def payment_reconcile(*, payment: Payment, actor, statement_reference: str = "") -> Payment:
    """Mark a payment as reconciled with a bank statement line (the banking engineer calls it)."""
    payment = Payment.objects.select_for_update().get(id=payment.id)
    if payment.status == PaymentStatus.VOID:
        raise ApplicationError(f"{payment.number} is void.", code="payment_void", status_code=409)
    if payment.status != PaymentStatus.RECONCILED:
        payment.status = PaymentStatus.RECONCILED
        payment.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="payment.reconcile",
            target=payment,
            detail={"statement_reference": statement_reference},
        )
    return payment
