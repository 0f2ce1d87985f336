"""Document-driven procurement end to end: a Procore submittal naming a draft requisition's line
is answered; the signed webhook goes through ingest, the dispatcher's pipeline (follow-up GET to
the platform simulator) and the register; an approval releases the requisition (budget check,
approval request), its approval issues the PO, and the PO reaches the Odoo simulator as a child
of the submittal's transaction, under its correlation id. A rejection holds the line with the
reason in the exception queue; the approved revision then releases it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.approvals.choices import Decision
from apps.approvals.services import approval_decide
from apps.documents.models import DocumentEvent
from apps.exceptions.models import ExceptionItem
from apps.ledger.models import Transaction
from apps.procurement.models import Commitment
from apps.procurement.services import requisition_create
from apps.workflows.definitions import WORKFLOWS
from apps.workflows.models import WorkflowInstance
from apps.workflows.selectors import workflow_instances
from tests.plugins.procurement import pending_request
from tests.workflows.conftest import post_delivery

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def draft_requisition(erp, school_budget, rob):
    return requisition_create(
        project=school_budget.project,
        requested_by=rob,
        title="Ready-mix for the ground beams",
        vendor=erp,
        lines=[
            {
                "budget_line": school_budget.line("P1", "03 31 13"),
                "product_code": "CON-C3037",
                "description": "Ready-mix C30/37",
                "quantity": "200",
                "unit": "m3",
                "unit_price": "118.00",
            }
        ],
    )


class Submittal:
    """A submittal in the platform simulator and the deliveries Procore sends about it."""

    def __init__(self, world, project, refs):
        self.world, self.project = world, project
        with world.lock:
            _, _, self.id, _ = world._submittal_create(project)
            submittal = world.submittals[self.id]
            submittal["custom_fields"]["custom_field_55001"]["value"] = "; ".join(refs)
        self.minute = 0

    def delivery(self, event_type: str):
        with self.world.lock:
            # Each change is newer than the last (the pipeline orders updates by source time).
            self.minute += 1
            self.world.submittals[self.id]["updated_at"] = f"2026-03-10T09:{self.minute:02d}:00Z"
            return self.world.procore_delivery(
                project=self.project,
                resource_name="Submittals",
                event_type=event_type,
                resource_id=self.id,
            )

    def respond(self, name: str, considered: str):
        with self.world.lock:
            submittal = self.world.submittals[self.id]
            approver = submittal["approvers"][-1]
            approver["response"] = {"id": 11, "name": name, "considered": considered}
            approver["returned_date"] = "2026-03-10"
            if considered == "revise_and_resubmit":
                submittal["revision"] = str(int(submittal["revision"]) + 1)
                submittal["approvers"].append(
                    {
                        "id": approver["id"] + 1,
                        "workflow_group_number": approver["workflow_group_number"] + 1,
                        "user": approver["user"],
                        "response": {"id": 0, "name": "Pending", "considered": "pending"},
                        "returned_date": None,
                    }
                )
        return self.delivery("update")


def _accepted(response) -> Transaction:
    assert response.status_code == 202, response.content
    return Transaction.objects.get(pk=response.json()["transaction_id"])


def test_approved_submittal_releases_its_requisition_and_the_po_reaches_odoo(
    client,
    odoo_sim,
    drain,
    platform_world,
    platform_systems,
    sim_school,
    draft_requisition,
    alice,
    authority,
    pat,
):
    requisition = draft_requisition
    submittal = Submittal(platform_world, sim_school, [f"{requisition.number}/1"])
    created = _accepted(post_delivery(client, submittal.delivery("create")))
    drain()
    created.refresh_from_db()
    assert created.status == "delivered", created.last_error_message
    requisition.refresh_from_db()
    assert requisition.status == "draft"  # in review: nothing is released yet

    approved_delivery = submittal.respond("Approved", "approved")
    approved = _accepted(post_delivery(client, approved_delivery))
    drain()
    approved.refresh_from_db()
    assert approved.status == "delivered", approved.last_error_message
    requisition.refresh_from_db()
    assert requisition.status == "pending_approval"
    event = DocumentEvent.objects.get(kind="submittal.approved")
    assert event.procurement_refs == [f"{requisition.number}/1"]
    assert event.emitted_transaction_id == approved.pk

    approval_decide(
        request_id=pending_request(requisition).id, actor=alice, decision=Decision.APPROVE
    )
    po = Commitment.objects.get(requisition=requisition)
    drain()

    # The PO in Odoo is what the hub issued, once.
    (odoo_po,) = odoo_sim.records(
        "purchase.order", ["state", "amount_untaxed"], [("origin", "=", po.number)]
    )
    assert odoo_po["state"] == "purchase"
    assert D(str(odoo_po["amount_untaxed"])) == po.total_amount == D("23600.00")

    # Lineage: the Odoo write is a child of the submittal response, under its correlation id.
    outbound = Transaction.objects.get(direction="outbound", domain="commitment")
    assert outbound.status == "delivered", outbound.last_error_message
    assert outbound.parent_id == approved.pk
    assert outbound.correlation_id == approved.correlation_id
    assert outbound.subject_id == po.number
    flow = Transaction.objects.filter(correlation_id=approved.correlation_id)
    assert set(flow.values_list("id", flat=True)) == {approved.pk, outbound.pk}

    # The workflow instance ends at "PO in Odoo".
    instance = WorkflowInstance.objects.get(workflow="document_procurement")
    assert instance.correlation_id == approved.correlation_id
    (row,) = workflow_instances(user=pat, workflow=WORKFLOWS["document_procurement"])
    assert (row.step, row.status) == ("po_in_odoo", "completed")

    # The same webhook again: a duplicate, nothing new anywhere.
    again = post_delivery(client, approved_delivery)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    drain()
    assert Commitment.objects.filter(requisition=requisition).count() == 1
    assert len(odoo_sim.records("purchase.order", ["id"], [("origin", "=", po.number)])) == 1
    assert Transaction.objects.filter(direction="outbound").count() == 1

    # The page shows the instance at its step, linked to the lineage.
    page = client.get("/workflows/document_procurement/")
    assert page.status_code == 302  # anonymous
    client.force_login(pat)
    page = client.get("/workflows/document_procurement/")
    body = page.content.decode()
    assert page.status_code == 200
    assert requisition.number in body and "PO in Odoo" in body
    assert f"/ledger/{approved.pk}/" in body
    assert approved.correlation_id in body


def test_rejected_submittal_holds_the_line_with_its_reason_until_approved(
    client,
    odoo_sim,
    drain,
    platform_world,
    platform_systems,
    sim_school,
    draft_requisition,
    alice,
    authority,
):
    requisition = draft_requisition
    submittal = Submittal(platform_world, sim_school, [f"{requisition.number}/1"])
    _accepted(post_delivery(client, submittal.delivery("create")))
    drain()

    rejected = _accepted(post_delivery(client, submittal.respond("R&R", "revise_and_resubmit")))
    drain()
    rejected.refresh_from_db()
    assert rejected.status == "delivered", rejected.last_error_message
    requisition.refresh_from_db()
    assert requisition.status == "draft"
    item = ExceptionItem.objects.get(trace_key=f"doc_release_hold:SCH-001:{requisition.number}")
    assert item.category == "document_hold" and item.status not in ("resolved", "ignored")
    assert requisition.number in item.reason and "Revise and Resubmit" in item.reason
    instance = WorkflowInstance.objects.get(workflow="document_procurement")
    assert (instance.current_step, instance.status) == ("lines_held", "held")
    assert not odoo_sim.records("purchase.order", ["id"], [("origin", "like", "PO-")])

    approved = _accepted(post_delivery(client, submittal.respond("Approved", "approved")))
    drain()
    requisition.refresh_from_db()
    assert requisition.status == "pending_approval"
    item.refresh_from_db()
    assert item.status == "resolved"
    approval_decide(
        request_id=pending_request(requisition).id, actor=alice, decision=Decision.APPROVE
    )
    drain()
    po = Commitment.objects.get(requisition=requisition)
    outbound = Transaction.objects.get(direction="outbound", domain="commitment")
    assert outbound.status == "delivered"
    assert outbound.parent_id == approved.pk
    assert outbound.correlation_id == approved.correlation_id
    assert len(odoo_sim.records("purchase.order", ["id"], [("origin", "=", po.number)])) == 1
    instance.refresh_from_db()
    assert instance.correlation_id == approved.correlation_id
    assert rejected.correlation_id in instance.detail["earlier_correlation_ids"]
