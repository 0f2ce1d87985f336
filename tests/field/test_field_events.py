"""Field events from site apps reach the hub: equipment and labour cost land in the budget line's
actual by cost code, quantities fold into physical progress in device-time order (late,
out-of-order and resent events give the in-order result), deliveries become receipts on the PO,
subcontractor milestones become progress claims."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from apps.exceptions.models import ExceptionItem
from apps.field.models import CostCodeProgress, FieldEvent
from apps.field.services import field_rate_set
from apps.procurement.choices import CommitmentKind
from apps.procurement.models import ProgressClaim, Receipt
from apps.procurement.services.facts import budget_line_recompute
from tests.field.conftest import site_event

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(school_budget):
    school = school_budget.project
    field_rate_set(kind="labour", key="concrete", rate="50", currency="EUR", project=school)
    field_rate_set(kind="labour", key="*", rate="40", currency="EUR")  # company-wide default
    field_rate_set(kind="equipment", key="EXC-02", rate="95.50", currency="EUR", project=school)


def test_equipment_and_timesheet_costs_reach_actuals_by_cost_code(school_budget, rates, deliver):
    transactions = deliver(
        site_event(
            "timesheet.submitted",
            "t-1",
            "2026-03-02T17:00:00+01:00",
            cost_code="03 31 13",
            phase="P1",
            trade="concrete",
            crew="Concrete gang 1",
            hours="8",
        ),
        site_event(
            "timesheet.submitted",
            "t-2",
            "2026-03-02T17:05:00+01:00",
            cost_code="26 05 19",
            trade="electrical",  # no electrical rate: the company-wide default applies
            hours="7.5",
        ),
        site_event(
            "equipment.logged",
            "e-1",
            "2026-03-02T16:00:00+01:00",
            cost_code="03 31 13",
            phase="P1",
            equipment_id="EXC-02",
            hours="6.5",
        ),
        site_event(
            "equipment.logged",
            "e-2",
            "2026-03-02T16:30:00+01:00",
            cost_code="05 12 23",
            equipment_id="CRN-09",
            ownership="hired",
            rate="180",  # the hire agreement's rate travels with the log
            hours="3",
        ),
    )
    assert [tx.status for tx in transactions] == ["delivered"] * 4, [
        tx.last_error_message for tx in transactions
    ]
    # 8 h × 50 + 6.5 h × 95.50 on substructure concrete; 7.5 h × 40 on cables; 3 h × 180 steel.
    assert school_budget.line("P1", "03 31 13").actual == D("1020.75")
    assert school_budget.line("P3", "26 05 19").actual == D("300.00")
    assert school_budget.line("P2", "05 12 23").actual == D("540.00")
    assert school_budget.line("P2", "03 31 13").actual == D("0.00")
    hired = FieldEvent.objects.get(event_id="e-2")
    assert (hired.ownership, hired.rate_source) == ("hired", "event")
    # No pay data on a timesheet: the hours, the trade and the crew.
    sheet = FieldEvent.objects.get(event_id="t-1")
    assert (sheet.hours, sheet.trade, sheet.rate_source) == (
        D("8"),
        "concrete",
        "rate:project:concrete",
    )
    # The running figures equal what the facts give (field cost included).
    for key in (("P1", "03 31 13"), ("P3", "26 05 19"), ("P2", "05 12 23")):
        assert budget_line_recompute(budget_line=school_budget.line(*key)) == {}


def test_hours_without_any_rate_are_held_until_a_rate_is_set(school_budget, deliver):
    (tx,) = deliver(
        site_event(
            "equipment.logged",
            "e-9",
            "2026-03-02T16:00:00Z",
            cost_code="03 31 13",
            equipment_id="PMP-04",
            hours="2",
        )
    )
    assert tx.status == "held"
    item = ExceptionItem.objects.get(links__transaction_id=tx.pk)
    assert item.category == "mapping_missing"
    assert "No equipment rate for equipment PMP-04" in item.reason
    assert not FieldEvent.objects.exists()
    assert school_budget.line("P1", "03 31 13").actual == D("0.00")


def _quantity_events() -> list[dict]:
    """A week of concrete on the substructure: planned 500 m3, daily pours, one explicit reading
    of percent complete, and labour."""
    events = [
        site_event(
            "daily_quantity.reported",
            f"q-{day}",
            f"2026-03-0{day}T17:00:00+01:00",
            cost_code="03 31 13",
            phase="P1",
            quantity=str(20 * day),
            unit="m3",
            planned_quantity="500",
        )
        for day in range(1, 6)
    ]
    events.append(
        site_event(
            "timesheet.submitted",
            "t-10",
            "2026-03-03T18:00:00+01:00",
            cost_code="03 31 13",
            phase="P1",
            trade="concrete",
            hours="40",
        )
    )
    return events


def _snapshot(school_budget) -> dict:
    line = school_budget.line("P1", "03 31 13")
    progress = CostCodeProgress.objects.get(budget_line=line)
    return {
        "actual": line.actual,
        "quantity_to_date": progress.quantity_to_date,
        "percent": progress.percent_complete,
        "as_of": progress.as_of.isoformat(),
        "events": FieldEvent.objects.count(),
    }


@pytest.mark.parametrize("delivery", ["in_order", "reversed", "shuffled_with_resends"])
def test_late_out_of_order_and_resent_batches_give_the_in_order_result(
    school_budget, rates, deliver, delivery
):
    events = sorted(_quantity_events(), key=lambda e: e["data"]["device_time"])
    if delivery == "reversed":
        events = list(reversed(events))
    elif delivery == "shuffled_with_resends":
        events = events + events[:3]  # offline resends of the first three
        random.Random(7).shuffle(events)
    for event in events:  # one at a time: each applied before the next arrives
        deliver(event)
    # In-order delivery: 20+40+60+80+100 = 300 m3 of 500 planned → 60%; 40 h × 50 = 2000.
    assert _snapshot(school_budget) == {
        "actual": D("2000.00"),
        "quantity_to_date": D("300.0000"),
        "percent": D("60.00"),
        "as_of": "2026-03-05T16:00:00+00:00",
        "events": 6,
    }
    late = set(FieldEvent.objects.filter(late=True).values_list("event_id", flat=True))
    if delivery == "in_order":
        assert late == set()
    else:
        assert late  # the late ones are marked, and still applied where they belong


def test_an_older_percent_reading_arriving_late_does_not_overwrite_the_newer(
    school_budget, deliver
):
    newer = site_event(
        "daily_quantity.reported",
        "p-2",
        "2026-03-04T17:00:00Z",
        cost_code="03 31 13",
        phase="P1",
        percent_complete="45",
    )
    older = site_event(
        "daily_quantity.reported",
        "p-1",
        "2026-03-02T17:00:00Z",
        cost_code="03 31 13",
        phase="P1",
        percent_complete="30",
    )
    deliver(newer)
    deliver(older)
    progress = CostCodeProgress.objects.get(budget_line=school_budget.line("P1", "03 31 13"))
    assert progress.percent_complete == D("45.00")
    assert FieldEvent.objects.get(event_id="p-1").late is True


def test_delivery_on_site_is_a_receipt_on_the_po_and_resends_make_no_second(procure, deliver):
    po = procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "100", "unit_price": "120"}]
    )
    event = site_event(
        "delivery.received",
        "d-1",
        "2026-03-02T09:15:00+01:00",
        po_number=po.number,
        delivery_note="DN-889",
        lines=[{"line_ref": "1", "quantity_received": "12", "unit": "m3"}],
    )
    (tx,) = deliver(event)
    assert tx.status == "delivered", tx.last_error_message
    receipt = Receipt.objects.get(commitment=po)
    assert receipt.reference == "DN-889"
    assert str(receipt.received_on) == "2026-03-02"
    assert receipt.lines.get().quantity == D("12")
    assert procure.budget.line("P1", "03 31 13").actual == D("1440.00")
    assert FieldEvent.objects.get(event_id="d-1").receipt_number == receipt.number
    assert deliver(event) == []  # the resend is a duplicate at the ledger
    assert Receipt.objects.filter(commitment=po).count() == 1


def test_delivery_for_an_unknown_po_is_held_as_a_missing_receipt(school_budget, deliver):
    (tx,) = deliver(
        site_event(
            "delivery.received",
            "d-2",
            "2026-03-02T09:15:00Z",
            po_number="PO-NOPE",
            lines=[{"line_ref": "1", "quantity_received": "3"}],
        )
    )
    assert tx.status == "held"
    assert ExceptionItem.objects.get(links__transaction_id=tx.pk).category == "missing_receipt"


def test_subcontractor_milestone_completion_submits_a_progress_claim(procure, deliver, vendors):
    subcontract = procure.issued_commitment(
        lines=[
            {"phase": "P2", "cost_code": "05 12 23", "quantity": "1", "unit_price": "25000"},
            {"phase": "P2", "cost_code": "03 31 13", "quantity": "1", "unit_price": "9000"},
        ],
        kind=CommitmentKind.SUBCONTRACT,
        title="Steel frame",
    )
    (tx,) = deliver(
        site_event(
            "milestone.completed",
            "m-1",
            "2026-03-20T15:00:00Z",
            commitment_number=subcontract.number,
            line_no="1",
        )
    )
    assert tx.status == "delivered", tx.last_error_message
    claim = ProgressClaim.objects.get(commitment=subcontract)
    line = claim.lines.get()
    assert (line.commitment_line.line_no, line.claimed_percent_to_date) == (1, D("100.00"))
    assert str(claim.period_end) == "2026-03-20"
    assert FieldEvent.objects.get(event_id="m-1").progress_claim_number == claim.number


def test_a_held_event_replayed_after_the_rate_is_set_is_costed_once(
    school_budget, deliver, run_pipeline, ada
):
    from apps.ledger.services import transaction_replay

    (held,) = deliver(
        site_event(
            "equipment.logged",
            "e-7",
            "2026-03-02T16:00:00Z",
            cost_code="03 31 13",
            phase="P1",
            equipment_id="PMP-04",
            hours="4",
        )
    )
    assert held.status == "held"
    field_rate_set(
        kind="equipment", key="PMP-04", rate="72.50", currency="EUR", project=school_budget.project
    )
    (replayed,) = run_pipeline(transaction_replay(transaction=held, actor=ada, reason="rate set"))
    assert replayed.status == "delivered", replayed.last_error_message
    assert school_budget.line("P1", "03 31 13").actual == D("290.00")
    # Replaying the applied event again changes nothing: it is the same device event.
    (again,) = run_pipeline(transaction_replay(transaction=replayed, actor=ada, reason="again"))
    assert again.status == "delivered", again.last_error_message
    assert school_budget.line("P1", "03 31 13").actual == D("290.00")
    assert FieldEvent.objects.get().idempotency_key == "field:tab-07:e-7"
