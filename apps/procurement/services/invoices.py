"""Vendor bills and credit notes: record, 3-way match, variance approval, the posting gate,
reject.

The match compares each bill line with its commitment line (price, ordered quantity) and with
what was received or certified (quantity), across every earlier bill on the same line (partial
deliveries, several bills per PO, credit notes), within the tolerances of the vendor or project,
and checks retention against the contract terms. Outcomes: matched, matched within tolerance
(recorded with the figures), or an exception item that says exactly what is wrong.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from apps.approvals.choices import DocumentType
from apps.approvals.models import ApprovalRequest
from apps.approvals.selectors import approval_requests_for, posting_gate_passed
from apps.approvals.services import approval_cancel, approval_request_create
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.procurement import outbound
from apps.procurement.choices import (
    ACTIVE_INVOICE_STATUSES,
    COMMITTED_STATUSES,
    RELEASED_MATCH_STATUSES,
    BillingBasis,
    InvoiceKind,
    InvoiceStatus,
    MatchReason,
    MatchStatus,
    PaymentSource,
    VendorStatus,
)
from apps.procurement.models import (
    Commitment,
    CommitmentLine,
    Invoice,
    InvoiceLine,
    InvoiceMatch,
    ProgressClaim,
    Vendor,
)
from apps.procurement.selectors import match_tolerance_for
from apps.procurement.services.common import (
    audited_refusal,
    line_amount,
    parse_quantity,
    parse_unit_price,
)
from apps.procurement.services.facts import commitment_line_move
from apps.projects.exception_items import exception_item_close, exception_item_open
from apps.projects.money import (
    ZERO,
    currency_validate,
    money_quantum,
    parse_decimal,
    quantize_money,
)

# Which exception category an invoice goes to, by its first (most fundamental) reason.
REASON_CATEGORY = {
    MatchReason.NO_PO: "unmatched_invoice",
    MatchReason.COMMITMENT_NOT_OPEN: "unmatched_invoice",
    MatchReason.VENDOR_MISMATCH: "unmatched_invoice",
    MatchReason.CURRENCY_MISMATCH: "unmatched_invoice",
    MatchReason.TOTAL_MISMATCH: "unmatched_invoice",
    MatchReason.NO_RECEIPT: "missing_receipt",
    MatchReason.VENDOR_INELIGIBLE: "compliance_hold",
}
DEFAULT_CATEGORY = "price_quantity_variance"
HUNDRED = Decimal("100")


# --- record -------------------------------------------------------------------------------------


def _retention_before(commitment: Commitment, invoice_id: int | None) -> tuple[Decimal, Decimal]:
    """Retention held and released by the active bills received before this one."""
    held = released = ZERO
    queryset = Invoice.objects.filter(commitment=commitment, status__in=ACTIVE_INVOICE_STATUSES)
    if invoice_id is not None:
        queryset = queryset.filter(id__lt=invoice_id)
    for kind, withheld, freed in queryset.values_list(
        "kind", "retention_withheld", "retention_released"
    ):
        held += -withheld if kind == InvoiceKind.CREDIT_NOTE else withheld
        released += freed
    return held, released


def retention_expected(
    *, commitment: Commitment, kind: str, gross: Decimal, invoice_id: int | None
) -> Decimal:
    """Retention the contract terms withhold on a bill of this gross amount (or give back on a
    credit note), respecting the cap on what may be held in total."""
    if commitment is None or commitment.retention_pct <= 0 or gross <= 0:
        return ZERO
    held, _ = _retention_before(commitment, invoice_id)
    expected = quantize_money(gross * commitment.retention_pct / HUNDRED, commitment.currency)
    if kind == InvoiceKind.CREDIT_NOTE:
        return min(expected, max(held, ZERO))
    if commitment.retention_cap_pct is not None:
        cap = quantize_money(
            commitment.total_amount * commitment.retention_cap_pct / HUNDRED, commitment.currency
        )
        expected = min(expected, max(cap - held, ZERO))
    return expected


def _resolve_line(commitment: Commitment | None, ref) -> CommitmentLine | None:
    if ref in (None, ""):
        return None
    line_id = ref.id if isinstance(ref, CommitmentLine) else ref
    if commitment is None:
        raise ApplicationError(
            f"Bill line refers to commitment line {line_id} but the bill names no commitment.",
            code="line_not_on_commitment",
        )
    line = commitment.lines.filter(id=line_id).first()
    if line is None:
        raise ApplicationError(
            f"Commitment line {line_id} is not on {commitment.number}.",
            code="line_not_on_commitment",
        )
    return line


def invoice_record(
    *,
    vendor: Vendor,
    number: str,
    invoice_date: date,
    currency: str,
    lines: list[dict],
    kind: str = InvoiceKind.INVOICE,
    commitment: Commitment | None = None,
    project=None,
    progress_claim: ProgressClaim | None = None,
    tax_amount=ZERO,
    retention_stated=None,
    retention_released=ZERO,
    stated_total=None,
    due_date: date | None = None,
    source: str = PaymentSource.MANUAL,
    external_ref: str = "",
    created_by=None,
    match: bool = True,
    ledger_transaction=None,
) -> Invoice:
    """Record a vendor bill or credit note (idempotent: the same vendor number arriving again
    returns the first record; a different bill under a used number is refused) and match it."""
    number = (number or "").strip()
    if not number:
        raise ApplicationError("A bill needs the vendor's invoice number.", code="number_required")
    if kind not in InvoiceKind.values:
        raise ApplicationError(f"Unknown bill kind {kind!r}.", code="bad_kind")
    currency = currency_validate(currency)
    with transaction.atomic():
        existing = (
            Invoice.objects.select_for_update()
            .filter(vendor=vendor, kind=kind, number=number)
            .first()
        )
        if existing is not None:
            if external_ref and existing.external_ref and existing.external_ref != external_ref:
                raise ApplicationError(
                    f"{vendor.code} already billed {number} (recorded as {existing.external_ref}); "
                    f"{external_ref} reuses the number.",
                    code="duplicate_invoice",
                    details={"invoice": existing.id},
                    status_code=409,
                )
            return existing
        if commitment is not None:
            commitment = Commitment.objects.select_related("project", "vendor").get(
                id=commitment.id
            )
            if project is not None and project.id != commitment.project_id:
                raise ApplicationError(
                    f"{commitment.number} belongs to {commitment.project.code}, "
                    f"not {project.code}.",
                    code="project_mismatch",
                )
            project = commitment.project
        built = []
        for position, spec in enumerate(lines or [], start=1):
            quantity = parse_quantity(spec.get("quantity"), field=f"line {position} quantity")
            if quantity <= 0:
                raise ApplicationError(
                    f"Line {position}: quantities are positive (a credit note says it credits).",
                    code="bad_quantity",
                )
            unit_price = parse_unit_price(
                spec.get("unit_price"), field=f"line {position} unit_price"
            )
            built.append(
                {
                    "line_no": position,
                    "commitment_line": _resolve_line(
                        commitment, spec.get("commitment_line") or spec.get("commitment_line_id")
                    ),
                    "description": (spec.get("description") or "")[:255] or f"line {position}",
                    "quantity": quantity,
                    "unit_price": unit_price,
                    "amount": line_amount(quantity, unit_price, currency),
                }
            )
        if not built and not parse_decimal(retention_released or 0, field="retention_released"):
            raise ApplicationError("A bill needs lines (or a retention release).", code="no_lines")
        subtotal = sum((line["amount"] for line in built), ZERO)
        tax_amount = quantize_money(parse_decimal(tax_amount or 0, field="tax_amount"), currency)
        released = quantize_money(
            parse_decimal(retention_released or 0, field="retention_released"), currency
        )
        stated = (
            quantize_money(parse_decimal(retention_stated, field="retention"), currency)
            if retention_stated not in (None, "")
            else None
        )
        invoice = Invoice.objects.create(
            vendor=vendor,
            project=project,
            commitment=commitment,
            progress_claim=progress_claim,
            kind=kind,
            number=number[:60],
            invoice_date=invoice_date,
            due_date=due_date,
            currency=currency,
            subtotal=subtotal,
            tax_amount=tax_amount,
            retention_stated=stated,
            retention_released=released,
            stated_total=(
                quantize_money(parse_decimal(stated_total, field="total"), currency)
                if stated_total not in (None, "")
                else None
            ),
            source=source,
            external_ref=external_ref[:100],
            created_by=created_by,
        )
        InvoiceLine.objects.bulk_create([InvoiceLine(invoice=invoice, **line) for line in built])
        # What the hub withholds: the stated retention when the vendor states one (the match
        # checks it), else what the contract terms say.
        withheld = (
            stated
            if stated is not None
            else retention_expected(
                commitment=commitment, kind=kind, gross=subtotal, invoice_id=invoice.id
            )
        )
        invoice.retention_withheld = withheld
        invoice.payable_amount = subtotal + tax_amount - withheld + released
        invoice.save(update_fields=["retention_withheld", "payable_amount"])
        _apply_facts(invoice, direction=1)
        audit_record(
            actor=created_by,
            action="invoice.record",
            target=invoice,
            detail={
                "kind": kind,
                "vendor": vendor.code,
                "commitment": getattr(commitment, "number", None),
                "subtotal": str(subtotal),
                "retention_withheld": str(withheld),
                "payable": str(invoice.payable_amount),
                "source": source,
            },
        )
        if match:
            invoice_match(invoice=invoice, actor=created_by, ledger_transaction=ledger_transaction)
            invoice.refresh_from_db()
    return invoice


def _apply_facts(invoice: Invoice, *, direction: int) -> None:
    """Count (direction 1) or uncount (-1) a bill in billed-to-date and retention figures."""
    sign = invoice.sign * direction
    for line in invoice.lines.select_related("commitment_line"):
        if line.commitment_line_id:
            commitment_line_move(
                line=line.commitment_line,
                invoiced_quantity=sign * line.quantity,
                invoiced_amount=sign * line.amount,
            )
    if invoice.commitment_id:
        commitment = Commitment.objects.select_for_update().get(id=invoice.commitment_id)
        commitment.retention_held += sign * invoice.retention_withheld
        commitment.retention_released += direction * invoice.retention_released
        commitment.save(update_fields=["retention_held", "retention_released", "updated_at"])


# --- match --------------------------------------------------------------------------------------


@dataclass
class _Outcome:
    reasons: list[dict] = field(default_factory=list)
    tolerated: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)
    variance: Decimal = ZERO

    def fail(self, code: str, message: str, *, line: int | None = None, at_risk=ZERO) -> None:
        self.reasons.append({"code": code, "message": message, "line": line})
        self.variance += at_risk


def _within(amount: Decimal, pct: Decimal | None, limits: tuple) -> bool:
    """Tolerated when within every limit that is set (the stricter applies); no limit = exact."""
    pct_limit, amount_limit = limits
    if pct_limit is None and amount_limit is None:
        return False
    if pct_limit is not None and (pct is None or pct > Decimal(pct_limit)):
        return False
    return not (amount_limit is not None and amount > Decimal(amount_limit))


def _prior_billed(line: CommitmentLine, invoice: Invoice) -> Decimal:
    """Net quantity billed on a commitment line by active bills received before this one."""
    total = ZERO
    for kind, quantity in InvoiceLine.objects.filter(
        commitment_line=line,
        invoice__status__in=ACTIVE_INVOICE_STATUSES,
        invoice__id__lt=invoice.id,
    ).values_list("invoice__kind", "quantity"):
        total += -quantity if kind == InvoiceKind.CREDIT_NOTE else quantity
    return total


def _pct(part: Decimal, whole: Decimal) -> Decimal | None:
    if whole <= 0:
        return None
    return (part / whole * HUNDRED).quantize(Decimal("0.01"))


def _match_lines(invoice: Invoice, tolerance: dict, outcome: _Outcome) -> list[dict]:
    currency = invoice.currency
    qty_limits = (tolerance["quantity_pct"], tolerance["quantity_amount"])
    price_limits = (tolerance["price_pct"], tolerance["price_amount"])
    billed_in_this: dict[int, Decimal] = defaultdict(lambda: ZERO)
    results = []
    for line in invoice.lines.select_related("commitment_line").order_by("line_no"):
        c = line.commitment_line
        result = {"line": line.line_no, "status": MatchStatus.MATCHED, "reasons": [], "notes": []}
        line.quantity_variance = ZERO
        line.price_variance = ZERO

        def fail(code, message, at_risk, result=result, line=line):
            outcome.fail(code, message, line=line.line_no, at_risk=at_risk)
            result["reasons"].append({"code": code, "message": message})
            result["status"] = MatchStatus.EXCEPTION

        def tolerate(code, message, result=result, line=line):
            outcome.tolerated.append(
                {"code": code, "message": message, "line": line.line_no, "tolerated": True}
            )
            result["notes"].append({"code": code, "message": message, "tolerated": True})
            if result["status"] == MatchStatus.MATCHED:
                result["status"] = MatchStatus.WITHIN_TOLERANCE

        if c is None:
            fail(
                MatchReason.NO_PO,
                f"line {line.line_no} ({line.description}) is on no purchase order line",
                # Without any commitment the whole bill is already counted as at risk.
                line.amount if invoice.commitment_id else ZERO,
            )
            results.append(result)
            line.match_status, line.match_reasons = result["status"], result["reasons"]
            line.save(
                update_fields=[
                    "match_status",
                    "match_reasons",
                    "quantity_variance",
                    "price_variance",
                ]
            )
            continue

        prior = _prior_billed(c, invoice)
        sign = invoice.sign
        billed_in_this[c.id] += sign * line.quantity
        billed_to_date = prior + billed_in_this[c.id]
        result.update(
            {
                "commitment_line": c.line_no,
                "ordered": c.quantity,
                "received": c.received_quantity,
                "billed_before": prior,
                "billed_to_date": billed_to_date,
                "po_unit_price": c.unit_price,
                "unit_price": line.unit_price,
            }
        )
        if invoice.kind == InvoiceKind.CREDIT_NOTE:
            if billed_to_date < 0:
                fail(
                    MatchReason.CREDIT_EXCEEDS_BILLED,
                    f"line {line.line_no} credits {line.quantity} {c.unit} but only {prior} were "
                    f"billed on {c.commitment.number} line {c.line_no}",
                    quantize_money(-billed_to_date * c.unit_price, currency),
                )
        else:
            received_basis = c.billing_basis == BillingBasis.RECEIVED
            reference = c.received_quantity if received_basis else c.quantity
            if received_basis and reference <= 0:
                fail(
                    MatchReason.NO_RECEIPT,
                    f"line {line.line_no} bills {line.quantity} {c.unit} of "
                    f"{c.commitment.number} line {c.line_no} but nothing was received or certified",
                    line.amount,
                )
            else:
                over = billed_to_date - reference
                if over > 0:
                    # Tolerance judges the line's cumulative over-billing; the money at risk on
                    # this bill is only the part it adds.
                    over_now = min(over, line.quantity)
                    over_amount = quantize_money(over * c.unit_price, currency)
                    at_risk = quantize_money(over_now * c.unit_price, currency)
                    pct = _pct(over, reference)
                    line.quantity_variance = over_now
                    code = (
                        MatchReason.OVER_BILLED_QUANTITY
                        if received_basis
                        else MatchReason.OVER_BILLED_ORDER
                    )
                    what = "received" if received_basis else "ordered"
                    message = (
                        f"line {line.line_no}: {billed_to_date} {c.unit} billed to date against "
                        f"{reference} {what} on {c.commitment.number} line {c.line_no} "
                        f"(+{over}, {pct}%, {over_amount} {currency})"
                    )
                    if _within(over_amount, pct, qty_limits):
                        tolerate(code, message)
                    else:
                        fail(code, message, at_risk)
            difference = line.unit_price - c.unit_price
            if difference > 0:
                at_risk = quantize_money(difference * line.quantity, currency)
                pct = _pct(difference, c.unit_price)
                line.price_variance = at_risk
                message = (
                    f"line {line.line_no}: unit price {line.unit_price} against {c.unit_price} on "
                    f"{c.commitment.number} line {c.line_no} (+{pct if pct is not None else '∞'}%, "
                    f"{at_risk} {currency})"
                )
                if _within(at_risk, pct, price_limits):
                    tolerate(MatchReason.PRICE_VARIANCE, message)
                else:
                    fail(MatchReason.PRICE_VARIANCE, message, at_risk)
            elif difference < 0:
                note = (
                    f"line {line.line_no}: unit price {line.unit_price} below the PO's "
                    f"{c.unit_price} (in our favour)"
                )
                outcome.notes.append(
                    {"code": "price_below_po", "message": note, "line": line.line_no}
                )
                result["notes"].append({"code": "price_below_po", "message": note})
        line.match_status = result["status"]
        line.match_reasons = result["reasons"] + result["notes"]
        line.save(
            update_fields=["match_status", "match_reasons", "quantity_variance", "price_variance"]
        )
        results.append(result)
    return results


def _match_retention(invoice: Invoice, outcome: _Outcome) -> Decimal:
    commitment = invoice.commitment
    currency = invoice.currency
    expected = retention_expected(
        commitment=commitment, kind=invoice.kind, gross=invoice.subtotal, invoice_id=invoice.id
    )
    quantum = money_quantum(currency)
    stated = invoice.retention_stated
    if stated is not None:
        if stated > expected + quantum:
            outcome.fail(
                MatchReason.OVER_RETENTION,
                f"retention {stated} {currency} withheld; the terms of {commitment.number} "
                f"({commitment.retention_pct}%"
                + (
                    f", capped at {commitment.retention_cap_pct}%"
                    if commitment.retention_cap_pct
                    else ""
                )
                + f") allow {expected}",
                at_risk=stated - expected,
            )
        elif stated < expected - quantum:
            outcome.fail(
                MatchReason.UNDER_RETENTION,
                f"retention {stated} {currency} withheld; the terms of {commitment.number} "
                f"({commitment.retention_pct}%) require {expected}",
                at_risk=expected - stated,
            )
    release = invoice.retention_released
    if release > 0:
        held, released_before = _retention_before(commitment, invoice.id)
        balance = held - released_before
        if release > balance:
            outcome.fail(
                MatchReason.OVER_RELEASE_RETENTION,
                f"releases {release} {currency} of retention but {balance} is held on "
                f"{commitment.number}",
                at_risk=release - max(balance, ZERO),
            )
        else:
            on = invoice.invoice_date
            if commitment.defects_liability_end and on >= commitment.defects_liability_end:
                releasable = held
                stage = "end of the defects liability period"
            elif (
                commitment.practical_completion_date and on >= commitment.practical_completion_date
            ):
                releasable = quantize_money(
                    held * commitment.retention_release_at_completion_pct / HUNDRED, currency
                )
                stage = (
                    f"practical completion ({commitment.retention_release_at_completion_pct}% "
                    "of the retention)"
                )
            else:
                releasable = ZERO
                stage = "nothing before practical completion"
            due_now = max(releasable - released_before, ZERO)
            if release > due_now:
                outcome.fail(
                    MatchReason.RETENTION_RELEASE_NOT_DUE,
                    f"releases {release} {currency} of retention; {due_now} is due at "
                    f"{invoice.invoice_date} ({stage})",
                    at_risk=release - due_now,
                )
    return expected


def _match_invoice_level(invoice: Invoice, outcome: _Outcome) -> None:
    commitment = invoice.commitment
    if invoice.vendor.status == VendorStatus.BLOCKED:
        outcome.fail(
            MatchReason.VENDOR_INELIGIBLE,
            f"vendor {invoice.vendor.code} is blocked: {invoice.vendor.blocked_reason}",
            at_risk=ZERO,
        )
    if commitment is None:
        outcome.fail(
            MatchReason.NO_PO,
            f"bill {invoice.number} names no purchase order or subcontract",
            at_risk=invoice.payable_amount,
        )
        return
    if commitment.status not in COMMITTED_STATUSES:
        outcome.fail(
            MatchReason.COMMITMENT_NOT_OPEN,
            f"{commitment.number} is {commitment.get_status_display().lower()}",
            at_risk=invoice.payable_amount,
        )
    if commitment.vendor_id != invoice.vendor_id:
        outcome.fail(
            MatchReason.VENDOR_MISMATCH,
            f"{commitment.number} is with {commitment.vendor.code}, the bill is from "
            f"{invoice.vendor.code}",
            at_risk=invoice.payable_amount,
        )
    if commitment.currency != invoice.currency:
        outcome.fail(
            MatchReason.CURRENCY_MISMATCH,
            f"{commitment.number} is in {commitment.currency}, the bill in {invoice.currency}",
            at_risk=invoice.payable_amount,
        )


def invoice_match(*, invoice: Invoice, actor=None, ledger_transaction=None) -> InvoiceMatch:
    """Run the 3-way match on a bill and record the outcome, its figures and (on an exception)
    an exception item with the precise reasons; a released bill goes to the posting gate."""
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("vendor", "commitment", "commitment__vendor", "project")
            .get(id=invoice.id)
        )
        if invoice.status not in (
            InvoiceStatus.RECEIVED,
            InvoiceStatus.HELD,
            InvoiceStatus.MATCHED,
        ):
            raise ApplicationError(
                f"{invoice} is {invoice.get_status_display().lower()}; it is not matched again.",
                code="invoice_not_matchable",
                status_code=409,
            )
        if invoice.match_status == MatchStatus.VARIANCE_APPROVED:
            raise ApplicationError(
                f"The variance on {invoice} was approved; it is not matched again.",
                code="invoice_not_matchable",
                status_code=409,
            )
        tolerance = match_tolerance_for(project=invoice.project, vendor=invoice.vendor)
        outcome = _Outcome()
        _match_invoice_level(invoice, outcome)
        line_results = _match_lines(invoice, tolerance, outcome)
        expected_retention = ZERO
        if invoice.commitment_id:
            expected_retention = _match_retention(invoice, outcome)
        computed_total = invoice.payable_amount
        if invoice.stated_total is not None and invoice.stated_total != computed_total:
            outcome.fail(
                MatchReason.TOTAL_MISMATCH,
                f"the bill states {invoice.stated_total} {invoice.currency} due; its lines, tax "
                f"and retention give {computed_total}",
                at_risk=abs(invoice.stated_total - computed_total),
            )
        if outcome.reasons:
            status = MatchStatus.EXCEPTION
        elif outcome.tolerated:
            status = MatchStatus.WITHIN_TOLERANCE
        else:
            status = MatchStatus.MATCHED
        variance = quantize_money(
            outcome.variance
            + sum(
                (
                    line.price_variance + line.quantity_variance * (line.commitment_line.unit_price)
                    for line in invoice.lines.select_related("commitment_line")
                    if line.commitment_line_id and status == MatchStatus.WITHIN_TOLERANCE
                ),
                ZERO,
            ),
            invoice.currency,
        )
        reasons = outcome.reasons + outcome.tolerated + outcome.notes
        invoice.match_status = status
        invoice.match_reasons = _jsonable(reasons)
        invoice.variance_amount = variance
        invoice.status = (
            InvoiceStatus.HELD if status == MatchStatus.EXCEPTION else InvoiceStatus.MATCHED
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
            outcome=status,
            reasons=_jsonable(reasons),
            tolerance=_jsonable(tolerance),
            lines=_jsonable(line_results),
            variance_amount=variance,
            expected_retention=expected_retention,
            matched_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        trace_key = f"invoice:{invoice.id}:match"
        if status == MatchStatus.EXCEPTION:
            first = outcome.reasons[0]["code"]
            exception_item_open(
                category=REASON_CATEGORY.get(first, DEFAULT_CATEGORY),
                title=f"{invoice} held: {MatchReason(first).label.lower()}",
                reason="; ".join(r["message"] for r in outcome.reasons),
                trace_key=trace_key,
                project=invoice.project,
                amount=variance,
                currency=invoice.currency,
                details={
                    "invoice": invoice.id,
                    "match": record.id,
                    "reasons": _jsonable(outcome.reasons),
                },
                ledger_transaction=ledger_transaction,
            )
        else:
            exception_item_close(
                trace_key=trace_key,
                reason=f"matched again: {status}",
                ledger_transaction=ledger_transaction,
            )
        audit_record(
            actor=actor,
            action="invoice.match",
            target=invoice,
            detail={
                "outcome": status,
                "variance": str(variance),
                "reasons": [r["code"] for r in reasons],
                "tolerance": tolerance["source"],
            },
        )
        outbound.route(
            domain="invoice",
            operation="match_result",
            subject=invoice,
            project=invoice.project,
            parent=ledger_transaction,
        )
        if status in RELEASED_MATCH_STATUSES:
            _request_posting(invoice, actor)
    return record


def _jsonable(value):
    import json

    return json.loads(json.dumps(value, default=str))


# --- variance approval, posting gate, reject ----------------------------------------------------


def _request_posting(invoice: Invoice, actor) -> ApprovalRequest:
    """The accounting-approver gate: a posting approval request for a released bill. The hub
    asks (no requester): whoever matched or approved a variance may still be the accounting
    approver, but never whoever recorded the bill."""
    return approval_request_create(
        document_type=DocumentType.POSTING,
        target=invoice,
        project=invoice.project,
        amount=invoice.payable_amount,
        currency=invoice.currency,
        requested_by=None,
        created_by=invoice.created_by,
        title=f"Post {invoice} ({invoice.get_match_status_display().lower()})",
        summary=f"{invoice.vendor.name}: {invoice.payable_amount} {invoice.currency} payable",
        cost_codes=_cost_codes(invoice),
        context={"match_status": invoice.match_status, "variance": str(invoice.variance_amount)},
    )


def _cost_codes(invoice: Invoice) -> list[str]:
    return sorted(
        {
            code
            for code in invoice.lines.filter(commitment_line__isnull=False).values_list(
                "commitment_line__budget_line__cost_code__code", flat=True
            )
        }
    )


@audited_refusal("invoice.variance_refused", target="invoice")
@transaction.atomic
def invoice_variance_request(*, invoice: Invoice, actor, comment: str) -> ApprovalRequest:
    """Ask for approval to pay a held bill despite its variance (the reasons go with it)."""
    invoice = Invoice.objects.select_for_update().get(id=invoice.id)
    if invoice.match_status != MatchStatus.EXCEPTION:
        raise ApplicationError(
            f"{invoice} has no match exception to approve.", code="no_variance", status_code=409
        )
    if not (comment or "").strip():
        raise ApplicationError("Explain why the variance should be paid.", code="comment_required")
    codes = {r["code"] for r in invoice.match_reasons if not r.get("tolerated")}
    structural = codes & {
        MatchReason.NO_PO,
        MatchReason.VENDOR_MISMATCH,
        MatchReason.CURRENCY_MISMATCH,
        MatchReason.VENDOR_INELIGIBLE,
        MatchReason.COMMITMENT_NOT_OPEN,
    }
    if structural:
        raise ApplicationError(
            f"{invoice} cannot be approved as a variance ({', '.join(sorted(structural))}): fix "
            "the document (raise a PO, correct the vendor) and match again.",
            code="variance_not_approvable",
            status_code=409,
        )
    request = approval_request_create(
        document_type=DocumentType.INVOICE_VARIANCE,
        target=invoice,
        project=invoice.project,
        amount=invoice.variance_amount,
        currency=invoice.currency,
        requested_by=actor,
        created_by=invoice.created_by,
        title=f"Variance on {invoice}: {invoice.variance_amount} {invoice.currency}",
        summary=comment.strip(),
        cost_codes=_cost_codes(invoice),
        context={"reasons": invoice.match_reasons},
    )
    audit_record(
        actor=actor, action="invoice.variance_request", target=invoice, detail={"comment": comment}
    )
    return request


def invoice_variance_decided(*, request: ApprovalRequest, approved: bool, actor) -> None:
    invoice = Invoice.objects.select_for_update().get(id=request.object_id)
    if not approved:
        return  # still held: finance rejects the bill or the vendor corrects it
    if invoice.match_status != MatchStatus.EXCEPTION:
        raise ApplicationError(
            f"{invoice} is no longer in exception.", code="no_variance", status_code=409
        )
    invoice.match_status = MatchStatus.VARIANCE_APPROVED
    invoice.status = InvoiceStatus.MATCHED
    invoice.save(update_fields=["match_status", "status"])
    exception_item_close(trace_key=f"invoice:{invoice.id}:match", reason="variance approved")
    _request_posting(invoice, actor)


def invoice_posting_decided(*, request: ApprovalRequest, approved: bool, actor) -> None:
    """The accounting approver's decision: approved bills are released for payment and posted
    to Odoo; rejected ones stay on hold."""
    invoice = Invoice.objects.select_for_update().get(id=request.object_id)
    if not approved:
        return
    if invoice.match_status not in RELEASED_MATCH_STATUSES:
        raise ApplicationError(
            f"{invoice} is not released by its match ({invoice.match_status}).",
            code="invoice_not_released",
            status_code=409,
        )
    invoice.status = InvoiceStatus.APPROVED
    if invoice_payment_holds_open(invoice=invoice, actor=actor):
        # Approved, but not released for payment nor posted: a vendor bank change waits for
        # verification or a compliance document is missing. The hold's release posts it.
        invoice.payment_hold = True
        invoice.save(update_fields=["status", "payment_hold"])
        return
    invoice.payment_hold = False
    invoice.save(update_fields=["status", "payment_hold"])
    invoice_export_posting(invoice=invoice)


def invoice_payment_holds_open(*, invoice: Invoice, actor=None) -> list[dict]:
    """Open (or repeat) an exception item for every reason this bill may not be paid now;
    returns the reasons (empty: nothing holds it)."""
    from apps.procurement.services.payments import payment_hold_reasons

    holds = payment_hold_reasons(invoice=invoice)
    for hold in holds:
        exception_item_open(
            category=hold["category"],
            title=f"{invoice} payment held: {hold['title']}"[:200],
            reason=f"{invoice} is approved but held for payment: {hold['reason']}.",
            trace_key=hold["trace_key"],
            project=invoice.project,
            amount=invoice.open_amount,
            currency=invoice.currency,
            details={"invoice": invoice.id, "hold": hold["category"]},
        )
        if hold["category"] == "compliance_hold":
            from apps.compliance.services import compliance_hold_record

            compliance_hold_record(
                vendor=invoice.vendor,
                project=invoice.project,
                kind="payment",
                problems=hold["problems"],
                invoice=invoice,
            )
    if holds:
        audit_record(
            actor=actor,
            action="invoice.payment_hold",
            target=invoice,
            detail={"holds": [h["category"] for h in holds]},
        )
    return holds


def invoice_payment_release_for_vendor(*, vendor, actor=None, project=None) -> int:
    """Release the approved bills of a vendor that were held for payment once nothing holds
    them any more: released for payment and posted to Odoo. Returns how many."""
    from apps.procurement.services.payments import payment_hold_reasons

    queryset = Invoice.objects.filter(
        vendor=vendor,
        kind=InvoiceKind.INVOICE,
        status=InvoiceStatus.APPROVED,
        payment_hold=True,
    )
    if project is not None:
        queryset = queryset.filter(project=project)
    released = 0
    for invoice in queryset.select_for_update():
        if payment_hold_reasons(invoice=invoice) or not posting_gate_passed(target=invoice):
            continue
        invoice.payment_hold = False
        invoice.save(update_fields=["payment_hold"])
        audit_record(actor=actor, action="invoice.payment_release", target=invoice)
        invoice_export_posting(invoice=invoice)
        released += 1
    return released


def invoice_export_posting(*, invoice: Invoice) -> None:
    """Hand a bill to Odoo as a posting: refused without the accounting approver's gate."""
    if not posting_gate_passed(target=invoice):
        raise ApplicationError(
            f"{invoice} has no approved posting request: the accounting approver gate is closed.",
            code="posting_not_approved",
            status_code=409,
        )
    outbound.route(domain="invoice", operation="post", subject=invoice, project=invoice.project)


