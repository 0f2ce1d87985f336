"""Manual invoice match: a finance reviewer says which purchase-order lines (and which site
receipts) a held vendor bill is for, sees the variance before confirming, and confirms.

`invoice_match_preview` computes, without writing anything, each bill line's variance against
the chosen PO line and receipts: quantity (billed against received or ordered, across earlier
bills), unit price, and the money at risk, judged by the same tolerances as the 3-way match.

`invoice_match_manual` records it: the bill's lines move to the chosen PO lines (billed-to-date
facts uncounted and counted again), an InvoiceMatch is recorded with the figures and the
receipts, it is audited, the match result goes to Odoo, and then
- within tolerance: the bill goes to the accounting approver's posting gate (the existing path
  that posts the vendor bill in Odoo once approved);
- beyond tolerance: the bill stays held and a variance approval is requested — a second person
  decides (the existing invoice-variance approval; its requester cannot approve it).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from apps.approvals.models import ApprovalRequest
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.procurement import outbound
from apps.procurement.choices import (
    COMMITTED_STATUSES,
    BillingBasis,
    InvoiceKind,
    InvoiceStatus,
    MatchReason,
    MatchStatus,
)
from apps.procurement.models import (
    CommitmentLine,
    Invoice,
    InvoiceMatch,
    ReceiptLine,
)
from apps.procurement.selectors import match_tolerance_for
from apps.procurement.services.invoices import (
    _apply_facts,
    _jsonable,
    _pct,
    _prior_billed,
    _request_posting,
    _within,
    invoice_variance_request,
    retention_expected,
)
from apps.projects.money import ZERO, quantize_money

MATCHABLE_STATUSES = (InvoiceStatus.RECEIVED, InvoiceStatus.HELD, InvoiceStatus.MATCHED)


@dataclass
class ManualMatchResult:
    match: InvoiceMatch
    preview: dict
    posting_request: ApprovalRequest | None = None
    variance_request: ApprovalRequest | None = None

    @property
    def released(self) -> bool:
        return self.match.outcome in (MatchStatus.MATCHED, MatchStatus.WITHIN_TOLERANCE)


def _int(value, *, what: str) -> int:
    try:
        return int(getattr(value, "pk", value))
    except (TypeError, ValueError):
        raise ApplicationError(
            f"{what} must be an id, not {value!r}.", code="bad_allocation"
        ) from None


def _parse_allocations(invoice: Invoice, allocations) -> list[dict]:
    """[{invoice_line, commitment_line, receipts: [receipt ids]}] → resolved objects; every bill
    line is allocated exactly once, all to one commitment of the bill's vendor and currency."""
    if not allocations:
        raise ApplicationError(
            "Pick the purchase-order line for each bill line.", code="allocations_required"
        )
    lines = {line.pk: line for line in invoice.lines.order_by("line_no")}
    chosen: dict[int, dict] = {}
    for spec in allocations:
        if not isinstance(spec, dict):
            raise ApplicationError("Each allocation is an object.", code="bad_allocation")
        line_id = _int(spec.get("invoice_line"), what="invoice_line")
        if line_id not in lines:
            raise ApplicationError(
                f"Bill line {line_id} is not on {invoice}.", code="line_not_on_invoice"
            )
        if line_id in chosen:
            raise ApplicationError(
                f"Bill line {lines[line_id].line_no} is allocated twice.", code="bad_allocation"
            )
        commitment_line_id = _int(spec.get("commitment_line"), what="commitment_line")
        commitment_line = (
            CommitmentLine.objects.select_related("commitment", "commitment__vendor")
            .filter(pk=commitment_line_id)
            .first()
        )
        if commitment_line is None:
            raise ApplicationError(
                f"No purchase-order line {commitment_line_id}.", code="line_not_on_commitment"
            )
        receipt_ids = sorted({_int(r, what="receipt") for r in (spec.get("receipts") or [])})
        chosen[line_id] = {
            "line": lines[line_id],
            "commitment_line": commitment_line,
            "receipt_ids": receipt_ids,
        }
    missing = [line.line_no for pk, line in lines.items() if pk not in chosen]
    if missing:
        raise ApplicationError(
            f"Bill line(s) {', '.join(map(str, missing))} have no purchase-order line.",
            code="allocations_incomplete",
        )
    commitments = {a["commitment_line"].commitment_id for a in chosen.values()}
    if len(commitments) != 1:
        raise ApplicationError(
            "A bill is matched to one purchase order or subcontract; the lines picked are on "
            f"{len(commitments)}.",
            code="several_commitments",
        )
    commitment = next(iter(chosen.values()))["commitment_line"].commitment
    if commitment.vendor_id != invoice.vendor_id:
        raise ApplicationError(
            f"{commitment.number} is with {commitment.vendor.code}; the bill is from "
            f"{invoice.vendor.code}.",
            code="vendor_mismatch",
        )
    if commitment.currency != invoice.currency:
        raise ApplicationError(
            f"{commitment.number} is in {commitment.currency}, the bill in {invoice.currency}.",
            code="currency_mismatch",
        )
    if commitment.status not in COMMITTED_STATUSES:
        raise ApplicationError(
            f"{commitment.number} is {commitment.get_status_display().lower()}.",
            code="commitment_not_open",
        )
    if invoice.project_id and invoice.project_id != commitment.project_id:
        raise ApplicationError(
            f"{commitment.number} belongs to another project than the bill.",
            code="project_mismatch",
        )
    return [chosen[pk] for pk in lines]


