"""Change orders: owner change orders revise the budget; commitment change orders revise a PO or
subcontract (quantity, price or a new line). Both are approved before any figure moves."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.approvals.choices import DocumentType
from apps.approvals.models import ApprovalRequest
from apps.approvals.services import approval_request_create
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.entities.intercompany import intercompany_follow
from apps.procurement import outbound
from apps.procurement.choices import (
    COMMITTED_STATUSES,
    ChangeOrderKind,
    ChangeOrderStatus,
    CommitmentStatus,
)
from apps.procurement.models import ChangeOrder, ChangeOrderLine, Commitment, CommitmentLine
from apps.procurement.services.common import (
    audited_refusal,
    line_amount,
    next_number,
    parse_quantity,
    parse_unit_price,
    require_project_access,
)
from apps.procurement.services.requisitions import resolve_budget_line
from apps.projects.models import Project
from apps.projects.money import ZERO, parse_decimal, quantize_money
from apps.projects.selectors import BudgetCheckItem, budget_check
from apps.projects.services import budget_line_adjust


def _owner_lines(project: Project, lines: list[dict]) -> list[dict]:
    built = []
    for number, spec in enumerate(lines, start=1):
        budget_line = resolve_budget_line(project=project, spec=spec)
        delta = quantize_money(
            parse_decimal(
                spec.get("amount_delta"), field=f"line {number} amount_delta", allow_negative=True
            ),
            project.currency,
        )
        if delta == 0:
            raise ApplicationError(f"Line {number}: the change is zero.", code="zero_change")
        built.append(
            {
                "line_no": number,
                "budget_line": budget_line,
                "description": (spec.get("description") or budget_line.cost_code.title)[:255],
                "amount_delta": delta,
            }
        )
    return built


def _commitment_lines(commitment: Commitment, lines: list[dict]) -> list[dict]:
    built = []
    currency = commitment.currency
    for number, spec in enumerate(lines, start=1):
        ref = spec.get("commitment_line") or spec.get("commitment_line_id")
        if ref:
            line_id = ref.id if isinstance(ref, CommitmentLine) else ref
            existing = commitment.lines.filter(id=line_id).first()
            if existing is None:
                raise ApplicationError(
                    f"Line {number}: commitment line {line_id} is not on {commitment.number}.",
                    code="line_not_on_commitment",
                )
            quantity_delta = parse_quantity(
                spec.get("quantity_delta") or 0,
                field=f"line {number} quantity_delta",
                allow_negative=True,
            )
            new_price = (
                parse_unit_price(spec["unit_price"], field=f"line {number} unit_price")
                if spec.get("unit_price") not in (None, "")
                else None
            )
            new_quantity = existing.quantity + quantity_delta
            done = max(existing.received_quantity, existing.invoiced_quantity)
            if new_quantity < done:
                raise ApplicationError(
                    f"Line {number}: {new_quantity} {existing.unit} would be below the {done} "
                    "already received or billed.",
                    code="change_below_progress",
                )
            delta = (
                line_amount(new_quantity, new_price or existing.unit_price, currency)
                - existing.amount
            )
            built.append(
                {
                    "line_no": number,
                    "budget_line": existing.budget_line,
                    "commitment_line": existing,
                    "description": (spec.get("description") or existing.description)[:255],
                    "quantity_delta": quantity_delta,
                    "unit_price": new_price,
                    "amount_delta": delta,
                }
            )
        else:
            budget_line = resolve_budget_line(project=commitment.project, spec=spec)
            quantity = parse_quantity(
                spec.get("quantity_delta") or spec.get("quantity"), field=f"line {number} quantity"
            )
            if quantity <= 0:
                raise ApplicationError(
                    f"Line {number}: a new line needs a quantity.", code="bad_quantity"
                )
            price = parse_unit_price(spec.get("unit_price"), field=f"line {number} unit_price")
            built.append(
                {
                    "line_no": number,
                    "budget_line": budget_line,
                    "commitment_line": None,
                    "description": (spec.get("description") or budget_line.cost_code.title)[:255],
                    "quantity_delta": quantity,
                    "unit_price": price,
                    "amount_delta": line_amount(quantity, price, currency),
                }
            )
        if built[-1]["amount_delta"] == 0 and built[-1]["quantity_delta"] == 0:
            raise ApplicationError(f"Line {number}: the change is zero.", code="zero_change")
    return built


@transaction.atomic
def change_order_create(
    *,
    project: Project,
    kind: str,
    title: str,
    lines: list[dict],
    created_by,
    commitment: Commitment | None = None,
    reason: str = "",
    owner_change_order: ChangeOrder | None = None,
) -> ChangeOrder:
    """Create a draft change order; commitment change amounts are computed from the lines."""
    require_project_access(user=created_by, project=project)
    if kind not in ChangeOrderKind.values:
        raise ApplicationError(f"Unknown change order kind {kind!r}.", code="bad_kind")
    if not lines:
        raise ApplicationError("A change order needs at least one line.", code="no_lines")
    if kind == ChangeOrderKind.SUBCONTRACT:
        if commitment is None:
            raise ApplicationError(
                "A commitment change order names its commitment.", code="commitment_required"
            )
        if commitment.project_id != project.id:
            raise ApplicationError(
                f"{commitment.number} is not on {project.code}.", code="project_mismatch"
            )
        if commitment.status not in (
            CommitmentStatus.APPROVED,
            CommitmentStatus.ISSUED,
            CommitmentStatus.COMPLETED,
        ):
            raise ApplicationError(
                f"{commitment.number} is {commitment.get_status_display().lower()}; "
                "it cannot change.",
                code="commitment_not_open",
                status_code=409,
            )
        built = _commitment_lines(commitment, lines)
    else:
        if commitment is not None:
            raise ApplicationError(
                "An owner change order revises the budget, not a commitment.", code="bad_kind"
            )
        built = _owner_lines(project, lines)
    change_order = ChangeOrder.objects.create(
        number=next_number("CO"),
        kind=kind,
        project=project,
        commitment=commitment,
        owner_change_order=owner_change_order,
        title=(title or "").strip()[:255] or "Change order",
        reason=reason,
        currency=project.currency,
        amount=sum((line["amount_delta"] for line in built), ZERO),
        created_by=created_by,
    )
    ChangeOrderLine.objects.bulk_create(
        [ChangeOrderLine(change_order=change_order, **line) for line in built]
    )
    audit_record(
        actor=created_by,
        action="change_order.create",
        target=change_order,
        detail={
            "kind": kind,
            "amount": str(change_order.amount),
            "commitment": getattr(commitment, "number", None),
        },
    )
    return change_order


def _positive_by_budget_line(change_order: ChangeOrder) -> dict[int, Decimal]:
    amounts: dict[int, Decimal] = {}
    for line in change_order.lines.all():
        if line.amount_delta > 0:
            amounts[line.budget_line_id] = (
                amounts.get(line.budget_line_id, ZERO) + line.amount_delta
            )
    return amounts


@audited_refusal("change_order.submit_refused", target="change_order")
@transaction.atomic
def change_order_submit(*, change_order: ChangeOrder, actor) -> ChangeOrder:
    """Ask for approval. A commitment change that adds cost is budget-checked (lines locked) and
    reserved as pending commitments until decided."""
    change_order = ChangeOrder.objects.select_for_update().get(id=change_order.id)
    require_project_access(user=actor, project=change_order.project)
    if change_order.status != ChangeOrderStatus.DRAFT:
        raise ApplicationError(
            f"{change_order.number} is {change_order.get_status_display().lower()}.",
            code="change_order_not_draft",
            status_code=409,
        )
    context = {}
    if change_order.kind == ChangeOrderKind.SUBCONTRACT:
        increases = _positive_by_budget_line(change_order)
        if increases:
            check = budget_check(
                project=change_order.project,
                items=[BudgetCheckItem(amount=a, budget_line_id=i) for i, a in increases.items()],
                lock=True,
            )
            if check.blocked:
                raise ApplicationError(
                    f"The budget check blocks {change_order.number}: "
                    + "; ".join(
                        f"{line['cost_code']}: {line['reason']}"
                        for line in check.lines
                        if line["outcome"] == "block"
                    )
                    + ". Approve an owner change order first.",
                    code="budget_blocked",
                    details=check.as_json(),
                    status_code=409,
                )
            context["budget_check"] = check.as_json()
            for budget_line_id, amount in increases.items():
                budget_line_adjust(budget_line_id=budget_line_id, pending_commitments=amount)
    change_order.status = ChangeOrderStatus.PENDING_APPROVAL
    change_order.save(update_fields=["status"])
    approval_request_create(
        document_type=DocumentType.CHANGE_ORDER,
        target=change_order,
        project=change_order.project,
        amount=abs(change_order.amount),
        currency=change_order.currency,
        requested_by=actor,
        created_by=change_order.created_by,
        title=(
            f"{change_order.number} {change_order.title} "
            f"({change_order.amount:+} {change_order.currency})"
        ),
        summary=change_order.reason,
        cost_codes=sorted({line.budget_line.cost_code.code for line in change_order.lines.all()}),
        context=context,
    )
    audit_record(actor=actor, action="change_order.submit", target=change_order, detail={})
    return change_order


def change_order_decided(*, request: ApprovalRequest, approved: bool, actor) -> None:
    """Apply an approved change order to the budget or the commitment; release a rejected one."""
    change_order = ChangeOrder.objects.select_for_update().get(id=request.object_id)
    if change_order.status != ChangeOrderStatus.PENDING_APPROVAL:
        raise ApplicationError(
            f"{change_order.number} is {change_order.get_status_display().lower()}.",
            code="change_order_not_pending",
            status_code=409,
        )
    increases = _positive_by_budget_line(change_order)
    if change_order.kind == ChangeOrderKind.SUBCONTRACT:
        for budget_line_id, amount in increases.items():
            budget_line_adjust(budget_line_id=budget_line_id, pending_commitments=-amount)
    if not approved:
        change_order.status = ChangeOrderStatus.REJECTED
        change_order.save(update_fields=["status"])
        return
    if change_order.kind == ChangeOrderKind.OWNER:
        for line in change_order.lines.all():
            budget_line_adjust(
                budget_line_id=line.budget_line_id, approved_changes=line.amount_delta
            )
        outbound.route(
            domain="budget_line",
            operation="revise",
            subject=change_order,
            project=change_order.project,
        )
    else:
        _apply_to_commitment(change_order)
        routed = outbound.route(
            domain="change_order",
            operation="apply",
            subject=change_order,
            project=change_order.project,
        )
        # An intercompany commitment's sales order follows the change on the seller's side.
        intercompany_follow(
            commitment=change_order.commitment, actor=actor, parent=routed[0] if routed else None
        )
    change_order.status = ChangeOrderStatus.APPROVED
    change_order.approved_at = timezone.now()
    change_order.save(update_fields=["status", "approved_at"])


def _apply_to_commitment(change_order: ChangeOrder) -> None:
    commitment = Commitment.objects.select_for_update().get(id=change_order.commitment_id)
    if commitment.status not in COMMITTED_STATUSES or commitment.status == CommitmentStatus.CLOSED:
        raise ApplicationError(
            f"{commitment.number} is {commitment.get_status_display().lower()}; "
            "the change cannot apply.",
            code="commitment_not_open",
            status_code=409,
        )
    next_line_no = (
        commitment.lines.order_by("-line_no").values_list("line_no", flat=True).first() or 0
    ) + 1
    total_delta = ZERO
    for change in change_order.lines.select_related("commitment_line"):
        if change.commitment_line_id:
            line = CommitmentLine.objects.select_for_update().get(id=change.commitment_line_id)
            new_quantity = line.quantity + change.quantity_delta
            if new_quantity < max(line.received_quantity, line.invoiced_quantity):
                raise ApplicationError(
                    f"{commitment.number} line {line.line_no} already has more received or billed "
                    f"than {new_quantity}.",
                    code="change_below_progress",
                    status_code=409,
                )
            new_price = change.unit_price if change.unit_price is not None else line.unit_price
            new_amount = line_amount(new_quantity, new_price, commitment.currency)
            delta = new_amount - line.amount
            line.quantity, line.unit_price, line.amount = new_quantity, new_price, new_amount
            line.save(update_fields=["quantity", "unit_price", "amount"])
        else:
            line = CommitmentLine.objects.create(
                commitment=commitment,
                line_no=next_line_no,
                budget_line_id=change.budget_line_id,
                description=change.description,
                quantity=change.quantity_delta,
                unit="ea",
                unit_price=change.unit_price,
                amount=change.amount_delta,
            )
            next_line_no += 1
            delta = change.amount_delta
            change.created_commitment_line = line
            change.save(update_fields=["created_commitment_line"])
        budget_line_adjust(budget_line_id=change.budget_line_id, committed=delta)
        total_delta += delta
    commitment.total_amount += total_delta
    commitment.save(update_fields=["total_amount", "updated_at"])


@transaction.atomic
def change_order_cancel(*, change_order: ChangeOrder, actor, reason: str) -> ChangeOrder:
    """Withdraw a draft change order."""
    change_order = ChangeOrder.objects.select_for_update().get(id=change_order.id)
    if change_order.created_by_id != actor.id:
        raise PermissionDeniedError("Only its author can cancel a change order.", code="not_author")
    if change_order.status != ChangeOrderStatus.DRAFT:
        raise ApplicationError(
            f"{change_order.number} is {change_order.get_status_display().lower()}.",
            code="change_order_not_draft",
            status_code=409,
        )
    change_order.status = ChangeOrderStatus.CANCELLED
    change_order.save(update_fields=["status"])
    audit_record(
        actor=actor, action="change_order.cancel", target=change_order, detail={"reason": reason}
    )
    return change_order