@transaction.atomic
def invoice_mark_posted(*, invoice: Invoice, external_ref: str = "") -> Invoice:
    """Odoo confirmed the posting."""
    invoice = Invoice.objects.select_for_update().get(id=invoice.id)
    if invoice.status == InvoiceStatus.APPROVED:
        invoice.status = InvoiceStatus.POSTED
        if external_ref:
            invoice.external_ref = external_ref[:100]
        invoice.save(update_fields=["status", "external_ref"])
    return invoice


@transaction.atomic
def invoice_reject(*, invoice: Invoice, actor, reason: str) -> Invoice:
    """Reject a bill (wrong, duplicate, disputed): it stops counting as billed (audited)."""
    invoice = Invoice.objects.select_for_update().get(id=invoice.id)
    if not (reason or "").strip():
        raise ApplicationError("Say why the bill is rejected.", code="reason_required")
    if invoice.status not in (InvoiceStatus.RECEIVED, InvoiceStatus.HELD, InvoiceStatus.MATCHED):
        raise ApplicationError(
            f"{invoice} is {invoice.get_status_display().lower()} and cannot be rejected.",
            code="invoice_not_rejectable",
            status_code=409,
        )
    _apply_facts(invoice, direction=-1)
    invoice.status = InvoiceStatus.REJECTED
    invoice.payment_hold = True
    invoice.save(update_fields=["status", "payment_hold"])
    for request in approval_requests_for(target=invoice).filter(status="pending"):
        approval_cancel(request=request, actor=actor, reason=f"bill rejected: {reason}")
    exception_item_close(trace_key=f"invoice:{invoice.id}:match", reason=f"bill rejected: {reason}")
    audit_record(actor=actor, action="invoice.reject", target=invoice, detail={"reason": reason})
    outbound.route(
        domain="invoice", operation="match_result", subject=invoice, project=invoice.project
    )
    return invoice


def invoices_rematch_for_commitment(*, commitment: Commitment, actor=None) -> int:
    """Match again the held bills of a commitment (a receipt or change order may clear them)."""
    count = 0
    for invoice in (
        Invoice.objects.filter(Q(commitment=commitment), status=InvoiceStatus.HELD)
        .exclude(match_status=MatchStatus.VARIANCE_APPROVED)
        .order_by("id")
    ):
        invoice_match(invoice=invoice, actor=actor)
        count += 1
    return count
