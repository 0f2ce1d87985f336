"""Reads for the workflow pages: the five workflows with their instance counts, and one
workflow's instances with the step each is at (project-scoped).

Instances of the event-driven workflows are WorkflowInstance rows (moved by the services that
perform the steps); the last leg (the write reaching Odoo) is read from the ledger: an outbound
transaction of the flow's correlation id, of one of the workflow's Odoo writes, delivered.
Procure-to-pay instances are derived from the procurement records (one per commitment).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q

from apps.accounts.selectors import user_project_ids
from apps.ledger.models import Transaction
from apps.workflows.choices import STATUS_COLOURS, InstanceStatus
from apps.workflows.definitions import CHANGE_MANAGEMENT, PROCURE_TO_PAY, WORKFLOWS, Workflow
from apps.workflows.models import WorkflowInstance

INSTANCE_LIMIT = 200


@dataclass
class InstanceRow:
    """One instance as the pages show it."""

    key: str
    title: str
    project_code: str
    step: str
    step_label: str
    step_number: int
    step_count: int
    status: str
    reason: str
    correlation_id: str
    origin_transaction_id: int | None
    updated_at: datetime | None
    subjects: list[str] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return InstanceStatus(self.status).label

    @property
    def status_colour(self) -> str:
        return STATUS_COLOURS.get(self.status, "grey")


def _scope(queryset, user, field_name: str = "project_id"):
    ids = user_project_ids(user=user)
    return queryset if ids is None else queryset.filter(**{f"{field_name}__in": ids})


def workflow_summary(*, user) -> list[dict]:
    """The five workflows with their instance counts (by status) for the user's projects."""
    counts = {}
    rows = (
        _scope(WorkflowInstance.objects.all(), user)
        .values("workflow", "status")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts.setdefault(row["workflow"], {})[row["status"]] = row["n"]
    counts[PROCURE_TO_PAY] = _procure_to_pay_counts(user=user)
    summary = []
    for workflow in WORKFLOWS.values():
        by_status = counts.get(workflow.key, {})
        summary.append(
            {
                "workflow": workflow,
                "total": sum(by_status.values()),
                "by_status": [
                    {"status": s, "label": s.label, "colour": s.colour, "count": by_status[s]}
                    for s in InstanceStatus
                    if by_status.get(s)
                ],
            }
        )
    return summary


def _odoo_delivered(workflow: Workflow, correlation_ids: list[str]) -> set[str]:
    """Correlation ids whose Odoo write (one of the workflow's) was delivered."""
    if not workflow.odoo_writes or not correlation_ids:
        return set()
    writes = Q()
    for domain, operation in workflow.odoo_writes:
        writes |= Q(domain=domain, operation=operation)
    return set(
        Transaction.objects.filter(
            writes,
            correlation_id__in=correlation_ids,
            direction="outbound",
            status="delivered",
        ).values_list("correlation_id", flat=True)
    )


def workflow_instances(*, user, workflow: Workflow, project_id: int | None = None) -> list:
    """The workflow's instances (newest first), each at its step."""
    if workflow.key == PROCURE_TO_PAY:
        return procure_to_pay_instances(user=user, project_id=project_id)
    queryset = _scope(WorkflowInstance.objects.filter(workflow=workflow.key), user)
    if project_id:
        queryset = queryset.filter(project_id=project_id)
    instances = list(
        queryset.select_related("project").prefetch_related("subjects")[:INSTANCE_LIMIT]
    )
    delivered = _odoo_delivered(workflow, [i.correlation_id for i in instances])
    refused = _change_orders_refused(workflow, instances)
    rows = []
    for instance in instances:
        step, status = instance.current_step, instance.status
        if instance.correlation_id in delivered and status != InstanceStatus.HELD:
            step, status = workflow.odoo_step, InstanceStatus.COMPLETED
        elif instance.pk in refused:
            step, status = "rejected", InstanceStatus.STOPPED
        rows.append(
            InstanceRow(
                key=instance.key,
                title=instance.title,
                project_code=instance.project.code if instance.project else "",
                step=step,
                step_label=workflow.step_label(step),
                step_number=workflow.step_index(step) + 1,
                step_count=len(workflow.steps),
                status=status,
                reason=instance.reason,
                correlation_id=instance.correlation_id,
                origin_transaction_id=instance.last_transaction_id,
                updated_at=instance.updated_at,
                subjects=[str(s) for s in instance.subjects.all()],
            )
        )
    return rows


def _change_orders_refused(workflow: Workflow, instances: list) -> set[int]:
    """Change-management instances whose change order was rejected or cancelled (read from the
    change order itself: the decision is procurement's, no step of ours runs on it)."""
    if workflow.key != CHANGE_MANAGEMENT:
        return set()
    from apps.procurement.models import ChangeOrder

    by_number = {
        subject.subject_id: instance.pk
        for instance in instances
        for subject in instance.subjects.all()
        if subject.subject_domain == "change_order"
    }
    numbers = ChangeOrder.objects.filter(
        number__in=list(by_number), status__in=["rejected", "cancelled"]
    ).values_list("number", flat=True)
    return {by_number[number] for number in numbers}


# --- procure-to-pay, derived from the procurement records ---------------------------------


def _commitments(user, project_id=None):
    from apps.procurement.models import Commitment

    queryset = _scope(
        Commitment.objects.exclude(status__in=["draft", "pending_approval", "cancelled"]), user
    )
    if project_id:
        queryset = queryset.filter(project_id=project_id)
    return queryset


def _procure_to_pay_counts(*, user) -> dict:
    rows = procure_to_pay_instances(user=user)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts


def procure_to_pay_instances(*, user, project_id: int | None = None) -> list[InstanceRow]:
    """One instance per approved commitment: the furthest step its records show."""
    from apps.procurement.choices import RELEASED_MATCH_STATUSES
    from apps.procurement.models import Invoice, PaymentAllocation

    workflow = WORKFLOWS[PROCURE_TO_PAY]
    commitments = list(
        _commitments(user, project_id)
        .select_related("project", "requisition")
        .annotate(receipt_count=Count("receipts", distinct=True))
        .order_by("-id")[:INSTANCE_LIMIT]
    )
    numbers = [c.number for c in commitments]
    outbound = {}
    for tx in Transaction.objects.filter(
        direction="outbound", domain="commitment", operation="create", subject_id__in=numbers
    ).order_by("id"):
        outbound.setdefault(tx.subject_id, tx)
    invoices: dict[int, list] = {}
    for invoice in Invoice.objects.filter(commitment__in=commitments).only(
        "id", "commitment_id", "status", "match_status"
    ):
        invoices.setdefault(invoice.commitment_id, []).append(invoice)
    reconciled = set(
        PaymentAllocation.objects.filter(
            invoice__commitment__in=commitments, payment__status="reconciled"
        ).values_list("invoice__commitment_id", flat=True)
    )
    rows = []
    for commitment in commitments:
        tx = outbound.get(commitment.number)
        bills = invoices.get(commitment.id, [])
        reached = "approved"
        if commitment.external_ref or (tx is not None and tx.status == "delivered"):
            reached = "po_in_odoo"
        if commitment.receipt_count:
            reached = "received"
        if bills:
            reached = "billed"
        if any(b.match_status in RELEASED_MATCH_STATUSES for b in bills):
            reached = "matched"
        if any(b.status in ("posted", "partially_paid", "paid") for b in bills):
            reached = "posted"
        if any(b.status == "paid" for b in bills):
            reached = "paid"
        if commitment.id in reconciled:
            reached = "reconciled"
        held = any(b.status == "held" or b.match_status == "exception" for b in bills)
        status = (
            InstanceStatus.COMPLETED
            if reached == "reconciled"
            else InstanceStatus.HELD
            if held
            else InstanceStatus.RUNNING
        )
        rows.append(
            InstanceRow(
                key=commitment.number,
                title=commitment.title,
                project_code=commitment.project.code,
                step=reached,
                step_label=workflow.step_label(reached),
                step_number=workflow.step_index(reached) + 1,
                step_count=len(workflow.steps),
                status=status,
                reason="An invoice is held (see the exception queue)." if held else "",
                correlation_id=tx.correlation_id if tx is not None else "",
                origin_transaction_id=tx.pk if tx is not None else None,
                updated_at=commitment.updated_at,
                subjects=[
                    f"requisition:{commitment.requisition.number}"
                    if commitment.requisition
                    else "",
                    f"commitment:{commitment.number}",
                ],
            )
        )
    return rows