def _check_matchable(invoice: Invoice) -> None:
    if invoice.kind != InvoiceKind.INVOICE:
        raise ApplicationError(
            "Credit notes are matched by the 3-way match, not by hand.", code="not_a_bill"
        )
    if invoice.status not in MATCHABLE_STATUSES or (
        invoice.match_status == MatchStatus.VARIANCE_APPROVED
    ):
        raise ApplicationError(
            f"{invoice} is {invoice.get_status_display().lower()} "
            f"({invoice.get_match_status_display().lower()}); it is not matched again.",
            code="invoice_not_matchable",
            status_code=409,
        )


def _preview(invoice: Invoice, allocations) -> dict:
    chosen = _parse_allocations(invoice, allocations)
    commitment = chosen[0]["commitment_line"].commitment
    currency = invoice.currency
    tolerance = match_tolerance_for(project=commitment.project, vendor=invoice.vendor)
    qty_limits = (tolerance["quantity_pct"], tolerance["quantity_amount"])
    price_limits = (tolerance["price_pct"], tolerance["price_amount"])
    receipt_ids = sorted({r for a in chosen for r in a["receipt_ids"]})
    picked_lines = list(
        ReceiptLine.objects.filter(receipt_id__in=receipt_ids).select_related("receipt")
    )
    foreign = {
        rl.receipt.number for rl in picked_lines if rl.receipt.commitment_id != commitment.pk
    }
    if len({rl.receipt_id for rl in picked_lines}) != len(receipt_ids) and receipt_ids:
        known = {rl.receipt_id for rl in picked_lines}
        raise ApplicationError(
            f"No receipt {', '.join(str(r) for r in receipt_ids if r not in known)}.",
            code="unknown_receipt",
        )
    if foreign:
        raise ApplicationError(
            f"Receipt(s) {', '.join(sorted(foreign))} are not for {commitment.number}.",
            code="receipt_not_on_commitment",
        )
    rows = []
    reasons: list[dict] = []
    tolerated: list[dict] = []
    billed_in_this: dict[int, Decimal] = {}
    variance = ZERO
    for allocation in chosen:
        line, c = allocation["line"], allocation["commitment_line"]
        picked = [
            rl
            for rl in picked_lines
            if rl.commitment_line_id == c.pk and rl.receipt_id in allocation["receipt_ids"]
        ]
        picked_quantity = sum((rl.quantity for rl in picked), ZERO)
        prior = _prior_billed(c, invoice)  # earlier active bills on that PO line
        billed_in_this[c.pk] = billed_in_this.get(c.pk, ZERO) + line.quantity
        billed_to_date = prior + billed_in_this[c.pk]
        received_basis = c.billing_basis == BillingBasis.RECEIVED
        reference = c.received_quantity if received_basis else c.quantity
        over = max(billed_to_date - reference, ZERO)
        if received_basis and picked:
            # The receipts picked are the deliveries this bill is for.
            over = max(over, line.quantity - picked_quantity)
        over = min(over, line.quantity)
        unit_difference = line.unit_price - c.unit_price
        quantity_amount = quantize_money(over * c.unit_price, currency)
        price_amount = quantize_money(max(unit_difference, ZERO) * line.quantity, currency)
        row_reasons = []
        status = MatchStatus.MATCHED
        what = "received" if received_basis else "ordered"
        if received_basis and reference <= 0 and not picked:
            row_reasons.append(
                {
                    "code": MatchReason.NO_RECEIPT,
                    "message": f"line {line.line_no}: nothing received on {commitment.number} "
                    f"line {c.line_no}",
                    "line": line.line_no,
                }
            )
            over = line.quantity
            quantity_amount = quantize_money(line.quantity * c.unit_price, currency)
        elif over > 0:
            base = picked_quantity if (received_basis and picked) else reference
            message = (
                f"line {line.line_no}: {line.quantity} {c.unit} billed against {base} {what} "
                f"on {commitment.number} line {c.line_no} (+{over}, {quantity_amount} {currency})"
            )
            code = (
                MatchReason.OVER_BILLED_QUANTITY
                if received_basis
                else MatchReason.OVER_BILLED_ORDER
            )
            entry = {"code": code, "message": message, "line": line.line_no}
            if _within(quantity_amount, _pct(over, base) if base > 0 else None, qty_limits):
                tolerated.append({**entry, "tolerated": True})
                status = MatchStatus.WITHIN_TOLERANCE
            else:
                row_reasons.append(entry)
        if unit_difference > 0:
            pct = _pct(unit_difference, c.unit_price)
            entry = {
                "code": MatchReason.PRICE_VARIANCE,
                "message": f"line {line.line_no}: unit price {line.unit_price} against "
                f"{c.unit_price} on {commitment.number} line {c.line_no} "
                f"(+{pct if pct is not None else '∞'}%, {price_amount} {currency})",
                "line": line.line_no,
            }
            if _within(price_amount, pct, price_limits):
                tolerated.append({**entry, "tolerated": True})
                if status == MatchStatus.MATCHED:
                    status = MatchStatus.WITHIN_TOLERANCE
            else:
                row_reasons.append(entry)
        if row_reasons:
            status = MatchStatus.EXCEPTION
            reasons.extend(row_reasons)
        at_risk = quantity_amount + price_amount
        variance += at_risk
        rows.append(
            {
                "invoice_line": line.pk,
                "line_no": line.line_no,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "amount": line.amount,
                "commitment_line": c.pk,
                "commitment_line_no": c.line_no,
                "po_description": c.description,
                "unit": c.unit,
                "ordered": c.quantity,
                "received": c.received_quantity,
                "receipts": [rl.receipt.number for rl in picked],
                "receipt_ids": sorted({rl.receipt_id for rl in picked}),
                "picked_received": picked_quantity if picked else None,
                "billed_before": prior,
                "po_unit_price": c.unit_price,
                "quantity_variance": over,
                "price_variance": unit_difference,
                "quantity_variance_amount": quantity_amount,
                "price_variance_amount": price_amount,
                # The bill line against what the PO would pay for the quantity it may bill.
                "amount_variance": line.amount
                - quantize_money((line.quantity - over) * c.unit_price, currency),
                "at_risk": at_risk,
                "status": status,
                "reasons": row_reasons + [t for t in tolerated if t["line"] == line.line_no],
            }
        )
    if reasons:
        outcome = MatchStatus.EXCEPTION
    elif tolerated:
        outcome = MatchStatus.WITHIN_TOLERANCE
    else:
        outcome = MatchStatus.MATCHED
    return {
        "invoice": invoice.pk,
        "commitment": commitment.pk,
        "commitment_number": commitment.number,
        "currency": currency,
        "lines": rows,
        "reasons": reasons,
        "tolerated": tolerated,
        "tolerance": tolerance,
        "variance_amount": quantize_money(variance, currency),
        "outcome": outcome,
        "needs_approval": outcome == MatchStatus.EXCEPTION,
    }


