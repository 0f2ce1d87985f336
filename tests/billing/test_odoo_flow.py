"""A pay application with retention and an owner change order, approved by a second person,
reaches the Odoo simulator as a posted customer invoice; payments flow back."""

from datetime import date
from decimal import Decimal

import pytest

from apps.approvals.choices import Decision
from apps.approvals.services import approval_decide
from apps.billing.models import PayApplication
from apps.billing.services import (
    pay_application_create,
    pay_application_submit,
    pay_applications_refresh_from_odoo,
)
from apps.connectors.registry import connector_for
from apps.core.errors import ApplicationError
from apps.ledger.models import Transaction
from apps.procurement.services import change_order_create, change_order_submit
from apps.sync.services import mapping_save
from tests.plugins.procurement import pending_request

D = Decimal
pytestmark = pytest.mark.django_db


def _one(rows):
    assert len(rows) == 1, rows
    return rows[0]


def _pull_invoice(odoo_target, make_inbound, number):
    connector = connector_for(odoo_target)
    page = connector.pull(domain="customer_invoice")
    connector.close()
    records = [r for r in page.records if r["number"] == number]
    return [
        make_inbound(
            odoo_target,
            "customer_invoice",
            record,
            key=record["idempotency_key"],
            external_id=str(record["external_id"]),
            trigger="poll",
        )
        for record in records
    ]


def test_pay_application_reaches_odoo_as_customer_invoice_and_payment_flows_back(
    odoo_sim,
    odoo_target,
    make_inbound,
    drain,
    school_budget,
    owner_contract,
    schedule_update,
    billing_authority,
    authority,
    rob,
    alice,
    fiona,
    ada,
):
    mapping_save(
        actor=ada,
        kind="cost_code",
        system=odoo_target,
        external_value="03 30 00",
        canonical_value="03 31 13",
    )
    # An approved owner change order (+10,000 on concrete) is billed with the period.
    change_order = change_order_create(
        project=school_budget.project,
        kind="owner",
        title="Deeper foundations",
        lines=[{"budget_line": school_budget.line("P1", "03 31 13"), "amount_delta": "10000"}],
        created_by=rob,
    )
    change_order_submit(change_order=change_order, actor=rob)
    approval_decide(
        request_id=pending_request(change_order).id, actor=alice, decision=Decision.APPROVE
    )
    drain()  # the budget revision goes to Odoo first; not what this test is about
    schedule_update({"A1000": "50", "A2000": "25"})

    app = pay_application_create(
        contract=owner_contract,
        actor=fiona,
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
        progress_source="schedule",
    )
    assert [line.to_date_value for line in app.lines.all()] == [
        D("300000.00"),
        D("100000.00"),
        D("10000.00"),
    ]
    assert app.change_orders_to_date == D("10000.00")
    assert app.contract_sum_to_date == D("1010000.00")
    assert app.completed_this_period == D("410000.00")
    assert app.retention_this_period == D("41000.00")
    assert app.amount_due == D("369000.00")

    pay_application_submit(pay_application=app, actor=fiona)
    request = pending_request(app)
    # The preparer cannot approve her own pay application: a second person decides.
    with pytest.raises(ApplicationError):
        approval_decide(request_id=request.id, actor=fiona, decision=Decision.APPROVE)
    assert not Transaction.objects.filter(domain="customer_invoice").exists()
    approval_decide(request_id=request.id, actor=alice, decision=Decision.APPROVE)
    app.refresh_from_db()
    assert app.status == "approved" and app.approved_by == alice

    drain()
    outbound = Transaction.objects.get(direction="outbound", domain="customer_invoice")
    assert outbound.status == "delivered", outbound.last_error_message
    move = _one(
        odoo_sim.records(
            "account.move",
            ["move_type", "ref", "state", "partner_id", "amount_total", "invoice_line_ids"],
            [("ref", "=", app.number)],
        )
    )
    assert move["move_type"] == "out_invoice"
    assert move["state"] == "posted"
    assert D(str(move["amount_total"])) == D("369000")
    customer = _one(
        odoo_sim.records("res.partner", ["id", "name", "customer_rank"], [("ref", "=", "C-REA")])
    )
    assert move["partner_id"][0] == customer["id"]
    assert customer["name"] == "Riverside Education Authority"
    lines = odoo_sim.records(
        "account.move.line",
        ["price_unit", "name", "display_type"],
        [("move_id", "=", move["id"])],
    )
    prices = sorted(
        D(str(line["price_unit"]))
        for line in lines
        if line.get("display_type") in (None, False, "product")
    )
    assert prices == [D("-41000"), D("10000"), D("100000"), D("300000")]
    assert outbound.external_id == str(move["id"])

    # Odoo's posted state comes back with the pulled invoice.
    _pull_invoice(odoo_target, make_inbound, app.number)
    drain()
    app.refresh_from_db()
    assert app.status == "invoiced" and app.external_ref == str(move["id"])
    assert app.odoo_state == "posted" and app.paid_amount == D("0.00")

    # A part payment, then the rest: each flows back to the pay application.
    def pay(amount: str) -> None:
        wizard = odoo_sim.call(
            "account.payment.register",
            "create",
            [{"payment_date": "2026-04-20", "amount": float(amount)}],
            context={"active_model": "account.move", "active_ids": [move["id"]]},
        )
        wizard = wizard[0] if isinstance(wizard, list) else wizard
        odoo_sim.call("account.payment.register", "action_create_payments", [wizard])

    pay("100000")
    _pull_invoice(odoo_target, make_inbound, app.number)
    drain()
    app.refresh_from_db()
    assert app.status == "partially_paid" and app.paid_amount == D("100000.00")

    pay("269000")
    # The scheduled refresh pulls the unpaid pay applications' invoices (no test helper).
    assert pay_applications_refresh_from_odoo() == 1
    assert pay_applications_refresh_from_odoo() == 0  # same Odoo version: recorded once
    drain()
    app.refresh_from_db()
    assert app.status == "paid" and app.paid_amount == D("369000.00")
    assert app.payment_state in ("paid", "in_payment")
    assert PayApplication.objects.count() == 1
