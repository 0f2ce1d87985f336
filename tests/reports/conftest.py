"""Known fixtures for the executive reports: commitments with planned / milestone / issue dates,
payments, schedule updates with milestone slips, documents and pipeline waits on the school
project, plus records on the bridge project that pat and fiona may not see."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from apps.procurement.choices import (
    CommitmentKind,
    InvoiceStatus,
    MatchStatus,
    PaymentSource,
    PaymentStatus,
)
from apps.procurement.models import Commitment, Invoice, Payment, PaymentAllocation
from apps.procurement.services import commitment_create
from apps.schedule.choices import ActivityStatus, ActivityType, ScheduleKind, SourceFormat
from apps.schedule.models import Activity, MilestoneSlip, ScheduleVersion

D = Decimal


def at(year, month, day) -> datetime:
    return datetime(year, month, day, 12, 0, tzinfo=UTC)


def schedule_version(project, kind, data_date: date, name: str) -> ScheduleVersion:
    return ScheduleVersion.objects.create(
        project=project,
        kind=kind,
        source_format=SourceFormat.XER,
        file_name=f"{name}.xer",
        file_sha256=name.ljust(64, "0"),
        data_date=at(data_date.year, data_date.month, data_date.day),
    )


def milestone(version, task_code: str, finish: date) -> Activity:
    return Activity.objects.create(
        version=version,
        task_code=task_code,
        name=f"Milestone {task_code}",
        activity_type=ActivityType.FINISH_MILESTONE,
        status=ActivityStatus.NOT_STARTED,
        planned_finish=at(finish.year, finish.month, finish.day),
    )


def bill_and_pay(*, project, commitment, vendor, number, amount, paid_on, status=None):
    invoice = Invoice.objects.create(
        vendor=vendor,
        project=project,
        commitment=commitment,
        number=number,
        invoice_date=paid_on,
        currency="EUR",
        subtotal=D(amount),
        payable_amount=D(amount),
        paid_amount=D(amount),
        status=InvoiceStatus.PAID,
        match_status=MatchStatus.MATCHED,
    )
    payment = Payment.objects.create(
        number=f"PAY-{number}",
        vendor=vendor,
        amount=D(amount),
        currency="EUR",
        paid_on=paid_on,
        source=PaymentSource.BANK,
        status=status or PaymentStatus.RECONCILED,
    )
    PaymentAllocation.objects.create(payment=payment, invoice=invoice, amount=D(amount))
    return invoice, payment


@pytest.fixture
def cash(procure, school, vendors, rob):
    """School: PO-A 10,000.00 planned 2026-02-10; PO-B 20,000.00 tied to milestone M100
    (15 Mar 2026 in the latest update, 1 Mar in the baseline), expected 20 May 2026 after a slip;
    PO-C 5,000.00 with no dates, issued 5 Jan 2026; a draft of 7,000.00 (not committed).
    Paid: 4,000.00 on 25 Feb, 1,500.00 on 3 Mar; a void payment of 999.00 does not count."""
    po_a = procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "10", "unit_price": "1000"}]
    )
    po_b = procure.issued_commitment(
        lines=[{"phase": "P2", "cost_code": "05 12 23", "quantity": "1", "unit_price": "20000"}],
        vendor="steel",
        title="Steel frame",
    )
    po_c = procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "31 23 16", "quantity": "5", "unit_price": "1000"}],
        title="Excavation",
    )
    Commitment.objects.filter(pk=po_a.pk).update(
        planned_delivery_date=date(2026, 2, 10), expected_delivery_date=date(2026, 2, 10)
    )
    Commitment.objects.filter(pk=po_b.pk).update(
        milestone_code="M100", expected_delivery_date=date(2026, 5, 20)
    )
    Commitment.objects.filter(pk=po_c.pk).update(issued_at=at(2026, 1, 5))
    draft = commitment_create(
        project=school,
        vendor=vendors["readymix"],
        kind=CommitmentKind.PURCHASE_ORDER,
        title="Not yet",
        lines=[
            {
                "budget_line": procure.budget.line("P3", "09 21 16"),
                "quantity": "7",
                "unit_price": "1000",
            }
        ],
        created_by=rob,
    )
    Commitment.objects.filter(pk=draft.pk).update(planned_delivery_date=date(2026, 2, 1))
    baseline = schedule_version(school, ScheduleKind.BASELINE, date(2025, 12, 1), "baseline")
    milestone(baseline, "M100", date(2026, 3, 1))
    update = schedule_version(school, ScheduleKind.UPDATE, date(2026, 1, 31), "update1")
    milestone(update, "M100", date(2026, 3, 15))
    bill_and_pay(
        project=school,
        commitment=po_a,
        vendor=vendors["readymix"],
        number="INV-1",
        amount="4000.00",
        paid_on=date(2026, 2, 25),
    )
    bill_and_pay(
        project=school,
        commitment=po_b,
        vendor=vendors["steel"],
        number="INV-2",
        amount="1500.00",
        paid_on=date(2026, 3, 3),
    )
    bill_and_pay(
        project=school,
        commitment=po_b,
        vendor=vendors["steel"],
        number="INV-VOID",
        amount="999.00",
        paid_on=date(2026, 3, 4),
        status=PaymentStatus.VOID,
    )
    return {"a": po_a, "b": po_b, "c": po_c, "draft": draft, "update": update}


def slip(project, version, task_code, *, slip_days, current, threshold=5, actual=False):
    return MilestoneSlip.objects.create(
        project=project,
        version=version,
        task_code=task_code,
        name=f"Milestone {task_code}",
        milestone_type=ActivityType.FINISH_MILESTONE,
        baseline_date=date(2026, 3, 1),
        current_date=current,
        is_actual=actual,
        slip_days=slip_days,
        threshold_days=threshold,
        compared_with="baseline",
        over_threshold=slip_days is not None and slip_days > threshold,
    )
