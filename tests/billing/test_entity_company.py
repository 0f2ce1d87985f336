"""An entity's documents carry its Odoo company (issue #13): the budget revision of an owner
change order and the customer invoice of a pay application reach the Odoo simulator with the
entity's company_id (and its own mappings); the new invoice reads back in that company."""

from datetime import date

import pytest

from apps.approvals.choices import Decision
from apps.approvals.services import approval_decide
from apps.billing.services import pay_application_create, pay_application_submit
from apps.entities.models import Entity
from apps.ledger.models import Transaction
from apps.procurement.services import change_order_create, change_order_submit
from apps.sync.services import mapping_save
from tests.plugins.procurement import pending_request

pytestmark = pytest.mark.django_db

UK = [2, "Northbridge Construction Ltd"]


def test_budget_revision_and_customer_invoice_are_booked_in_the_entitys_odoo_company(
    odoo_sim,
    odoo_target,
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
    entity = Entity.objects.create(
        code="nb-uk",
        name="Northbridge Construction Ltd",
        odoo_system=odoo_target,
        odoo_company_id=2,
    )
    school = school_budget.project
    school.entity = entity
    school.save(update_fields=["entity"])
    # The entity's own translation of the concrete cost code (no group mapping exists).
    mapping_save(
        actor=ada,
        kind="cost_code",
        system=odoo_target,
        external_value="03 30 00",
        canonical_value="03 31 13",
        entity=entity,
    )
    change_order = change_order_create(
        project=school,
        kind="owner",
        title="Deeper foundations",
        lines=[{"budget_line": school_budget.line("P1", "03 31 13"), "amount_delta": "10000"}],
        created_by=rob,
    )
    change_order_submit(change_order=change_order, actor=rob)
    approval_decide(
        request_id=pending_request(change_order).id, actor=alice, decision=Decision.APPROVE
    )
    drain()
    revision = Transaction.objects.get(direction="outbound", domain="budget_line")
    assert revision.status == "delivered", revision.last_error_message
    assert revision.payload["company_id"] == 2
    assert revision.payload["cost_code"] == "03 30 00"  # the entity's mapping
    # The seed's SCH-001 budget already exists (company 1): a revision updates its line and
    # never moves it between companies (company_id is written on create only).
    (budget,) = odoo_sim.records(
        "budget.analytic", ["company_id"], [("name", "=", "SCH-001 Construction budget")]
    )
    assert budget["company_id"][0] == 1

    schedule_update({"A1000": "50", "A2000": "25"})
    app = pay_application_create(
        contract=owner_contract,
        actor=fiona,
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
        progress_source="schedule",
    )
    pay_application_submit(pay_application=app, actor=fiona)
    approval_decide(request_id=pending_request(app).id, actor=alice, decision=Decision.APPROVE)
    drain()
    outbound = Transaction.objects.get(direction="outbound", domain="customer_invoice")
    assert outbound.status == "delivered", outbound.last_error_message
    assert outbound.payload["company_id"] == 2
    (move,) = odoo_sim.records(
        "account.move", ["company_id", "state", "move_type"], [("ref", "=", app.number)]
    )
    assert (move["move_type"], move["state"], move["company_id"]) == ("out_invoice", "posted", UK)
