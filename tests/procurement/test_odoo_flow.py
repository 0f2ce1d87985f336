"""Procure-to-pay against the Odoo simulator over loopback, through the ledger and the pipeline:
requisition → approval → PO confirmed in Odoo → confirmation pulled back → receipt validated in
Odoo → vendor bill made in Odoo, pulled and 3-way matched → release written back → accounting
gate → posted in Odoo → payment in Odoo pulled and allocated. At each step the Odoo records are
compared with the hub's (amounts, analytic distribution, references)."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.approvals.choices import Decision, DocumentType
from apps.approvals.services import approval_decide
from apps.connectors.registry import connector_for
from apps.ledger.models import Transaction
from apps.procurement.choices import VendorStatus
from apps.procurement.models import Commitment, Invoice, Payment
from apps.procurement.services import (
    receipt_record,
    requisition_create,
    requisition_submit,
    vendor_upsert,
)
from apps.sync.services import mapping_save
from tests.plugins.procurement import pending_request

D = Decimal
pytestmark = pytest.mark.django_db


def _pull(odoo_target, make_inbound, domain, keep):
    """Pull one domain from Odoo into the ledger as inbound transactions (what a batch sync
    policy does), keeping the records `keep(record)` selects."""
    connector = connector_for(odoo_target)
    page = connector.pull(domain=domain)
    recorded = []
    for record in page.records:
        if keep(record):
            recorded.append(
                make_inbound(
                    odoo_target,
                    domain,
                    record,
                    key=record["idempotency_key"],
                    external_id=str(record["external_id"]),
                    trigger="poll",
                )
            )
    connector.close()
    return recorded


def _one(rows):
    assert len(rows) == 1, rows
    return rows[0]


def test_requisition_to_payment_through_odoo(
    odoo_sim,
    odoo_target,
    make_inbound,
    drain,
    school_budget,
    rob,
    alice,
    sam,
    fiona,
    authority,
    ada,
):
    project = school_budget.project
    # Odoo books concrete on its own analytic code; the hub's MasterFormat item maps to it.
    mapping_save(
        actor=ada,
        kind="cost_code",
        system=odoo_target,
        external_value="03 30 00",
        canonical_value="03 31 13",
    )
    partner = _one(odoo_sim.records("res.partner", ["id", "ref"], [("ref", "=", "V-1002")]))
    vendor = vendor_upsert(
        code="V-1002",
        name="Elbe Readymix Beton GmbH",
        status=VendorStatus.APPROVED,
        insurance_expiry=date(2030, 1, 1),
        external_ref=str(partner["id"]),
    )
    budget_line = school_budget.line("P1", "03 31 13")

    # 1. Requisition → approval → PO issued; the outbound row is in the ledger.
    requisition = requisition_create(
        project=project,
        requested_by=rob,
        title="Ready-mix for the ground beams",
        vendor=vendor,
        lines=[
            {
                "budget_line": budget_line,
                "product_code": "CON-C3037",
                "description": "Ready-mix C30/37",
                "quantity": "200",
                "unit": "m3",
                "unit_price": "118.00",
            }
        ],
    )
    requisition_submit(requisition=requisition, actor=rob)
    approval_decide(
        request_id=pending_request(requisition).id, actor=alice, decision=Decision.APPROVE
    )
    po = Commitment.objects.get(requisition=requisition)
    assert po.status == "issued"
    outbound = Transaction.objects.get(direction="outbound", domain="commitment")
    assert outbound.subject_id == po.number and outbound.status == "pending"

    drain()
    outbound.refresh_from_db()
    assert outbound.status == "delivered"
    odoo_po = _one(
        odoo_sim.records(
            "purchase.order",
            ["name", "origin", "state", "partner_id", "amount_untaxed", "order_line"],
            [("origin", "=", po.number)],
        )
    )
    assert odoo_po["state"] == "purchase"
    assert odoo_po["partner_id"][0] == partner["id"]
    assert D(str(odoo_po["amount_untaxed"])) == po.total_amount == D("23600.00")
    odoo_line = _one(
        odoo_sim.records(
            "purchase.order.line",
            ["product_qty", "price_unit", "analytic_distribution", "product_id"],
            [("order_id", "=", odoo_po["id"])],
        )
    )
    assert D(str(odoo_line["product_qty"])) == D("200")
    assert D(str(odoo_line["price_unit"])) == D("118")
    project_account = _one(
        odoo_sim.records("account.analytic.account", ["id"], [("code", "=", "SCH-001")])
    )
    cost_account = _one(
        odoo_sim.records("account.analytic.account", ["id"], [("code", "=", "03 30 00")])
    )
    (key,) = odoo_line["analytic_distribution"]
    assert {int(i) for i in key.split(",")} == {project_account["id"], cost_account["id"]}

    # 2. Odoo's confirmation comes back: the hub knows the PO's name and line ids.
    _pull(odoo_target, make_inbound, "commitment", lambda r: r["number"] == po.number)
    drain()
    po.refresh_from_db()
    assert po.external_ref == odoo_po["name"]
    line = po.lines.get()
    assert line.external_ref == str(odoo_line["id"])

    # 3. Site receipt (not by the PO's approver) → validated in Odoo, partially.
    receipt_record(commitment=po, received_by=sam, lines=[{"line": line, "quantity": "120"}])
    drain()
    assert Transaction.objects.get(direction="outbound", domain="receipt").status == "delivered"
    received = _one(
        odoo_sim.records("purchase.order.line", ["qty_received"], [("id", "=", odoo_line["id"])])
    )
    assert D(str(received["qty_received"])) == D("120")

    # 4. The vendor bill is entered in Odoo against the PO line, pulled, and matched here.
    bill_id = odoo_sim.call(
        "account.move",
        "create",
        [
            {
                "move_type": "in_invoice",
                "partner_id": partner["id"],
                "ref": "ELB-7001",
                "invoice_date": "2026-02-10",
                "invoice_origin": odoo_po["name"],
                "invoice_line_ids": [
                    [
                        0,
                        0,
                        {
                            "product_id": odoo_line["product_id"][0],
                            "name": "Ready-mix C30/37",
                            "quantity": 120,
                            "price_unit": 118.0,
                            "purchase_line_id": odoo_line["id"],
                        },
                    ]
                ],
            }
        ],
    )
    bill_id = bill_id[0] if isinstance(bill_id, list) else bill_id
    (inbound_bill,) = _pull(
        odoo_target, make_inbound, "invoice", lambda r: r["number"] == "ELB-7001"
    )
    drain()
    inbound_bill.refresh_from_db()
    assert inbound_bill.status == "delivered", inbound_bill.last_error_message
    invoice = Invoice.objects.get(number="ELB-7001")
    assert invoice.match_status == "matched" and invoice.commitment == po
    assert invoice.subtotal == D("14160.00")
    assert invoice.tax_amount > 0  # Odoo's purchase tax on the product comes with the bill
    # The match result went back to Odoo (released), as a child of the inbound bill.
    result = Transaction.objects.get(
        direction="outbound", domain="invoice", operation="match_result"
    )
    assert result.parent_id == inbound_bill.pk and result.status == "delivered"
    odoo_bill = _one(
        odoo_sim.records(
            "account.move",
            ["state", "release_to_pay_manual", "amount_untaxed", "amount_total", "ref"],
            [("id", "=", bill_id)],
        )
    )
    assert odoo_bill["release_to_pay_manual"] == "yes"
    assert odoo_bill["state"] == "draft"  # nothing is posted before the accounting gate
    assert D(str(odoo_bill["amount_untaxed"])) == invoice.subtotal
    assert D(str(odoo_bill["amount_total"])) == invoice.payable_amount

    # 5. The accounting approver opens the gate: the bill is posted in Odoo.
    approval_decide(
        request_id=pending_request(invoice, DocumentType.POSTING).id,
        actor=fiona,
        decision=Decision.APPROVE,
    )
    drain()
    assert _one(odoo_sim.records("account.move", ["state"], [("id", "=", bill_id)]))["state"] == (
        "posted"
    )

    # 6. Odoo pays the bill; the payment is pulled and allocated to it here.
    wizard = odoo_sim.call(
        "account.payment.register",
        "create",
        [{"payment_date": "2026-03-05"}],
        context={"active_model": "account.move", "active_ids": [bill_id]},
    )
    wizard = wizard[0] if isinstance(wizard, list) else wizard
    odoo_sim.call("account.payment.register", "action_create_payments", [wizard])
    _pull(odoo_target, make_inbound, "payment", lambda r: "ELB-7001" in (r.get("reference") or ""))
    drain()
    payment = Payment.objects.get(source="odoo")
    invoice.refresh_from_db()
    assert payment.amount == invoice.payable_amount and payment.unallocated_amount == D("0.00")
    assert invoice.status == "paid" and invoice.paid_amount == invoice.payable_amount
    odoo_payment = _one(
        odoo_sim.records(
            "account.payment", ["amount", "partner_id"], [("id", "=", int(payment.external_ref))]
        )
    )
    assert D(str(odoo_payment["amount"])) == payment.amount
    assert odoo_payment["partner_id"][0] == partner["id"]

    # The budget figures followed every fact.
    budget_line.refresh_from_db()
    assert budget_line.committed == D("23600.00")
    assert budget_line.actual == D("14160.00")
    assert budget_line.invoiced == D("14160.00")


def test_a_change_order_queued_behind_the_pos_creation_changes_its_line_not_adds_one(
    odoo_sim, odoo_target, drain, school_budget, rob, alice, authority, ada
):
    """The change is approved before the worker delivered the PO: its payload cannot carry
    Odoo's line id yet, so it names the line's position, and the PO keeps one line."""
    from apps.procurement.services import (
        change_order_create,
        change_order_submit,
        commitment_create,
        commitment_submit,
    )

    mapping_save(
        actor=ada,
        kind="cost_code",
        system=odoo_target,
        external_value="03 30 00",
        canonical_value="03 31 13",
    )

    partner = _one(odoo_sim.records("res.partner", ["id"], [("ref", "=", "V-1002")]))
    vendor = vendor_upsert(
        code="V-1002",
        name="Elbe Readymix Beton GmbH",
        status=VendorStatus.APPROVED,
        insurance_expiry=date(2030, 1, 1),
        external_ref=str(partner["id"]),
    )
    po = commitment_create(
        project=school_budget.project,
        vendor=vendor,
        kind="purchase_order",
        title="Ready-mix",
        lines=[
            {
                "budget_line": school_budget.line("P1", "03 31 13"),
                "product_code": "CON-C3037",
                "quantity": "100",
                "unit_price": "118",
            }
        ],
        created_by=rob,
    )
    commitment_submit(commitment=po, actor=rob)
    approval_decide(request_id=pending_request(po).id, actor=alice, decision=Decision.APPROVE)
    po.refresh_from_db()
    line = po.lines.get()
    change = change_order_create(
        project=school_budget.project,
        kind="subcontract",
        commitment=po,
        title="More concrete",
        lines=[{"commitment_line": line.id, "quantity_delta": "50"}],
        created_by=rob,
    )
    change_order_submit(change_order=change, actor=rob)
    approval_decide(request_id=pending_request(change).id, actor=alice, decision=Decision.APPROVE)
    applied = Transaction.objects.get(direction="outbound", domain="change_order")
    assert "purchase_line_id" not in applied.payload["lines"][0]
    assert applied.payload["lines"][0]["line_no"] == 1

    drain()
    # the change waited its turn behind the create (a second later); that second has passed
    Transaction.objects.filter(pk=applied.pk).update(next_attempt_at=timezone.now())
    drain()
    applied.refresh_from_db()
    assert applied.status == "delivered", applied.last_error_message
    [order] = odoo_sim.records(
        "purchase.order", ["order_line", "name"], [("origin", "=", po.number)]
    )
    assert len(order["order_line"]) == 1
    odoo_line = _one(
        odoo_sim.records(
            "purchase.order.line", ["product_qty"], [("id", "=", order["order_line"][0])]
        )
    )
    assert D(str(odoo_line["product_qty"])) == D("150")
    # the create's answer taught the hub Odoo's PO name and line id, without a pull
    line.refresh_from_db()
    po.refresh_from_db()
    assert line.external_ref == str(order["order_line"][0])
    assert po.external_ref == order["name"]

    # a second change that adds a line is added in Odoo, and its id is kept as well
    more = change_order_create(
        project=school_budget.project,
        kind="subcontract",
        commitment=po,
        title="Pump hire",
        lines=[
            {
                "budget_line": school_budget.line("P1", "03 31 13"),
                "description": "Concrete pump",
                "quantity_delta": "2",
                "unit_price": "900",
            }
        ],
        created_by=rob,
    )
    change_order_submit(change_order=more, actor=rob)
    approval_decide(request_id=pending_request(more).id, actor=alice, decision=Decision.APPROVE)
    drain()
    [order] = odoo_sim.records("purchase.order", ["order_line"], [("origin", "=", po.number)])
    assert len(order["order_line"]) == 2
    assert sorted(po.lines.values_list("external_ref", flat=True)) == sorted(
        str(i) for i in order["order_line"]
    )


def test_change_orders_reach_odoo_as_po_change_and_budget_revision(
    odoo_sim, odoo_target, make_inbound, drain, school_budget, rob, alice, dora, authority, ada
):
    from apps.procurement.services import (
        change_order_create,
        change_order_submit,
        commitment_create,
        commitment_submit,
    )

    mapping_save(
        actor=ada,
        kind="cost_code",
        system=odoo_target,
        external_value="03 30 00",
        canonical_value="03 31 13",
    )
    partner = _one(odoo_sim.records("res.partner", ["id"], [("ref", "=", "V-1002")]))
    vendor = vendor_upsert(
        code="V-1002",
        name="Elbe Readymix Beton GmbH",
        status=VendorStatus.APPROVED,
        insurance_expiry=date(2030, 1, 1),
        external_ref=str(partner["id"]),
    )
    concrete = school_budget.line("P1", "03 31 13")
    po = commitment_create(
        project=school_budget.project,
        vendor=vendor,
        kind="purchase_order",
        title="Ready-mix",
        lines=[
            {
                "budget_line": concrete,
                "product_code": "CON-C3037",
                "quantity": "100",
                "unit_price": "118",
            }
        ],
        created_by=rob,
    )
    commitment_submit(commitment=po, actor=rob)
    approval_decide(request_id=pending_request(po).id, actor=alice, decision=Decision.APPROVE)
    po.refresh_from_db()
    drain()
    _pull(odoo_target, make_inbound, "commitment", lambda r: r["number"] == po.number)
    drain()
    line = po.lines.get()
    line.refresh_from_db()
    assert line.external_ref

    # A commitment change order: +50 m3 on the line → the Odoo PO line changes, no new line.
    change = change_order_create(
        project=school_budget.project,
        kind="subcontract",
        commitment=po,
        title="More concrete",
        lines=[{"commitment_line": line.id, "quantity_delta": "50"}],
        created_by=rob,
    )
    change_order_submit(change_order=change, actor=rob)
    approval_decide(request_id=pending_request(change).id, actor=alice, decision=Decision.APPROVE)
    drain()
    applied = Transaction.objects.get(direction="outbound", domain="change_order")
    assert applied.status == "delivered", applied.last_error_message
    odoo_line = _one(
        odoo_sim.records(
            "purchase.order.line", ["product_qty"], [("id", "=", int(line.external_ref))]
        )
    )
    assert D(str(odoo_line["product_qty"])) == D("150")

    # An owner change order revises the Odoo budget of that cost code (sum over phases).
    owner = change_order_create(
        project=school_budget.project,
        kind="owner",
        title="Deeper foundations",
        lines=[{"budget_line": concrete, "amount_delta": "10000"}],
        created_by=rob,
    )
    change_order_submit(change_order=owner, actor=rob)
    approval_decide(request_id=pending_request(owner).id, actor=alice, decision=Decision.APPROVE)
    drain()
    revise = Transaction.objects.get(direction="outbound", domain="budget_line")
    assert revise.status == "delivered", revise.last_error_message
    cost_account = _one(
        odoo_sim.records("account.analytic.account", ["id"], [("code", "=", "03 30 00")])
    )
    budget = _one(
        odoo_sim.records("budget.analytic", ["id"], [("name", "=", "SCH-001 Construction budget")])
    )

    def books_on_cost_account(row) -> bool:
        # Odoo keeps one column per extra analytic plan (x_plan<n>_id).
        return any(
            key.startswith("x_plan") and value and value[0] == cost_account["id"]
            for key, value in row.items()
        )

    lines = odoo_sim.records("budget.line", None, [("budget_analytic_id", "=", budget["id"])])
    amounts = [D(str(row["budget_amount"])) for row in lines if books_on_cost_account(row)]
    # 200,000 + 10,000 (P1) + 150,000 (P2) for 03 31 13, which Odoo calls 03 30 00.
    assert D("360000") in amounts
