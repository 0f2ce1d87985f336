"""Schedule-driven procurement end to end: the baseline and an update of the school's P6 schedule
are posted as signed file feeds; the dispatcher imports them, the update slips M2000 and M3000 past
the threshold and the schedule app emits `milestone.slipped` as children of the file's
transaction; the pipeline flags the commitments tied to M3000, shifts their expected delivery by
the slip (the planned date stays) and opens a schedule-slip-impact item for procurement. No write
goes to Odoo; a resent file is a duplicate and changes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from apps.exceptions.models import ExceptionItem
from apps.ledger.models import Transaction
from apps.procurement.models import Commitment
from apps.schedule.models import MilestoneSlip
from apps.workflows.definitions import WORKFLOWS
from apps.workflows.models import WorkflowInstance
from apps.workflows.selectors import workflow_instances
from tests.ledger.test_ingest import post_file
from tests.schedule.conftest import SLIP_FILES, fixture_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def p6_system(system_factory):
    return system_factory("p6-site", kind="scheduling", connector="p6")


def _post(client, name, **fields):
    return post_file(client, "p6-site", fields, name, fixture_bytes(name))


def test_milestone_slip_flags_its_commitments_and_shifts_their_expected_delivery(
    client, p6_system, procure, odoo_sim, odoo_target, drain, pat
):
    line = {"phase": "P2", "cost_code": "05 12 23", "quantity": "10", "unit_price": "2500"}
    steel = procure.issued_commitment(lines=[line], title="Steel frame")
    other = procure.issued_commitment(lines=[line], title="Steel stairs")
    Commitment.objects.filter(pk=steel.pk).update(
        milestone_code="M3000", planned_delivery_date=date(2026, 6, 1)
    )
    Commitment.objects.filter(pk=other.pk).update(
        milestone_code="A1000", planned_delivery_date=date(2026, 6, 1)
    )
    drain()  # the POs' own deliveries to Odoo, before the schedule arrives
    outbound_before = Transaction.objects.filter(direction="outbound").count()
    purchase_orders = len(odoo_sim.records("purchase.order", ["id"]))

    baseline = _post(client, SLIP_FILES[0], project="SCH-001", kind="baseline")
    assert baseline.status_code == 202, baseline.content
    drain()
    response = _post(client, SLIP_FILES[2], project="SCH-001", kind="update")
    assert response.status_code == 202, response.content
    drain()

    update = Transaction.objects.get(pk=response.json()["transaction_id"])
    slip_event = Transaction.objects.get(domain="milestone", operation="slipped", reference="M3000")
    assert slip_event.status == "delivered", slip_event.last_error_message
    assert slip_event.parent_id == update.pk
    assert slip_event.correlation_id == update.correlation_id

    slip = MilestoneSlip.objects.get(task_code="M3000", event_emitted=True)
    steel.refresh_from_db()
    other.refresh_from_db()
    assert steel.planned_delivery_date == date(2026, 6, 1)
    assert steel.expected_delivery_date == date(2026, 6, 1) + (
        slip.current_date - slip.baseline_date
    )
    assert steel.expected_delivery_date > steel.planned_delivery_date
    assert "M3000" in steel.review_flag
    assert other.review_flag == "" and other.expected_delivery_date is None

    item = ExceptionItem.objects.get(category="schedule_slip_impact")
    assert steel.number in item.reason and other.number not in item.reason
    assert item.amount_at_risk == steel.total_amount
    assert item.links.filter(transaction_id=slip_event.pk).exists()

    instance = WorkflowInstance.objects.get(workflow="schedule_procurement", key="SCH-001:M3000")
    assert (instance.current_step, instance.status) == ("alerted", "completed")
    assert instance.correlation_id == update.correlation_id
    rows = workflow_instances(user=pat, workflow=WORKFLOWS["schedule_procurement"])
    assert {row.key for row in rows} == {"SCH-001:M2000", "SCH-001:M3000"}

    # The hub's own effects only: nothing new went to Odoo.
    assert Transaction.objects.filter(direction="outbound").count() == outbound_before
    assert len(odoo_sim.records("purchase.order", ["id"])) == purchase_orders

    # The same update again: a duplicate; the slip is not applied twice.
    again = _post(client, SLIP_FILES[2], project="SCH-001", kind="update")
    assert again.status_code == 200 and again.json()["duplicate"] is True
    drain()
    steel.refresh_from_db()
    assert steel.expected_delivery_date == date(2026, 6, 1) + (
        slip.current_date - slip.baseline_date
    )
    assert Transaction.objects.filter(domain="milestone", reference="M3000").count() == 1
    item.refresh_from_db()
    assert item.occurrences == 1
