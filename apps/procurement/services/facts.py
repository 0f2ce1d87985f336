"""The facts behind the budget figures, and the one place that moves them.

Every change to what was received, certified or billed on a commitment line goes through
`commitment_line_move`, which updates the line and its budget line in the caller's transaction.
`budget_line_recompute` rebuilds a budget line's figures from the facts alone (tests use it to
prove the running figures never drift).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from apps.procurement.choices import (
    ACTIVE_INVOICE_STATUSES,
    COMMITTED_STATUSES,
    ChangeOrderKind,
    ChangeOrderStatus,
    CommitmentStatus,
    RequisitionStatus,
)
from apps.procurement.models import ChangeOrderLine, CommitmentLine, InvoiceLine, RequisitionLine
from apps.projects.models import BudgetLine
from apps.projects.money import ZERO, quantize_money
from apps.projects.services import FIGURE_FIELDS, budget_line_adjust, budget_line_set_figures

# Requisitions whose money is earmarked but not yet committed.
PENDING_REQUISITION_STATUSES = (RequisitionStatus.PENDING_APPROVAL, RequisitionStatus.APPROVED)


def committed_value(
    *, status: str, amount: Decimal, received_value: Decimal, invoiced_amount: Decimal
) -> Decimal:
    """What a commitment line holds of its budget: its amount while open; once closed only what
    was received or billed (closing a PO short releases the remainder)."""
    if status == CommitmentStatus.CLOSED:
        return max(received_value, invoiced_amount, ZERO)
    if status in COMMITTED_STATUSES:
        return amount
    return ZERO


def _received_value(line: CommitmentLine, quantity: Decimal | None = None) -> Decimal:
    quantity = line.received_quantity if quantity is None else quantity
    return quantize_money(quantity * line.unit_price, line.commitment.currency)


def line_committed_value(line: CommitmentLine) -> Decimal:
    return committed_value(
        status=line.commitment.status,
        amount=line.amount,
        received_value=_received_value(line),
        invoiced_amount=line.invoiced_amount,
    )


def commitment_line_move(
    *,
    line: CommitmentLine,
    received_quantity: Decimal = ZERO,
    invoiced_quantity: Decimal = ZERO,
    invoiced_amount: Decimal = ZERO,
) -> CommitmentLine:
    """Move what was received/certified and billed on a line, and its budget line with it."""
    with transaction.atomic():
        line = (
            CommitmentLine.objects.select_for_update(of=("self",))
            .select_related("commitment")
            .get(id=line.id)
        )
        actual_before = _received_value(line)
        committed_before = line_committed_value(line)
        line.received_quantity += received_quantity
        line.invoiced_quantity += invoiced_quantity
        line.invoiced_amount += invoiced_amount
        line.save(update_fields=["received_quantity", "invoiced_quantity", "invoiced_amount"])
        budget_line_adjust(
            budget_line_id=line.budget_line_id,
            actual=_received_value(line) - actual_before,
            invoiced=invoiced_amount,
            committed=line_committed_value(line) - committed_before,
        )
    return line


def budget_line_facts(*, budget_line: BudgetLine) -> dict[str, Decimal]:
    """The running figures of a budget line computed from the documents alone."""
    currency = budget_line.currency
    pending = ZERO
    for amount in RequisitionLine.objects.filter(
        budget_line=budget_line, requisition__status__in=PENDING_REQUISITION_STATUSES
    ).values_list("amount", flat=True):
        pending += amount
    committed = ZERO
    actual = ZERO
    for line in CommitmentLine.objects.filter(budget_line=budget_line).select_related("commitment"):
        if line.commitment.status == CommitmentStatus.PENDING_APPROVAL:
            pending += line.amount
        committed += line_committed_value(line)
        actual += _received_value(line)
    # Direct cost reported from site (equipment, labour hours, stock material): apps.field.
    from apps.field.selectors import field_cost_for_budget_line

    actual += field_cost_for_budget_line(budget_line=budget_line)
    for delta in ChangeOrderLine.objects.filter(
        budget_line=budget_line,
        change_order__kind=ChangeOrderKind.SUBCONTRACT,
        change_order__status=ChangeOrderStatus.PENDING_APPROVAL,
        amount_delta__gt=0,
    ).values_list("amount_delta", flat=True):
        pending += delta
    approved_changes = ZERO
    for delta in ChangeOrderLine.objects.filter(
        budget_line=budget_line,
        change_order__kind=ChangeOrderKind.OWNER,
        change_order__status=ChangeOrderStatus.APPROVED,
    ).values_list("amount_delta", flat=True):
        approved_changes += delta
    invoiced = ZERO
    for amount, kind in InvoiceLine.objects.filter(
        commitment_line__budget_line=budget_line, invoice__status__in=ACTIVE_INVOICE_STATUSES
    ).values_list("amount", "invoice__kind"):
        invoiced += -amount if kind == "credit_note" else amount
    return {
        "approved_changes": quantize_money(approved_changes, currency),
        "committed": quantize_money(committed, currency),
        "pending_commitments": quantize_money(pending, currency),
        "actual": quantize_money(actual, currency),
        "invoiced": quantize_money(invoiced, currency),
    }


@transaction.atomic
def budget_line_recompute(*, budget_line: BudgetLine) -> dict[str, tuple[Decimal, Decimal]]:
    """Rebuild a budget line's running figures from the facts; returns what differed
    ({figure: (stored, from facts)}), empty when the running figures were right."""
    budget_line = BudgetLine.objects.select_for_update().get(id=budget_line.id)
    facts = budget_line_facts(budget_line=budget_line)
    differences = {
        name: (getattr(budget_line, name), facts[name])
        for name in FIGURE_FIELDS
        if getattr(budget_line, name) != facts[name]
    }
    if differences:
        budget_line_set_figures(budget_line=budget_line, figures=facts)
    return differences


def budget_lines_recompute(*, project) -> dict[int, dict]:
    """Recompute every budget line of a project; returns the lines that differed."""
    differences = {}
    for budget_line in BudgetLine.objects.filter(project=project):
        diff = budget_line_recompute(budget_line=budget_line)
        if diff:
            differences[budget_line.id] = diff
    return differences
