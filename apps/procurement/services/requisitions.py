"""Requisitions: create, submit with a budget check (and a control override when blocked),
decide, cancel."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.approvals.choices import DocumentType
from apps.approvals.models import ApprovalRequest
from apps.approvals.selectors import approval_requests_for
from apps.approvals.services import approval_cancel, approval_request_create
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.procurement.choices import CommitmentKind, RequisitionStatus
from apps.procurement.models import Requisition, RequisitionLine, Vendor
from apps.procurement.services.common import (
    audited_refusal,
    line_amount,
    next_number,
    parse_quantity,
    parse_unit_price,
    require_project_access,
)
from apps.projects.exception_items import exception_item_close, exception_item_open
from apps.projects.models import BudgetLine, Project
from apps.projects.money import ZERO
from apps.projects.selectors import BudgetCheckItem, BudgetCheckResult, budget_check
from apps.projects.services import budget_line_adjust


def resolve_budget_line(*, project: Project, spec: dict) -> BudgetLine:
    """A budget line of the project from {budget_line} or {budget_line_id} or {phase, cost_code}."""
    budget_line = spec.get("budget_line")
    if isinstance(budget_line, BudgetLine):
        if budget_line.project_id != project.id:
            raise ApplicationError(
                f"Budget line {budget_line.id} is not in project {project.code}.",
                code="budget_line_not_in_project",
            )
        return budget_line
    line_id = spec.get("budget_line_id") or budget_line
    queryset = BudgetLine.objects.filter(project=project).select_related("phase", "cost_code")
    if line_id:
        found = queryset.filter(id=line_id).first()
        if found is None:
            raise ApplicationError(
                f"Budget line {line_id} is not in project {project.code}.",
                code="budget_line_not_in_project",
            )
        return found
    phase, cost_code = (spec.get("phase") or "").strip(), (spec.get("cost_code") or "").strip()
    if not cost_code:
        raise ApplicationError(
            "Each line needs a budget line or a cost code.", code="line_incomplete"
        )
    candidates = list(
        queryset.filter(cost_code__code=cost_code, **({"phase__code": phase} if phase else {}))
    )
    if not candidates:
        where = f"phase {phase} of " if phase else ""
        raise ApplicationError(
            f"No budget for cost code {cost_code} in {where}project {project.code}.",
            code="no_budget_line",
        )
    if len(candidates) > 1:
        raise ApplicationError(
            f"Cost code {cost_code} is budgeted in several phases of {project.code}; "
            "name the phase.",
            code="phase_required",
            details={"phases": [c.phase.code for c in candidates]},
        )
    return candidates[0]


def _build_lines(project: Project, lines: list[dict]) -> list[dict]:
    if not lines:
        raise ApplicationError("A requisition needs at least one line.", code="no_lines")
    built = []
    for number, spec in enumerate(lines, start=1):
        budget_line = resolve_budget_line(project=project, spec=spec)
        quantity = parse_quantity(spec.get("quantity"), field=f"line {number} quantity")
        if quantity <= 0:
            raise ApplicationError(
                f"Line {number}: quantity must be positive.", code="bad_quantity"
            )
        unit_price = parse_unit_price(spec.get("unit_price"), field=f"line {number} unit_price")
        description = (spec.get("description") or "").strip() or budget_line.cost_code.title
        built.append(
            {
                "line_no": number,
                "budget_line": budget_line,
                "description": description[:255],
                "product_code": str(spec.get("product_code") or "")[:64],
                "quantity": quantity,
                "unit": (spec.get("unit") or "ea")[:20],
                "unit_price": unit_price,
                "amount": line_amount(quantity, unit_price, project.currency),
            }
        )
    return built


@transaction.atomic
def requisition_create(
    *,
    project: Project,
    requested_by,
    title: str,
    lines: list[dict],
    vendor: Vendor | None = None,
    kind: str = CommitmentKind.PURCHASE_ORDER,
    needed_by=None,
) -> Requisition:
    """Create a draft requisition with its lines (priced, on budget lines of the project)."""
    require_project_access(user=requested_by, project=project)
    if not (title or "").strip():
        raise ApplicationError("A requisition needs a title.", code="title_required")
    built = _build_lines(project, lines)
    requisition = Requisition.objects.create(
        number=next_number("REQ"),
        project=project,
        title=title.strip()[:255],
        vendor=vendor,
        kind=kind,
        needed_by=needed_by,
        currency=project.currency,
        total_amount=sum((line["amount"] for line in built), ZERO),
        requested_by=requested_by,
    )
    RequisitionLine.objects.bulk_create(
        [RequisitionLine(requisition=requisition, **line) for line in built]
    )
    audit_record(
        actor=requested_by,
        action="requisition.create",
        target=requisition,
        detail={"total": str(requisition.total_amount), "lines": len(built)},
    )
    return requisition


def _amounts_by_budget_line(lines) -> dict[int, Decimal]:
    amounts: dict[int, Decimal] = {}
    for line in lines:
        amounts[line.budget_line_id] = amounts.get(line.budget_line_id, ZERO) + line.amount
    return amounts


def requisition_budget_check(
    *, requisition: Requisition, lock: bool = False, reserved: bool = False
) -> BudgetCheckResult:
    """The budget check for a requisition's lines (`reserved`: its amounts are already in
    pending commitments and must not count against itself)."""
    amounts = _amounts_by_budget_line(requisition.lines.all())
    return budget_check(
        project=requisition.project,
        items=[BudgetCheckItem(amount=a, budget_line_id=i) for i, a in amounts.items()],
        reserved=amounts if reserved else None,
        lock=lock,
    )


@audited_refusal("requisition.submit_refused", target="requisition")
@transaction.atomic
def requisition_submit(
    *, requisition: Requisition, actor, override_reason: str = ""
) -> Requisition:
    """Check the budget (locking the lines so the check and the reservation are one step),
    reserve the amounts as pending commitments and ask for approval. A blocked check is refused
    unless the requester asks for a control override, which then needs override authority."""
    requisition = Requisition.objects.select_for_update().get(id=requisition.id)
    if actor.id != requisition.requested_by_id:
        raise PermissionDeniedError(
            "Only the requester can submit their requisition.", code="not_requester"
        )
    if requisition.status != RequisitionStatus.DRAFT:
        raise ApplicationError(
            f"{requisition.number} is already {requisition.get_status_display().lower()}.",
            code="requisition_not_draft",
            status_code=409,
        )
    check = requisition_budget_check(requisition=requisition, lock=True)
    override_reason = (override_reason or "").strip()
    if check.blocked and not override_reason:
        raise ApplicationError(
            f"The budget check blocks {requisition.number}: "
            + "; ".join(
                f"{line['cost_code']}: {line['reason']}"
                for line in check.lines
                if line["outcome"] == "block"
            )
            + ". Reduce it, or ask for a control override with a reason.",
            code="budget_blocked",
            details=check.as_json(),
            status_code=409,
        )
    for budget_line_id, amount in _amounts_by_budget_line(requisition.lines.all()).items():
        budget_line_adjust(budget_line_id=budget_line_id, pending_commitments=amount)
    requisition.status = RequisitionStatus.PENDING_APPROVAL
    requisition.budget_check = check.as_json()
    requisition.override_reason = override_reason if check.blocked else ""
    requisition.submitted_at = timezone.now()
    requisition.save(
        update_fields=["status", "budget_check", "override_reason", "submitted_at", "updated_at"]
    )
    cost_codes = sorted({line.budget_line.cost_code.code for line in requisition.lines.all()})
    document_type = DocumentType.CONTROL_OVERRIDE if check.blocked else DocumentType.REQUISITION
    approval_request_create(
        document_type=document_type,
        target=requisition,
        project=requisition.project,
        amount=requisition.total_amount,
        currency=requisition.currency,
        requested_by=actor,
        created_by=requisition.requested_by,
        title=f"{requisition.number} {requisition.title}",
        summary=(
            f"Budget override requested: {override_reason}" if check.blocked else requisition.title
        ),
        cost_codes=cost_codes,
        context={"budget_check": check.as_json()},
    )
    if check.blocked:
        exception_item_open(
            category="budget_exceeded",
            title=f"Budget override requested: {requisition.number}",
            reason="; ".join(
                f"{line['cost_code']}: {line['reason']}"
                for line in check.lines
                if line["outcome"] == "block"
            ),
            trace_key=f"requisition:{requisition.id}:budget",
            project=requisition.project,
            amount=requisition.total_amount,
            currency=requisition.currency,
            details={"override_reason": override_reason, "budget_check": check.as_json()},
        )
    audit_record(
        actor=actor,
        action="requisition.submit",
        target=requisition,
        detail={
            "budget_outcome": check.outcome,
            "override": bool(override_reason and check.blocked),
        },
    )
    return requisition


def _release_pending(requisition: Requisition) -> None:
    for budget_line_id, amount in _amounts_by_budget_line(requisition.lines.all()).items():
        budget_line_adjust(budget_line_id=budget_line_id, pending_commitments=-amount)


def requisition_decided(*, request: ApprovalRequest, approved: bool, actor) -> None:
    """Outcome of the requisition (or its control override) approval."""
    requisition = Requisition.objects.select_for_update().get(id=request.object_id)
    if requisition.status != RequisitionStatus.PENDING_APPROVAL:
        raise ApplicationError(
            f"{requisition.number} is {requisition.get_status_display().lower()}, not pending.",
            code="requisition_not_pending",
            status_code=409,
        )
    requisition.decided_at = timezone.now()
    if not approved:
        _release_pending(requisition)
        requisition.status = RequisitionStatus.REJECTED
        requisition.save(update_fields=["status", "decided_at", "updated_at"])
        exception_item_close(
            trace_key=f"requisition:{requisition.id}:budget", reason="requisition rejected"
        )
        return
    if request.document_type != DocumentType.CONTROL_OVERRIDE:
        # The budget may have gone since submission: re-check without counting itself.
        check = requisition_budget_check(requisition=requisition, lock=True, reserved=True)
        if check.blocked:
            raise ApplicationError(
                f"The budget no longer covers {requisition.number}: "
                + "; ".join(
                    f"{line['cost_code']}: {line['reason']}"
                    for line in check.lines
                    if line["outcome"] == "block"
                )
                + ". Reject it, or the requester asks for a control override.",
                code="budget_blocked",
                details=check.as_json(),
                status_code=409,
            )
    requisition.status = RequisitionStatus.APPROVED
    requisition.save(update_fields=["status", "decided_at", "updated_at"])
    exception_item_close(
        trace_key=f"requisition:{requisition.id}:budget", reason="control override approved"
    )
    if requisition.vendor_id:
        from apps.procurement.services.commitments import commitment_create_from_requisition

        try:
            with transaction.atomic():
                commitment_create_from_requisition(requisition=requisition, actor=actor)
        except ApplicationError as exc:
            if exc.code != "vendor_ineligible":
                raise
            # The requisition stays approved (its money earmarked); the PO waits for a
            # vendor that may receive it, and someone owns that.
            exception_item_open(
                category="compliance_hold",
                title=f"PO not created for {requisition.number}: vendor ineligible",
                reason=exc.message,
                trace_key=f"requisition:{requisition.id}:vendor",
                project=requisition.project,
                amount=requisition.total_amount,
                currency=requisition.currency,
                details=exc.details,
            )
            audit_record(
                actor=actor,
                action="requisition.po_blocked",
                target=requisition,
                detail={"code": exc.code, "message": exc.message},
            )


@transaction.atomic
def requisition_cancel(*, requisition: Requisition, actor, reason: str) -> Requisition:
    """Withdraw a requisition that has not become a commitment; its reservation is released."""
    requisition = Requisition.objects.select_for_update().get(id=requisition.id)
    if actor.id != requisition.requested_by_id:
        from apps.accounts.roles import is_admin

        if not is_admin(actor):
            raise PermissionDeniedError("Only the requester can cancel it.", code="not_requester")
    if requisition.status not in (
        RequisitionStatus.DRAFT,
        RequisitionStatus.PENDING_APPROVAL,
        RequisitionStatus.APPROVED,
    ):
        raise ApplicationError(
            f"{requisition.number} is {requisition.get_status_display().lower()}.",
            code="requisition_not_cancellable",
            status_code=409,
        )
    if requisition.status != RequisitionStatus.DRAFT:
        _release_pending(requisition)
    for request in approval_requests_for(target=requisition).filter(status="pending"):
        approval_cancel(request=request, actor=actor, reason=reason)
    requisition.status = RequisitionStatus.CANCELLED
    requisition.save(update_fields=["status", "updated_at"])
    exception_item_close(trace_key=f"requisition:{requisition.id}:budget", reason="cancelled")
    exception_item_close(trace_key=f"requisition:{requisition.id}:vendor", reason="cancelled")
    audit_record(
        actor=actor, action="requisition.cancel", target=requisition, detail={"reason": reason}
    )
    return requisition
