"""Procurement pipeline: requisitions → approvals → POs → receipts → invoices → payments, with
where things wait (approvals past due, deliveries past date not received, unmatched invoices).

The period filters each stage by the date its record was made (requisition created, commitment
issued or approved, receipt received, invoice dated, payment paid)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from apps.procurement.choices import (
    ACTIVE_INVOICE_STATUSES,
    COMMITTED_STATUSES,
    BillingBasis,
    CommitmentStatus,
    MatchStatus,
    PaymentStatus,
    RequisitionStatus,
)
from apps.procurement.models import (
    Commitment,
    CommitmentLine,
    Invoice,
    PaymentAllocation,
    Receipt,
    ReceiptLine,
    Requisition,
)
from apps.projects.money import quantize_money
from apps.reports.filters import ReportFilters
from apps.reports.selectors import report_projects

ZERO = Decimal("0")

STAGES = [
    ("requisitions", "Requisitions submitted"),
    ("approved", "Requisitions approved"),
    ("commitments", "POs and subcontracts committed"),
    ("receipts", "Receipts"),
    ("invoices", "Invoices"),
    ("payments", "Payments"),
]
PIPELINE_COLUMNS = [
    ("stage", "Stage"),
    ("currency", "Currency"),
    ("count", "Count"),
    ("amount", "Amount"),
    ("waiting", "Waiting"),
    ("waiting_amount", "Waiting amount"),
]
UNMATCHED = (MatchStatus.UNMATCHED, MatchStatus.EXCEPTION)


def _in_period(filters: ReportFilters, day) -> bool:
    if day is None:
        return True
    if isinstance(day, datetime):
        day = day.date()
    return filters.contains(day)


def pipeline_report(*, user, filters: ReportFilters, today: date, now: datetime) -> dict:
    from apps.approvals.choices import RequestStatus
    from apps.approvals.models import ApprovalRequest

    projects = list(report_projects(user=user, codes=filters.projects))
    stage: dict[tuple[str, str], dict] = defaultdict(
        lambda: {"count": 0, "amount": ZERO, "waiting": 0, "waiting_amount": ZERO}
    )

    def add(name, currency, amount, *, waiting=False):
        entry = stage[(name, currency)]
        entry["count"] += 1
        entry["amount"] += amount
        if waiting:
            entry["waiting"] += 1
            entry["waiting_amount"] += amount

    requisitions = Requisition.objects.filter(project__in=projects).exclude(
        status__in=(RequisitionStatus.DRAFT, RequisitionStatus.CANCELLED)
    )
    for requisition in requisitions:
        if not _in_period(filters, requisition.submitted_at or requisition.created_at):
            continue
        pending = requisition.status == RequisitionStatus.PENDING_APPROVAL
        add("requisitions", requisition.currency, requisition.total_amount, waiting=pending)
        if requisition.status in (RequisitionStatus.APPROVED, RequisitionStatus.CONVERTED):
            add(
                "approved",
                requisition.currency,
                requisition.total_amount,
                waiting=requisition.status == RequisitionStatus.APPROVED,
            )

    # Deliveries past their date with received-basis lines not fully received.
    missing_receipts = []
    commitments = Commitment.objects.filter(
        project__in=projects, status__in=COMMITTED_STATUSES
    ).select_related("project", "vendor")
    short_lines = defaultdict(list)
    for line in CommitmentLine.objects.filter(
        commitment__in=commitments, billing_basis=BillingBasis.RECEIVED
    ).order_by("commitment_id", "line_no"):
        if line.received_quantity < line.quantity:
            short_lines[line.commitment_id].append(line)
    for commitment in commitments:
        if not _in_period(filters, commitment.issued_at or commitment.approved_at):
            continue
        due = commitment.expected_delivery_date or commitment.planned_delivery_date
        late = (
            commitment.status == CommitmentStatus.ISSUED
            and due is not None
            and due < today
            and bool(short_lines.get(commitment.pk))
        )
        add("commitments", commitment.currency, commitment.total_amount, waiting=late)
        if late:
            outstanding = sum(
                (
                    (line.quantity - line.received_quantity) * line.unit_price
                    for line in short_lines[commitment.pk]
                ),
                ZERO,
            )
            missing_receipts.append(
                {
                    "commitment": commitment,
                    "due": due,
                    "days_late": (today - due).days,
                    "lines": len(short_lines[commitment.pk]),
                    "outstanding": quantize_money(outstanding, commitment.currency),
                }
            )
    missing_receipts.sort(key=lambda r: (-r["days_late"], r["commitment"].number))

    receipt_values: dict[int, Decimal] = defaultdict(lambda: ZERO)
    receipt_lines = ReceiptLine.objects.filter(receipt__commitment__project__in=projects)
    for line in receipt_lines.select_related("commitment_line"):
        receipt_values[line.receipt_id] += line.quantity * line.commitment_line.unit_price
    for receipt in Receipt.objects.filter(commitment__project__in=projects).select_related(
        "commitment"
    ):
        if _in_period(filters, receipt.received_on):
            currency = receipt.commitment.currency
            add("receipts", currency, quantize_money(receipt_values[receipt.pk], currency))

    unmatched = []
    invoices = Invoice.objects.filter(
        project__in=projects, status__in=ACTIVE_INVOICE_STATUSES
    ).select_related("vendor", "commitment")
    for invoice in invoices.order_by("invoice_date", "id"):
        if not _in_period(filters, invoice.invoice_date):
            continue
        waiting = invoice.match_status in UNMATCHED
        add("invoices", invoice.currency, invoice.payable_amount, waiting=waiting)
        if waiting:
            invoice.age_days = (today - invoice.invoice_date).days
            unmatched.append(invoice)

    allocations = (
        PaymentAllocation.objects.filter(invoice__project__in=projects)
        .exclude(payment__status=PaymentStatus.VOID)
        .select_related("payment")
    )
    for allocation in allocations:
        if _in_period(filters, allocation.payment.paid_on):
            add("payments", allocation.payment.currency, allocation.amount)

    delayed = list(
        ApprovalRequest.objects.filter(
            project__in=projects, status=RequestStatus.PENDING, due_at__lt=now
        )
        .select_related("project", "requested_by")
        .order_by("due_at", "id")
    )
    for request in delayed:
        request.days_overdue = (now - request.due_at).days

    currencies = sorted({currency for _, currency in stage}) or [p.currency for p in projects[:1]]
    rows = []
    for currency in currencies:
        for key, label in STAGES:
            entry = stage.get((key, currency), {"count": 0, "amount": ZERO, "waiting": 0})
            rows.append(
                {
                    "stage": label,
                    "stage_key": key,
                    "currency": currency,
                    "count": entry["count"],
                    "amount": quantize_money(entry["amount"], currency),
                    "waiting": entry["waiting"],
                    "waiting_amount": quantize_money(entry.get("waiting_amount", ZERO), currency),
                }
            )
    return {
        "projects": projects,
        "rows": rows,
        "delayed_approvals": delayed,
        "missing_receipts": missing_receipts,
        "unmatched_invoices": unmatched,
        "unmatched_amount": {
            currency: quantize_money(
                sum((i.payable_amount for i in unmatched if i.currency == currency), ZERO),
                currency,
            )
            for currency in sorted({i.currency for i in unmatched})
        },
    }
