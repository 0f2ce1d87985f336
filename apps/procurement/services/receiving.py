"""Receipts of goods and certified progress of subcontract work: what makes cost "actual" and
what the 3-way match compares bills with."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.approvals.selectors import approval_deciders
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.procurement import outbound
from apps.procurement.choices import ClaimStatus, CommitmentStatus
from apps.procurement.models import (
    Commitment,
    CommitmentLine,
    ProgressClaim,
    ProgressClaimLine,
    Receipt,
    ReceiptLine,
)
from apps.procurement.selectors import match_tolerance_for
from apps.procurement.services.common import (
    audited_refusal,
    next_number,
    parse_quantity,
    require_project_access,
)
from apps.procurement.services.facts import commitment_line_move
from apps.projects.money import ZERO, parse_decimal, quantize_money, quantize_quantity

RECEIVABLE_STATUSES = (
    CommitmentStatus.APPROVED,
    CommitmentStatus.ISSUED,
    CommitmentStatus.COMPLETED,
)


def _require_receivable(commitment: Commitment) -> None:
    if commitment.status not in RECEIVABLE_STATUSES:
        raise ApplicationError(
            f"{commitment.number} is {commitment.get_status_display().lower()}: nothing can be "
            "received on it.",
            code="commitment_not_open",
            status_code=409,
        )


def _require_not_approver(*, commitment: Commitment, user, what: str) -> None:
    """SoD: whoever approved the PO (or its requisition) cannot confirm what was delivered."""
    if user.id in approval_deciders(targets=[commitment, commitment.requisition]):
        raise PermissionDeniedError(
            f"{user.get_username()} approved {commitment.number} and cannot also {what} on it.",
            code="sod_po_approver_receipt",
            details={"commitment": commitment.number},
        )


def _commitment_line(commitment: Commitment, ref) -> CommitmentLine:
    line_id = ref.id if isinstance(ref, CommitmentLine) else ref
    line = commitment.lines.filter(id=line_id).first()
    if line is None:
        raise ApplicationError(
            f"Line {line_id} is not on {commitment.number}.", code="line_not_on_commitment"
        )
    return line


def _max_receivable(line: CommitmentLine, tolerance: dict) -> Decimal:
    """Ordered quantity plus the quantity tolerance (deliveries of bulk goods run a little over)."""
    pct = tolerance.get("quantity_pct")
    if pct is None:
        return line.quantity
    return quantize_quantity(line.quantity * (1 + Decimal(pct) / 100))


@audited_refusal("receipt.refused", target="commitment", actor="received_by")
def receipt_record(
    *,
    commitment: Commitment,
    received_by,
    lines: list[dict],
    received_on: date | None = None,
    reference: str = "",
    external_ref: str = "",
) -> Receipt:
    """Record goods received against a PO (negative quantities are returns). The same Odoo
    picking arriving twice returns the first receipt."""
    with transaction.atomic():
        commitment = (
            Commitment.objects.select_for_update(of=("self",))
            .select_related("project", "vendor", "requisition")
            .get(id=commitment.id)
        )
        if external_ref:
            existing = Receipt.objects.filter(
                commitment=commitment, external_ref=external_ref
            ).first()
            if existing is not None:
                return existing
        _require_receivable(commitment)
        if received_by is not None:
            # A receipt synchronised from Odoo (no hub user) was controlled there.
            require_project_access(user=received_by, project=commitment.project)
            _require_not_approver(
                commitment=commitment, user=received_by, what="confirm its receipt"
            )
        if not lines:
            raise ApplicationError("A receipt needs at least one line.", code="no_lines")
        tolerance = match_tolerance_for(project=commitment.project, vendor=commitment.vendor)
        planned = []
        for spec in lines:
            line = _commitment_line(commitment, spec.get("line") or spec.get("commitment_line"))
            quantity = parse_quantity(spec.get("quantity"), allow_negative=True)
            if quantity == 0:
                raise ApplicationError(
                    f"Line {line.line_no}: a receipt quantity cannot be zero.", code="bad_quantity"
                )
            after = line.received_quantity + quantity
            if after < 0:
                raise ApplicationError(
                    f"Line {line.line_no}: returning {-quantity} {line.unit} but only "
                    f"{line.received_quantity} were received.",
                    code="over_return",
                )
            limit = _max_receivable(line, tolerance)
            if after > limit:
                raise ApplicationError(
                    f"Line {line.line_no}: {after} {line.unit} received in total would exceed the "
                    f"{line.quantity} ordered (allowed up to {limit}).",
                    code="over_receipt",
                    details={
                        "line": line.line_no,
                        "ordered": str(line.quantity),
                        "limit": str(limit),
                    },
                    status_code=409,
                )
            planned.append((line, quantity))
        receipt = Receipt.objects.create(
            number=next_number("RCV"),
            commitment=commitment,
            received_on=received_on or timezone.localdate(),
            received_by=received_by,
            reference=reference[:100],
            external_ref=external_ref[:100],
        )
        ReceiptLine.objects.bulk_create(
            [ReceiptLine(receipt=receipt, commitment_line=line, quantity=q) for line, q in planned]
        )
        for line, quantity in planned:
            commitment_line_move(line=line, received_quantity=quantity)
        audit_record(
            actor=received_by,
            action="receipt.record",
            target=receipt,
            detail={
                "commitment": commitment.number,
                "lines": [{"line": line.line_no, "quantity": str(q)} for line, q in planned],
            },
        )
        if not external_ref:
            outbound.route(
                domain="receipt", operation="create", subject=receipt, project=commitment.project
            )
    return receipt


def _previous_certified(line: CommitmentLine) -> Decimal:
    latest = (
        ProgressClaimLine.objects.filter(commitment_line=line, claim__status=ClaimStatus.CERTIFIED)
        .order_by("-claim__period_end", "-id")
        .values_list("certified_quantity_to_date", flat=True)
        .first()
    )
    return latest if latest is not None else ZERO


@transaction.atomic
def progress_claim_submit(
    *,
    commitment: Commitment,
    submitted_by,
    period_end: date,
    lines: list[dict],
    vendor_reference: str = "",
) -> ProgressClaim:
    """Record a subcontractor's claim: per line the cumulative percent complete or quantity to
    date (never beyond 100%, never below what is already certified)."""
    commitment = (
        Commitment.objects.select_for_update(of=("self",))
        .select_related("project")
        .get(id=commitment.id)
    )
    require_project_access(user=submitted_by, project=commitment.project)
    _require_receivable(commitment)
    if not lines:
        raise ApplicationError("A claim needs at least one line.", code="no_lines")
    planned = []
    for spec in lines:
        line = _commitment_line(commitment, spec.get("line") or spec.get("commitment_line"))
        percent = None
        if spec.get("percent_complete") not in (None, ""):
            percent = parse_decimal(spec["percent_complete"], field="percent_complete")
            quantity = quantize_quantity(line.quantity * percent / 100)
        else:
            quantity = parse_quantity(spec.get("quantity_to_date"), field="quantity_to_date")
            percent = (quantity / line.quantity * 100).quantize(Decimal("0.01"))
        if quantity > line.quantity:
            raise ApplicationError(
                f"Line {line.line_no}: claimed {quantity} {line.unit} to date is more than the "
                f"{line.quantity} contracted ({percent}%).",
                code="over_claim",
                status_code=409,
            )
        previous = _previous_certified(line)
        if quantity < previous:
            raise ApplicationError(
                f"Line {line.line_no}: claimed {quantity} to date is below the {previous} "
                "already certified.",
                code="progress_backwards",
            )
        planned.append((line, quantity, percent, previous))
    existing = ProgressClaim.objects.filter(commitment=commitment, period_end=period_end).first()
    if existing is not None:
        # One claim per period: a resend or a second claim for the period is refused by name,
        # not left to the database's unique constraint.
        raise ApplicationError(
            f"{commitment.number} already has claim {existing.number} for the period ending "
            f"{period_end}; revise that claim instead.",
            code="duplicate_claim",
            status_code=409,
        )
    claim = ProgressClaim.objects.create(
        number=next_number("PC"),
        commitment=commitment,
        period_end=period_end,
        vendor_reference=vendor_reference[:100],
        submitted_by=submitted_by,
        claimed_value_to_date=sum(
            (quantize_money(q * line.unit_price, commitment.currency) for line, q, _, _ in planned),
            ZERO,
        ),
    )
    ProgressClaimLine.objects.bulk_create(
        [
            ProgressClaimLine(
                claim=claim,
                commitment_line=line,
                claimed_quantity_to_date=quantity,
                claimed_percent_to_date=percent,
                previous_certified_quantity=previous,
            )
            for line, quantity, percent, previous in planned
        ]
    )
    audit_record(
        actor=submitted_by,
        action="progress_claim.submit",
        target=claim,
        detail={
            "commitment": commitment.number,
            "claimed_to_date": str(claim.claimed_value_to_date),
        },
    )
    return claim


@audited_refusal("progress_claim.certify_refused", target="claim", actor="certified_by")
@transaction.atomic
def progress_claim_certify(
    *,
    claim: ProgressClaim,
    certified_by,
    certified: dict[int, Decimal] | None = None,
    comment: str = "",
) -> ProgressClaim:
    """Certify a claim (as claimed, or lower per line): the certified progress is the
    subcontract's receipt and moves actual cost. Whoever approved the subcontract cannot
    certify, and neither can whoever recorded the claim."""
    claim = (
        ProgressClaim.objects.select_for_update(of=("self",))
        .select_related("commitment")
        .get(id=claim.id)
    )
    commitment = claim.commitment
    require_project_access(user=certified_by, project=commitment.project)
    if claim.status != ClaimStatus.SUBMITTED:
        raise ApplicationError(
            f"{claim.number} is {claim.get_status_display().lower()}.",
            code="claim_not_submitted",
            status_code=409,
        )
    if certified_by.id == claim.submitted_by_id:
        raise PermissionDeniedError(
            f"{certified_by.get_username()} recorded {claim.number} and cannot certify it.",
            code="sod_self_approval",
        )
    _require_not_approver(commitment=commitment, user=certified_by, what="certify progress")
    _require_receivable(commitment)
    certified = {int(k): v for k, v in (certified or {}).items()}
    total = ZERO
    for claim_line in claim.lines.select_related("commitment_line", "commitment_line__commitment"):
        line = claim_line.commitment_line
        quantity = claim_line.claimed_quantity_to_date
        if line.id in certified:
            quantity = parse_quantity(certified[line.id], field="certified quantity")
        previous = _previous_certified(line)
        if quantity > claim_line.claimed_quantity_to_date:
            raise ApplicationError(
                f"Line {line.line_no}: cannot certify {quantity}, more than the "
                f"{claim_line.claimed_quantity_to_date} claimed.",
                code="over_certification",
            )
        if quantity < previous:
            raise ApplicationError(
                f"Line {line.line_no}: {quantity} is below the {previous} already certified.",
                code="progress_backwards",
            )
        claim_line.previous_certified_quantity = previous
        claim_line.certified_quantity_to_date = quantity
        claim_line.save(update_fields=["previous_certified_quantity", "certified_quantity_to_date"])
        if quantity != previous:
            commitment_line_move(line=line, received_quantity=quantity - previous)
        total += quantize_money(quantity * line.unit_price, commitment.currency)
    claim.status = ClaimStatus.CERTIFIED
    claim.certified_by = certified_by
    claim.certified_at = timezone.now()
    claim.certified_value_to_date = total
    claim.comment = comment
    claim.save(
        update_fields=[
            "status",
            "certified_by",
            "certified_at",
            "certified_value_to_date",
            "comment",
        ]
    )
    audit_record(
        actor=certified_by,
        action="progress_claim.certify",
        target=claim,
        detail={
            "claimed_to_date": str(claim.claimed_value_to_date),
            "certified_to_date": str(total),
            "comment": comment,
        },
    )
    return claim


@transaction.atomic
def progress_claim_reject(*, claim: ProgressClaim, actor, reason: str) -> ProgressClaim:
    """Reject a claim (the subcontractor resubmits for the period)."""
    claim = ProgressClaim.objects.select_for_update().get(id=claim.id)
    if not (reason or "").strip():
        raise ApplicationError("Say why the claim is rejected.", code="reason_required")
    if claim.status != ClaimStatus.SUBMITTED:
        raise ApplicationError(
            f"{claim.number} is {claim.get_status_display().lower()}.",
            code="claim_not_submitted",
            status_code=409,
        )
    claim.status = ClaimStatus.REJECTED
    claim.comment = reason
    claim.save(update_fields=["status", "comment"])
    audit_record(
        actor=actor, action="progress_claim.reject", target=claim, detail={"reason": reason}
    )
    return claim
