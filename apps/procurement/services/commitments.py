"""Commitments (purchase orders and subcontracts): create, submit for approval with a budget
check, approve, issue to Odoo (vendor eligibility first), complete, close, cancel."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.approvals.choices import DocumentType, StepStatus
from apps.approvals.models import ApprovalRequest, ApprovalStep
from apps.approvals.selectors import approval_requests_for
from apps.approvals.services import approval_cancel, approval_request_create
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.entities.intercompany import (
    intercompany_cancel,
    intercompany_parties,
    intercompany_recognise,
)
from apps.procurement import outbound
from apps.procurement.choices import (
    COMMITTED_STATUSES,
    BillingBasis,
    CommitmentKind,
    CommitmentStatus,
    RequisitionStatus,
)
from apps.procurement.models import Commitment, CommitmentLine, Requisition, Vendor
from apps.procurement.services.common import (
    audited_refusal,
    line_amount,
    next_number,
    parse_quantity,
    parse_unit_price,
    require_project_access,
)
from apps.procurement.services.facts import line_committed_value
from apps.procurement.services.requisitions import resolve_budget_line
from apps.procurement.services.vendors import vendor_eligibility_check
from apps.projects.exception_items import exception_item_close, exception_item_open
from apps.projects.models import Project
from apps.projects.money import ZERO, parse_decimal
from apps.projects.selectors import BudgetCheckItem, BudgetCheckResult, budget_check
from apps.projects.services import budget_line_adjust

PREFIX = {CommitmentKind.PURCHASE_ORDER: "PO", CommitmentKind.SUBCONTRACT: "SC"}


def _percent(value, field: str) -> Decimal:
    number = parse_decimal(value, field=field)
    if number > 100:
        raise ApplicationError(f"{field} cannot exceed 100%.", code="bad_percentage")
    return number


def _build_lines(project: Project, lines: list[dict]) -> list[dict]:
    if not lines:
        raise ApplicationError("A commitment needs at least one line.", code="no_lines")
    built = []
    for number, spec in enumerate(lines, start=1):
        budget_line = resolve_budget_line(project=project, spec=spec)
        quantity = parse_quantity(spec.get("quantity"), field=f"line {number} quantity")
        if quantity <= 0:
            raise ApplicationError(
                f"Line {number}: quantity must be positive.", code="bad_quantity"
            )
        unit_price = parse_unit_price(spec.get("unit_price"), field=f"line {number} unit_price")
        basis = spec.get("billing_basis") or BillingBasis.RECEIVED
        if basis not in BillingBasis.values:
            raise ApplicationError(
                f"Line {number}: unknown billing basis.", code="bad_billing_basis"
            )
        built.append(
            {
                "line_no": number,
                "budget_line": budget_line,
                "description": (
                    (spec.get("description") or "").strip() or budget_line.cost_code.title
                )[:255],
                "product_code": str(spec.get("product_code") or "")[:64],
                "quantity": quantity,
                "unit": (spec.get("unit") or "ea")[:20],
                "unit_price": unit_price,
                "amount": line_amount(quantity, unit_price, project.currency),
                "billing_basis": basis,
            }
        )
    return built


@transaction.atomic
def commitment_create(
    *,
    project: Project,
    vendor: Vendor,
    kind: str,
    title: str,
    lines: list[dict],
    created_by,
    retention_pct=ZERO,
    retention_cap_pct=None,
    retention_release_at_completion_pct=Decimal("50"),
    requisition: Requisition | None = None,
) -> Commitment:
    """Create a draft PO or subcontract with its lines and retention terms."""
    require_project_access(user=created_by, project=project)
    if kind not in CommitmentKind.values:
        raise ApplicationError(f"Unknown commitment kind {kind!r}.", code="bad_kind")
    if not (title or "").strip():
        raise ApplicationError("A commitment needs a title.", code="title_required")
    intercompany_parties(project=project, vendor=vendor)  # refuses an entity buying from itself
    built = _build_lines(project, lines)
    commitment = Commitment.objects.create(
        number=next_number(PREFIX[kind]),
        kind=kind,
        project=project,
        vendor=vendor,
        requisition=requisition,
        title=title.strip()[:255],
        currency=project.currency,
        total_amount=sum((line["amount"] for line in built), ZERO),
        retention_pct=_percent(retention_pct, "retention_pct"),
        retention_cap_pct=(
            _percent(retention_cap_pct, "retention_cap_pct")
            if retention_cap_pct is not None
            else None
        ),
        retention_release_at_completion_pct=_percent(
            retention_release_at_completion_pct, "retention_release_at_completion_pct"
        ),
        created_by=created_by,
    )
    CommitmentLine.objects.bulk_create(
        [CommitmentLine(commitment=commitment, **line) for line in built]
    )
    audit_record(
        actor=created_by,
        action="commitment.create",
        target=commitment,
        detail={"kind": kind, "vendor": vendor.code, "total": str(commitment.total_amount)},
    )
    return commitment


def _amounts_by_budget_line(commitment: Commitment) -> dict[int, Decimal]:
    amounts: dict[int, Decimal] = {}
    for line in commitment.lines.all():
        amounts[line.budget_line_id] = amounts.get(line.budget_line_id, ZERO) + line.amount
    return amounts


def commitment_budget_check(
    *, commitment: Commitment, lock: bool = False, reserved: bool = False
) -> BudgetCheckResult:
    amounts = _amounts_by_budget_line(commitment)
    return budget_check(
        project=commitment.project,
        items=[BudgetCheckItem(amount=a, budget_line_id=i) for i, a in amounts.items()],
        reserved=amounts if reserved else None,
        lock=lock,
    )


def _blocked_message(check: BudgetCheckResult) -> str:
    return "; ".join(
        f"{line['cost_code']}: {line['reason']}"
        for line in check.lines
        if line["outcome"] == "block"
    )


@audited_refusal("commitment.submit_refused", target="commitment")
@transaction.atomic
def commitment_submit(*, commitment: Commitment, actor) -> Commitment:
    """Ask for approval of a draft commitment: the vendor must be eligible and the budget must
    allow it (checked with the lines locked; the amount becomes a pending commitment)."""
    commitment = Commitment.objects.select_for_update().get(id=commitment.id)
    require_project_access(user=actor, project=commitment.project)
    if commitment.status != CommitmentStatus.DRAFT:
        raise ApplicationError(
            f"{commitment.number} is {commitment.get_status_display().lower()}, not a draft.",
            code="commitment_not_draft",
            status_code=409,
        )
    vendor_eligibility_check(vendor=commitment.vendor, project=commitment.project)
    check = commitment_budget_check(commitment=commitment, lock=True)
    if check.blocked:
        raise ApplicationError(
            f"The budget check blocks {commitment.number}: {_blocked_message(check)}.",
            code="budget_blocked",
            details=check.as_json(),
            status_code=409,
        )
    for budget_line_id, amount in _amounts_by_budget_line(commitment).items():
        budget_line_adjust(budget_line_id=budget_line_id, pending_commitments=amount)
    commitment.status = CommitmentStatus.PENDING_APPROVAL
    commitment.budget_check = check.as_json()
    commitment.save(update_fields=["status", "budget_check", "updated_at"])
    approval_request_create(
        document_type=(
            DocumentType.SUBCONTRACT
            if commitment.kind == CommitmentKind.SUBCONTRACT
            else DocumentType.PURCHASE_ORDER
        ),
        target=commitment,
        project=commitment.project,
        amount=commitment.total_amount,
        currency=commitment.currency,
        requested_by=actor,
        created_by=commitment.created_by,
        title=f"{commitment.number} {commitment.vendor.name}: {commitment.title}",
        cost_codes=sorted({line.budget_line.cost_code.code for line in commitment.lines.all()}),
        context={"budget_check": check.as_json()},
    )
    audit_record(
        actor=actor,
        action="commitment.submit",
        target=commitment,
        detail={"budget_outcome": check.outcome},
    )
    return commitment


def _move_to_committed(commitment: Commitment, *, from_pending: bool) -> None:
    for budget_line_id, amount in _amounts_by_budget_line(commitment).items():
        budget_line_adjust(
            budget_line_id=budget_line_id,
            pending_commitments=-amount if from_pending else ZERO,
            committed=amount,
        )


def commitment_decided(*, request: ApprovalRequest, approved: bool, actor) -> None:
    """Outcome of a PO / subcontract approval: committed (and issued to Odoo) or released."""
    commitment = Commitment.objects.select_for_update().get(id=request.object_id)
    if commitment.status != CommitmentStatus.PENDING_APPROVAL:
        raise ApplicationError(
            f"{commitment.number} is {commitment.get_status_display().lower()}, not pending.",
            code="commitment_not_pending",
            status_code=409,
        )
    if not approved:
        for budget_line_id, amount in _amounts_by_budget_line(commitment).items():
            budget_line_adjust(budget_line_id=budget_line_id, pending_commitments=-amount)
        commitment.status = CommitmentStatus.REJECTED
        commitment.save(update_fields=["status", "updated_at"])
        return
    check = commitment_budget_check(commitment=commitment, lock=True, reserved=True)
    if check.blocked:
        raise ApplicationError(
            f"The budget no longer covers {commitment.number}: {_blocked_message(check)}.",
            code="budget_blocked",
            details=check.as_json(),
            status_code=409,
        )
    _move_to_committed(commitment, from_pending=True)
    commitment.status = CommitmentStatus.APPROVED
    commitment.approved_by = actor
    commitment.approved_at = timezone.now()
    commitment.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    _issue_or_hold(commitment=commitment, actor=actor)


def _final_approver(requisition: Requisition):
    step = (
        ApprovalStep.objects.filter(
            request__in=approval_requests_for(target=requisition), status=StepStatus.APPROVED
        )
        .select_related("decided_by")
        .order_by("-decided_at")
        .first()
    )
    return step.decided_by if step else None


@transaction.atomic
def commitment_create_from_requisition(
    *, requisition: Requisition, actor, vendor: Vendor | None = None
) -> Commitment:
    """Turn an approved requisition into an approved PO (its approval carries over), after
    checking the vendor may receive it; the reservation becomes a commitment."""
    requisition = Requisition.objects.select_for_update().get(id=requisition.id)
    if requisition.status != RequisitionStatus.APPROVED:
        raise ApplicationError(
            f"{requisition.number} is {requisition.get_status_display().lower()}, not approved.",
            code="requisition_not_approved",
            status_code=409,
        )
    vendor = vendor or requisition.vendor
    if vendor is None:
        raise ApplicationError(f"Choose a vendor for {requisition.number}.", code="vendor_required")
    vendor_eligibility_check(vendor=vendor, project=requisition.project)
    intercompany_parties(project=requisition.project, vendor=vendor)
    approver = _final_approver(requisition) or actor
    commitment = Commitment.objects.create(
        number=next_number(PREFIX[requisition.kind]),
        kind=requisition.kind,
        project=requisition.project,
        vendor=vendor,
        requisition=requisition,
        title=requisition.title,
        currency=requisition.currency,
        total_amount=requisition.total_amount,
        status=CommitmentStatus.APPROVED,
        created_by=requisition.requested_by,
        approved_by=approver,
        approved_at=timezone.now(),
        budget_check=requisition.budget_check,
    )
    CommitmentLine.objects.bulk_create(
        [
            CommitmentLine(
                commitment=commitment,
                line_no=line.line_no,
                budget_line_id=line.budget_line_id,
                description=line.description,
                product_code=line.product_code,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                amount=line.amount,
            )
            for line in requisition.lines.all()
        ]
    )
    # The requisition's reservation becomes the commitment, line by line.
    for line in requisition.lines.all():
        budget_line_adjust(
            budget_line_id=line.budget_line_id,
            pending_commitments=-line.amount,
            committed=line.amount,
        )
    requisition.status = RequisitionStatus.CONVERTED
    requisition.save(update_fields=["status", "updated_at"])
    if vendor.id != requisition.vendor_id:
        requisition.vendor = vendor
        requisition.save(update_fields=["vendor"])
    exception_item_close(trace_key=f"requisition:{requisition.id}:vendor", reason="PO created")
    audit_record(
        actor=actor,
        action="commitment.create_from_requisition",
        target=commitment,
        detail={"requisition": requisition.number, "vendor": vendor.code},
    )
    _issue_or_hold(commitment=commitment, actor=actor)
    commitment.refresh_from_db()
    return commitment


def _issue_or_hold(*, commitment: Commitment, actor) -> None:
    try:
        with transaction.atomic():
            commitment_issue(commitment=commitment, actor=actor)
    except ApplicationError as exc:
        if exc.code != "vendor_ineligible":
            raise
        exception_item_open(
            category="compliance_hold",
            title=f"{commitment.number} not sent to Odoo: vendor ineligible",
            reason=exc.message,
            trace_key=f"commitment:{commitment.id}:vendor",
            project=commitment.project,
            amount=commitment.total_amount,
            currency=commitment.currency,
            details=exc.details,
        )


@transaction.atomic
def commitment_issue(*, commitment: Commitment, actor) -> Commitment:
    """Send an approved commitment to Odoo (as a confirmed PO) — only to an eligible vendor."""
    commitment = (
        Commitment.objects.select_for_update(of=("self",))
        .select_related("vendor")
        .get(id=commitment.id)
    )
    if commitment.status == CommitmentStatus.ISSUED:
        return commitment
    if commitment.status != CommitmentStatus.APPROVED:
        raise ApplicationError(
            f"{commitment.number} is {commitment.get_status_display().lower()}; only approved "
            "commitments are issued.",
            code="commitment_not_approved",
            status_code=409,
        )
    vendor_eligibility_check(vendor=commitment.vendor, project=commitment.project)
    commitment.status = CommitmentStatus.ISSUED
    commitment.issued_at = timezone.now()
    commitment.save(update_fields=["status", "issued_at", "updated_at"])
    exception_item_close(trace_key=f"commitment:{commitment.id}:vendor", reason="issued")
    audit_record(actor=actor, action="commitment.issue", target=commitment, detail={})
    outbound.route(
        domain="commitment", operation="create", subject=commitment, project=commitment.project
    )
    # A commitment to another entity of the group is recognised on the seller's side too.
    intercompany_recognise(commitment=commitment, actor=actor)
    return commitment


@transaction.atomic
def commitment_complete(
    *, commitment: Commitment, actor, practical_completion_date: date, defects_liability_end=None
) -> Commitment:
    """Record practical completion (releases the first part of the retention)."""
    commitment = Commitment.objects.select_for_update().get(id=commitment.id)
    if commitment.status not in (CommitmentStatus.ISSUED, CommitmentStatus.APPROVED):
        raise ApplicationError(
            f"{commitment.number} is {commitment.get_status_display().lower()}.",
            code="commitment_not_open",
            status_code=409,
        )
    if defects_liability_end and defects_liability_end < practical_completion_date:
        raise ApplicationError(
            "The defects liability period cannot end before practical completion.",
            code="bad_dates",
        )
    commitment.status = CommitmentStatus.COMPLETED
    commitment.practical_completion_date = practical_completion_date
    commitment.defects_liability_end = defects_liability_end
    commitment.save(
        update_fields=["status", "practical_completion_date", "defects_liability_end", "updated_at"]
    )
    audit_record(
        actor=actor,
        action="commitment.complete",
        target=commitment,
        detail={
            "practical_completion_date": practical_completion_date,
            "defects_liability_end": defects_liability_end,
        },
    )
    return commitment


@transaction.atomic
def commitment_close(*, commitment: Commitment, actor) -> Commitment:
    """Close a commitment short: what was not received or billed goes back to the budget."""
    commitment = Commitment.objects.select_for_update().get(id=commitment.id)
    if commitment.status not in (
        CommitmentStatus.APPROVED,
        CommitmentStatus.ISSUED,
        CommitmentStatus.COMPLETED,
    ):
        raise ApplicationError(
            f"{commitment.number} is {commitment.get_status_display().lower()}.",
            code="commitment_not_open",
            status_code=409,
        )
    before = {
        line.id: line_committed_value(line)
        for line in commitment.lines.select_related("commitment")
    }
    commitment.status = CommitmentStatus.CLOSED
    commitment.save(update_fields=["status", "updated_at"])
    released = ZERO
    for line in commitment.lines.select_related("commitment"):
        delta = line_committed_value(line) - before[line.id]
        released -= delta
        budget_line_adjust(budget_line_id=line.budget_line_id, committed=delta)
    audit_record(
        actor=actor, action="commitment.close", target=commitment, detail={"released": released}
    )
    outbound.route(
        domain="commitment", operation="update", subject=commitment, project=commitment.project
    )
    return commitment


@transaction.atomic
def commitment_cancel(*, commitment: Commitment, actor, reason: str) -> Commitment:
    """Cancel a commitment nothing was received, certified or billed on."""
    commitment = Commitment.objects.select_for_update().get(id=commitment.id)
    if not (reason or "").strip():
        raise ApplicationError("Say why it is cancelled.", code="reason_required")
    if (
        commitment.lines.filter(received_quantity__gt=0).exists()
        or commitment.lines.filter(invoiced_quantity__gt=0).exists()
    ):
        raise ApplicationError(
            f"{commitment.number} has receipts or bills; close it instead.",
            code="commitment_has_activity",
            status_code=409,
        )
    status = commitment.status
    if status in (CommitmentStatus.CANCELLED, CommitmentStatus.REJECTED, CommitmentStatus.CLOSED):
        raise ApplicationError(
            f"{commitment.number} is already {commitment.get_status_display().lower()}.",
            code="commitment_not_open",
            status_code=409,
        )
    for budget_line_id, amount in _amounts_by_budget_line(commitment).items():
        if status == CommitmentStatus.PENDING_APPROVAL:
            budget_line_adjust(budget_line_id=budget_line_id, pending_commitments=-amount)
        elif status != CommitmentStatus.DRAFT:
            budget_line_adjust(budget_line_id=budget_line_id, committed=-amount)
    for request in approval_requests_for(target=commitment).filter(status="pending"):
        approval_cancel(request=request, actor=actor, reason=reason)
    commitment.status = CommitmentStatus.CANCELLED
    commitment.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor, action="commitment.cancel", target=commitment, detail={"reason": reason}
    )
    if status == CommitmentStatus.ISSUED:
        outbound.route(
            domain="commitment", operation="cancel", subject=commitment, project=commitment.project
        )
    intercompany_cancel(commitment=commitment, actor=actor)
    return commitment


@transaction.atomic
def commitment_line_ids_keep(*, commitment: Commitment, external_ref: str, line_ids: list) -> int:
    """Odoo answered a PO create/update with its name and line ids: keep the ids of lines the
    hub has none for, by position, when Odoo holds as many lines as the hub (otherwise the next
    pull's `commitment_link_external` compares and reports). Returns how many lines it linked."""
    commitment = Commitment.objects.select_for_update().get(id=commitment.id)
    lines = list(commitment.lines.order_by("line_no"))
    if len(lines) != len(line_ids):
        return 0
    linked = 0
    for line, line_id in zip(lines, line_ids, strict=True):
        if not line.external_ref and isinstance(line_id, int) and not isinstance(line_id, bool):
            line.external_ref = str(line_id)
            line.save(update_fields=["external_ref"])
            linked += 1
    if external_ref and not commitment.external_ref:
        commitment.external_ref = external_ref[:100]
        commitment.save(update_fields=["external_ref", "updated_at"])
    return linked


@transaction.atomic
def commitment_link_external(
    *, commitment: Commitment, external_ref: str, line_refs: list[dict]
) -> list[str]:
    """Odoo confirmed the PO: keep its name and each line's id (matched by position, checked
    on quantity and price). Returns the differences found (empty = Odoo holds what the hub
    committed)."""
    commitment = Commitment.objects.select_for_update().get(id=commitment.id)
    lines = list(commitment.lines.order_by("line_no"))
    differences = []
    if len(line_refs) != len(lines):
        differences.append(f"Odoo has {len(line_refs)} lines, the hub {len(lines)}")
    for line, ref in zip(lines, line_refs, strict=False):
        for key, ours in (("quantity", line.quantity), ("unit_price", line.unit_price)):
            theirs = ref.get(key)
            if theirs not in (None, "") and Decimal(str(theirs)) != ours:
                differences.append(f"line {line.line_no} {key}: Odoo {theirs}, hub {ours}")
        if ref.get("purchase_line_id") and line.external_ref != str(ref["purchase_line_id"]):
            line.external_ref = str(ref["purchase_line_id"])
            line.save(update_fields=["external_ref"])
    if external_ref and commitment.external_ref != external_ref:
        commitment.external_ref = external_ref[:100]
        commitment.save(update_fields=["external_ref", "updated_at"])
    if differences:
        exception_item_open(
            category="reconciliation_difference",
            title=f"{commitment.number} differs in Odoo ({external_ref})",
            reason="; ".join(differences),
            trace_key=f"commitment:{commitment.id}:odoo",
            project=commitment.project,
            amount=commitment.total_amount,
            currency=commitment.currency,
            details={"differences": differences},
        )
    else:
        exception_item_close(trace_key=f"commitment:{commitment.id}:odoo", reason="Odoo agrees")
    return differences


def commitments_schedule_slip_apply(
    *,
    project: Project,
    milestone_code: str,
    baseline_date: date | None,
    current_date: date | None,
    reason: str,
) -> list[Commitment]:
    """Flag the open commitments tied to a schedule activity for review and shift their expected
    delivery by the activity's slip against its baseline (the planned date is kept).

    The shift is computed from the planned date, not added to the expected one, so applying the
    same slip twice (a replayed event) lands on the same date."""
    shift = (current_date - baseline_date) if baseline_date and current_date else None
    flagged = []
    queryset = Commitment.objects.select_for_update().filter(
        project=project,
        milestone_code=milestone_code,
        status__in=[s for s in COMMITTED_STATUSES if s != CommitmentStatus.CLOSED],
    )
    for commitment in queryset.order_by("id"):
        fields = ["review_flag", "updated_at"]
        commitment.review_flag = reason[:255]
        if shift is not None and commitment.planned_delivery_date:
            commitment.expected_delivery_date = commitment.planned_delivery_date + shift
            fields.append("expected_delivery_date")
        commitment.save(update_fields=fields)
        flagged.append(commitment)
    return flagged
