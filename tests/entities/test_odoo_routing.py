"""Entity routing of hub documents (issue #13): two entities on two Odoo Systems, each a live
Odoo simulator over loopback. A commitment of entity A's project reaches only A's System, booked
in A's Odoo company; a group project's commitment goes to the System no entity claims."""

from __future__ import annotations

from datetime import date

import pytest

from apps.approvals.choices import Decision
from apps.approvals.services import approval_decide
from apps.connectors.models import System
from apps.entities.models import Entity
from apps.ledger.models import Transaction
from apps.procurement.choices import VendorStatus
from apps.procurement.outbound import odoo_targets_for
from apps.procurement.services import commitment_create, commitment_submit, vendor_upsert
from apps.simulators.odoo.app import OdooSimulator
from apps.simulators.odoo.server import SimulatorServer
from apps.sync.services import mapping_save
from tests.plugins.odoo import OdooSim, wait_until_listening
from tests.plugins.procurement import pending_request

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def _second_sim_server():
    app = OdooSimulator()
    server = SimulatorServer(app, host="127.0.0.1", port=0).start()
    wait_until_listening(server.url)
    sim = OdooSim(url=server.url, app=app)
    yield sim
    sim.close()
    server.stop()


@pytest.fixture
def uk_sim(_second_sim_server) -> OdooSim:
    """A second Odoo (the UK company's ERP), reset to the seed for this test."""
    _second_sim_server.reset()
    return _second_sim_server


@pytest.fixture
def uk_odoo(uk_sim, odoo_target):
    from apps.connectors.odoo.client import odoo_clients_close

    system = System.objects.create(
        code="odoo-uk",
        name="ODOO-UK",
        kind="odoo",
        connector="odoo",
        base_url=uk_sim.url,
        credentials={
            "database": uk_sim.db,
            "username": uk_sim.username,
            "password": uk_sim.password,
        },
        options={"timeout_seconds": 2},
        rate_limit_per_minute=0,
    )
    yield system
    odoo_clients_close()


@pytest.fixture
def entity_uk_on_odoo(uk_odoo) -> Entity:
    return Entity.objects.create(
        code="nb-uk",
        name="Northbridge Construction Ltd",
        currency="EUR",
        odoo_system=uk_odoo,
        odoo_company_id=2,
    )


@pytest.fixture
def readymix(odoo_sim, uk_sim, odoo_target, uk_odoo, ada):
    """The vendor both Odoos know (ref V-1002), and the hub's concrete cost code mapped to the
    Odoo analytic code on both Systems."""
    for system in (odoo_target, uk_odoo):
        mapping_save(
            actor=ada,
            kind="cost_code",
            system=system,
            external_value="03 30 00",
            canonical_value="03 31 13",
        )
    return vendor_upsert(
        code="V-1002",
        name="Elbe Readymix Beton GmbH",
        status=VendorStatus.APPROVED,
        insurance_expiry=date(2030, 1, 1),
    )


def _issue(school_budget, vendor, rob, alice, title):
    po = commitment_create(
        project=school_budget.project,
        vendor=vendor,
        kind="purchase_order",
        title=title,
        lines=[
            {
                "budget_line": school_budget.line("P1", "03 31 13"),
                "product_code": "CON-C3037",
                "description": "Ready-mix C30/37",
                "quantity": "10",
                "unit_price": "118",
            }
        ],
        created_by=rob,
    )
    commitment_submit(commitment=po, actor=rob)
    approval_decide(request_id=pending_request(po).id, actor=alice, decision=Decision.APPROVE)
    po.refresh_from_db()
    assert po.status == "issued"
    return po


def _orders(sim, number):
    fields = ["origin", "company_id", "state"]
    return sim.records("purchase.order", fields, [("origin", "=", number)])


def test_entity_commitment_reaches_only_its_odoo_system_in_its_company(
    odoo_sim,
    uk_sim,
    odoo_target,
    uk_odoo,
    entity_uk_on_odoo,
    readymix,
    school_budget,
    rob,
    alice,
    authority,
    drain,
):
    school = school_budget.project
    school.entity = entity_uk_on_odoo
    school.save(update_fields=["entity"])

    po = _issue(school_budget, readymix, rob, alice, "Ready-mix for the UK depot")
    (outbound,) = Transaction.objects.filter(direction="outbound", domain="commitment")
    assert outbound.system_id == uk_odoo.pk
    assert outbound.payload["company_id"] == 2

    drain()
    outbound.refresh_from_db()
    assert outbound.status == "delivered", outbound.last_error
    (order,) = _orders(uk_sim, po.number)
    assert order["company_id"] == [2, "Northbridge Construction Ltd"]
    assert order["state"] == "purchase"
    assert _orders(odoo_sim, po.number) == []


def test_group_project_commitment_goes_to_the_system_no_entity_claims(
    odoo_sim,
    uk_sim,
    odoo_target,
    uk_odoo,
    entity_uk_on_odoo,
    readymix,
    school_budget,
    rob,
    alice,
    authority,
    drain,
):
    po = _issue(school_budget, readymix, rob, alice, "Ready-mix for the school")
    (outbound,) = Transaction.objects.filter(direction="outbound", domain="commitment")
    assert outbound.system_id == odoo_target.pk
    assert "company_id" not in outbound.payload

    drain()
    outbound.refresh_from_db()
    assert outbound.status == "delivered", outbound.last_error
    (order,) = _orders(odoo_sim, po.number)
    assert order["company_id"][0] == 1
    assert _orders(uk_sim, po.number) == []


def test_when_every_odoo_system_is_claimed_group_projects_go_to_all(make_system, school, entity_de):
    first = make_system("odoo-a", "odoo", "odoo")
    second = make_system("odoo-b", "odoo", "odoo")
    assert odoo_targets_for(project=school) == [first, second]  # nobody claims: group default

    entity_de.odoo_system = first
    entity_de.odoo_company_id = 1
    entity_de.save()
    assert odoo_targets_for(project=school) == [second]
    school.entity = entity_de
    school.save(update_fields=["entity"])
    assert odoo_targets_for(project=school) == [first]

    Entity.objects.create(code="nb-b", name="B", odoo_system=second, odoo_company_id=3)
    other = type(school).objects.create(code="GRP-1", name="Group HQ")
    assert odoo_targets_for(project=other) == [first, second]
    assert odoo_targets_for(project=None) == [first, second]


def test_entity_on_a_disabled_system_routes_nowhere_else(make_system, school, entity_de):
    first = make_system("odoo-a", "odoo", "odoo")
    make_system("odoo-b", "odoo", "odoo")
    entity_de.odoo_system = first
    entity_de.save()
    first.enabled = False
    first.save(update_fields=["enabled"])
    school.entity = entity_de
    school.save(update_fields=["entity"])
    assert odoo_targets_for(project=school) == []