def invoice_match_preview(*, invoice: Invoice, allocations) -> dict:
    """What a manual match would record (no writes): per bill line the chosen PO line, the
    receipts, the quantity / price / amount variance and its verdict against the tolerances;
    overall the outcome and whether a second person must approve the variance."""
    invoice = Invoice.objects.select_related("vendor", "project").get(pk=invoice.pk)
    _check_matchable(invoice)
    return _preview(invoice, allocations)


def _reallocate(invoice: Invoice, preview: dict) -> None:
    """Move the bill's lines to the chosen PO lines: billed-to-date facts uncounted, the lines
    and retention changed, counted again (the same _apply_facts as recording and rejecting)."""
    moves = {row["invoice_line"]: row["commitment_line"] for row in preview["lines"]}
    unchanged = invoice.commitment_id == preview["commitment"] and all(
        line.commitment_line_id == moves[line.pk] for line in invoice.lines.all()
    )
    if unchanged:
        return
    _apply_facts(invoice, direction=-1)
    for line in invoice.lines.all():
        line.commitment_line_id = moves[line.pk]
        line.save(update_fields=["commitment_line"])
    commitment = (
        CommitmentLine.objects.select_related("commitment")
        .get(pk=preview["lines"][0]["commitment_line"])
        .commitment
    )
    invoice.commitment = commitment
    invoice.project_id = commitment.project_id
    if invoice.retention_stated is None:
        invoice.retention_withheld = retention_expected(
            commitment=commitment, kind=invoice.kind, gross=invoice.subtotal, invoice_id=invoice.pk
        )
    invoice.payable_amount = (
        invoice.subtotal
        + invoice.tax_amount
        - invoice.retention_withheld
        + invoice.retention_released
    )
    invoice.save(
        update_fields=[
            "commitment",
            "project",
            "retention_withheld",
            "payable_amount",
            "updated_at",
        ]
    )
    _apply_facts(invoice, direction=1)


