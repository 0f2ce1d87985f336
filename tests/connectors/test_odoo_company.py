"""The Odoo connector books a new record in the payload's company (company_id, the hub entity's
Odoo company) against the Odoo simulator over loopback; a bad company id is a permanent error."""

from __future__ import annotations

import pytest

from apps.connectors.errors import PermanentError
from apps.connectors.registry import connector_for

pytestmark = pytest.mark.django_db

UK = [2, "Northbridge Construction Ltd"]


@pytest.fixture
def connector(odoo_sim, odoo_system_for):
    system = odoo_system_for(
        odoo_sim.url,
        credentials={"database": odoo_sim.db, "username": "admin", "password": "admin"},
    )
    built = connector_for(system)
    yield built
    built.close()


def _bill(number, **extra):
    return {
        "number": number,
        "vendor_ref": "V-1001",
        "invoice_date": "2026-03-01",
        "lines": [{"description": "Scaffold", "quantity": 1, "unit_price": "100"}],
        **extra,
    }


def test_bill_and_order_are_created_in_the_payload_company_and_read_back_as_it(odoo_sim, connector):
    connector.push(
        domain="invoice",
        operation="create",
        payload=_bill("UK-1", company_id=2),
        idempotency_key="invoice:uk-1",
    )
    connector.push(
        domain="invoice", operation="create", payload=_bill("DE-1"), idempotency_key="invoice:de-1"
    )
    connector.push(
        domain="commitment",
        operation="create",
        payload={
            "number": "PO-UK-1",
            "vendor_ref": "V-1001",
            "company_id": "2",
            "lines": [{"description": "Hire", "quantity": "2", "unit_price": "50"}],
        },
        idempotency_key="commitment:po-uk-1",
    )
    (uk_bill,) = odoo_sim.records("account.move", ["company_id"], [("ref", "=", "UK-1")])
    (de_bill,) = odoo_sim.records("account.move", ["company_id"], [("ref", "=", "DE-1")])
    (order,) = odoo_sim.records("purchase.order", ["company_id"], [("origin", "=", "PO-UK-1")])
    assert uk_bill["company_id"] == UK
    assert de_bill["company_id"][0] == 1  # no company_id: the user's current company
    assert order["company_id"] == UK
    # The connector's pull reads the bill back like any other.
    pulled = [r for r in connector.pull(domain="invoice", limit=200).records]
    assert "UK-1" in {r["number"] for r in pulled}


def test_a_company_id_that_is_not_an_odoo_id_is_refused_before_any_write(odoo_sim, connector):
    with pytest.raises(PermanentError) as refused:
        connector.push(
            domain="invoice",
            operation="create",
            payload=_bill("BAD-1", company_id="nb-uk"),
            idempotency_key="invoice:bad-1",
        )
    assert refused.value.code == "invalid_payload"
    assert "company_id" in refused.value.message
    assert odoo_sim.records("account.move", ["id"], [("ref", "=", "BAD-1")]) == []
