"""Change management end to end: a Procore change event (its line item's delivery, v3.0 payload
with the change event as related resource, or the change event's own) is posted signed; the
pipeline fetches the event from the platform simulator and raises an owner change order for
approval; its approval revises the budget, and the revision reaches the Odoo simulator's budget
as a child of the change event's transaction, under its correlation id. Resending the delivery,
or a later update of the same event, raises no second change order."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.approvals.choices import Decision
from apps.approvals.services import approval_decide
from apps.ledger.models import Transaction
from apps.procurement.models import ChangeOrder
from apps.workflows.definitions import WORKFLOWS
from apps.workflows.models import WorkflowInstance
from apps.workflows.selectors import workflow_instances
from tests.plugins.procurement import pending_request
from tests.workflows.conftest import post_delivery

pytestmark = pytest.mark.django_db

D = Decimal


def _change_event(world, project, *, amount: str) -> int:
    """A change event on the platform: one line on the cables (26 05 19), in EUR."""
    with world.lock:
        event_id = world._next("procore")
        world.change_events[event_id] = {
            "id": event_id,
            "number": "007",
            "title": "Client variation: extra sockets",
            "status": "Open",
            "change_reason": {"name": "Client Request"},
            "line_items": [
                {
                    "id": event_id * 10,
                    "description": "Extra sockets, level 2",
                    "cost_code": {"id": 4001, "full_code": "26 05 19", "name": "Cables"},
                    "cost_rom": amount,
                    "revenue_rom": "15000.00",
                    "currency": "EUR",
                }
            ],
            "updated_at": "2026-03-11T08:00:00Z",
            "project": {
                "id": project.procore_id,
                "name": project.name,
                "project_number": "SCH-001",
            },
        }
    return event_id


def _delivery(world, project, event_id, event_type="create"):
    with world.lock:
        return world.procore_delivery(
            project=project,
            resource_name="Change Events",
            event_type=event_type,
            resource_id=event_id,
        )


def _cable_budget_amounts(odoo_sim) -> list[Decimal]:
    (cost_account,) = odoo_sim.records(
        "account.analytic.account", ["id"], [("code", "=", "26 05 19")]
    )
    (budget,) = odoo_sim.records(
        "budget.analytic", ["id"], [("name", "=", "SCH-001 Construction budget")]
    )
    rows = odoo_sim.records("budget.line", None, [("budget_analytic_id", "=", budget["id"])])
    return [
        D(str(row["budget_amount"]))
        for row in rows
        if any(
            key.startswith("x_plan") and value and value[0] == cost_account["id"]
            for key, value in row.items()
        )
    ]


def test_change_event_becomes_an_approved_change_order_and_revises_the_odoo_budget(
    client,
    odoo_sim,
    erp,
    drain,
    platform_world,
    platform_systems,
    sim_school,
    school_budget,
    rob,
    alice,
    authority,
    pat,
):
    cables = school_budget.line("P3", "26 05 19")
    assert _cable_budget_amounts(odoo_sim) == [D("150000")]  # Odoo's seed figure
    event_id = _change_event(platform_world, sim_school, amount="12500.00")
    delivery = _delivery(platform_world, sim_school, event_id)
    response = post_delivery(client, delivery)
    assert response.status_code == 202, response.content
    drain()
    event_tx = Transaction.objects.get(pk=response.json()["transaction_id"])
    assert event_tx.status == "delivered", event_tx.last_error_message
    assert (event_tx.domain, event_tx.operation) == ("change_order", "change_event.create")

    change = ChangeOrder.objects.get()
    assert change.kind == "owner" and change.status == "pending_approval"
    assert change.external_ref == f"procore:change_event:{event_id}"
    assert change.created_by == rob and change.amount == D("12500.00")
    (line,) = change.lines.all()
    assert line.budget_line_id == cables.id and line.amount_delta == D("12500.00")
    assert not Transaction.objects.filter(direction="outbound").exists()  # nothing before approval

    approval_decide(request_id=pending_request(change).id, actor=alice, decision=Decision.APPROVE)
    drain()
    cables.refresh_from_db()
    assert cables.revised == D("102500.00")  # 90,000 + 12,500
    revise = Transaction.objects.get(direction="outbound", domain="budget_line")
    assert revise.status == "delivered", revise.last_error_message
    assert revise.parent_id == event_tx.pk
    assert revise.correlation_id == event_tx.correlation_id
    # Odoo's budget line for the cables now carries the hub's revised budget, in place.
    assert _cable_budget_amounts(odoo_sim) == [D("102500")]

    instance = WorkflowInstance.objects.get(workflow="change_management")
    assert instance.correlation_id == event_tx.correlation_id
    (row,) = workflow_instances(user=pat, workflow=WORKFLOWS["change_management"])
    assert (row.step, row.status) == ("budget_in_odoo", "completed")
    assert f"change_order:{change.number}" in row.subjects

    # The same delivery again is a duplicate; an update of the event raises no second order.
    again = post_delivery(client, delivery)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    with platform_world.lock:
        platform_world.change_events[event_id]["status"] = "Closed"
        platform_world.change_events[event_id]["updated_at"] = "2026-03-12T08:00:00Z"
    update = post_delivery(client, _delivery(platform_world, sim_school, event_id, "update"))
    assert update.status_code == 202
    drain()
    assert ChangeOrder.objects.count() == 1
    assert Transaction.objects.filter(direction="outbound").count() == 1
    assert _cable_budget_amounts(odoo_sim) == [D("102500")]
    instance.refresh_from_db()
    assert instance.current_step == "approved"


def test_change_event_on_an_unbudgeted_cost_code_is_held_with_the_reason(
    client, drain, platform_world, platform_systems, sim_school, school_budget, rob
):
    event_id = _change_event(platform_world, sim_school, amount="800.00")
    with platform_world.lock:
        line = platform_world.change_events[event_id]["line_items"][0]
        line["cost_code"]["full_code"] = "03 31 13"  # budgeted in two phases: which one?
    response = post_delivery(client, _delivery(platform_world, sim_school, event_id))
    drain()
    tx = Transaction.objects.get(pk=response.json()["transaction_id"])
    assert tx.status == "held"
    assert "03 31 13" in tx.last_error_message and "phase" in tx.last_error_message
    assert not ChangeOrder.objects.exists()
    assert not WorkflowInstance.objects.exists()


def test_rejected_change_order_stops_the_flow_and_odoo_keeps_its_budget(
    client,
    odoo_sim,
    erp,
    drain,
    platform_world,
    platform_systems,
    sim_school,
    school_budget,
    rob,
    alice,
    authority,
    pat,
):
    event_id = _change_event(platform_world, sim_school, amount="4000.00")
    response = post_delivery(client, _delivery(platform_world, sim_school, event_id))
    assert response.status_code == 202
    drain()
    change = ChangeOrder.objects.get()
    approval_decide(
        request_id=pending_request(change).id,
        actor=alice,
        decision=Decision.REJECT,
        comment="Not in the client's instruction",
    )
    drain()
    change.refresh_from_db()
    assert change.status == "rejected"
    assert not Transaction.objects.filter(direction="outbound").exists()
    assert _cable_budget_amounts(odoo_sim) == [D("150000")]
    cables = school_budget.line("P3", "26 05 19")
    assert cables.revised == D("90000.00")
    (row,) = workflow_instances(user=pat, workflow=WORKFLOWS["change_management"])
    assert (row.step, row.status) == ("rejected", "stopped")