def invoice_match_manual(*, invoice: Invoice, allocations, actor, note: str) -> ManualMatchResult:
    """Record a manual match (see the module docstring). Whoever recorded the bill cannot match
    it by hand; the note (why these lines and receipts) is required."""
    note = (note or "").strip()
    if not note:
        raise ApplicationError(
            "Say why these purchase-order lines and receipts are the right ones.",
            code="note_required",
        )
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("vendor", "project")
            .get(pk=invoice.pk)
        )
        _check_matchable(invoice)
        if invoice.created_by_id and actor is not None and invoice.created_by_id == actor.pk:
            raise ApplicationError(
                "Whoever recorded a bill cannot match it by hand (segregation of duties).",
                code="same_person",
                status_code=403,
            )
        preview = _preview(invoice, allocations)
        _reallocate(invoice, preview)
        outcome = preview["outcome"]
        manual = {
            "code": "manual_match",
            "message": f"matched by hand by {actor.get_username()} to "
            f"{preview['commitment_number']}: {note}",
        }
        reasons = preview["reasons"] + preview["tolerated"] + [manual]
        for row in preview["lines"]:
            line = invoice.lines.get(pk=row["invoice_line"])
            line.match_status = row["status"]
            line.match_reasons = _jsonable(row["reasons"])
            line.quantity_variance = row["quantity_variance"]
            line.price_variance = row["price_variance_amount"]
            line.save(
                update_fields=[
                    "match_status",
                    "match_reasons",
                    "quantity_variance",
                    "price_variance",
                ]
            )
        invoice.match_status = outcome
        invoice.match_reasons = _jsonable(reasons)
        invoice.variance_amount = preview["variance_amount"]
        invoice.status = (
            InvoiceStatus.HELD if outcome == MatchStatus.EXCEPTION else InvoiceStatus.MATCHED
        )
        invoice.payment_hold = True
        invoice.save(
            update_fields=[
                "match_status",
                "match_reasons",
                "variance_amount",
                "status",
                "payment_hold",
            ]
        )
        record = InvoiceMatch.objects.create(
            invoice=invoice,
            outcome=outcome,
            reasons=_jsonable(reasons),
            tolerance=_jsonable(preview["tolerance"]),
            lines=_jsonable([{**row, "manual": True} for row in preview["lines"]]),
            variance_amount=preview["variance_amount"],
            expected_retention=invoice.retention_withheld,
            matched_by=actor,
        )
        audit_record(
            actor=actor,
            action="invoice.match_manual",
            target=invoice,
            detail={
                "outcome": outcome,
                "commitment": preview["commitment_number"],
                "allocations": _jsonable(
                    [
                        {
                            "line": row["line_no"],
                            "commitment_line": row["commitment_line_no"],
                            "receipts": row["receipts"],
                        }
                        for row in preview["lines"]
                    ]
                ),
                "variance": str(preview["variance_amount"]),
                "note": note,
            },
        )
        outbound.route(
            domain="invoice",
            operation="match_result",
            subject=invoice,
            project=invoice.project,
        )
        result = ManualMatchResult(match=record, preview=preview)
        if outcome == MatchStatus.EXCEPTION:
            result.variance_request = invoice_variance_request(
                invoice=invoice, actor=actor, comment=note
            )
        else:
            result.posting_request = _request_posting(invoice, actor)
    return result
