"""Third-party clients work against the simulator unchanged: OdooRPC and xmlrpc.client."""

from __future__ import annotations

import xmlrpc.client
from urllib.parse import urlparse

import odoorpc
import pytest


@pytest.fixture
def odoo(odoo_sim):
    port = urlparse(odoo_sim.url).port
    client = odoorpc.ODOO("127.0.0.1", port=port, timeout=10)
    client.login(odoo_sim.db, odoo_sim.username, odoo_sim.password)
    return client


def test_odoorpc_login_read_create_and_write(odoo, odoo_sim):
    assert odoo.version == "19.0"
    assert odoo.env.uid == odoo_sim.uid
    Partner = odoo.env["res.partner"]
    vendor_ids = Partner.search([("supplier_rank", ">", 0)])
    assert len(vendor_ids) == 6
    vendor = Partner.browse(vendor_ids[0])
    assert vendor.name == "Atlas Crane & Plant Hire Ltd"
    assert vendor.country_id.code == "GB"

    new_id = Partner.create({"name": "Odoorpc Vendor GmbH", "is_company": True, "ref": "V-9001"})
    created = Partner.browse(new_id)
    created.write({"vat": "DE999999999"})
    assert Partner.browse(new_id).vat == "DE999999999"  # browse again: odoorpc caches reads
    created.name = "Renamed Vendor GmbH"  # odoorpc writes on attribute assignment

    stored = odoo_sim.records("res.partner", ["name", "vat", "ref"], [["id", "=", new_id]])
    assert stored == [
        {"id": new_id, "name": "Renamed Vendor GmbH", "vat": "DE999999999", "ref": "V-9001"}
    ]
    assert odoo_sim.stats()["created"]["res.partner"] == 1


def test_odoorpc_reports_server_errors_with_the_odoo_message(odoo):
    with pytest.raises(odoorpc.error.RPCError) as caught:
        odoo.env["purchase.order"].browse(1).button_confirm()
        odoo.env["purchase.order"].browse(1).button_cancel()
        odoo.env["purchase.order"].browse(1).button_confirm()
    assert "cancelled" in str(caught.value)
    assert caught.value.info["data"]["name"] == "odoo.exceptions.UserError"


def test_xmlrpc_client_follows_the_documentation_example(odoo_sim):
    common = xmlrpc.client.ServerProxy(f"{odoo_sim.url}/xmlrpc/2/common")
    assert common.version()["server_version"] == "19.0"
    uid = common.authenticate(odoo_sim.db, "admin", "admin", {})
    assert uid == odoo_sim.uid
    models = xmlrpc.client.ServerProxy(f"{odoo_sim.url}/xmlrpc/2/object")
    found = models.execute_kw(
        odoo_sim.db, uid, "admin", "res.partner", "name_search", ["rebar"], {"limit": 10}
    )
    assert [name for _id, name in found] == ["Nordic Rebar AB"]
    new_id = models.execute_kw(odoo_sim.db, uid, "admin", "res.partner", "create", [{"name": "X"}])
    models.execute_kw(odoo_sim.db, uid, "admin", "res.partner", "write", [[new_id], {"name": "Y"}])
    [row] = models.execute_kw(
        odoo_sim.db, uid, "admin", "res.partner", "read", [[new_id]], {"fields": ["name"]}
    )
    assert row == {"id": new_id, "name": "Y"}


def test_odoorpc_env_ref_db_list_and_model_presence(odoo, odoo_sim):
    company = odoo.env.ref("base.main_company")
    assert company.name == "Northbridge Construction GmbH"
    assert company.currency_id.name == "EUR"
    assert "purchase.order" in odoo.env
    assert "no.such.model" not in odoo.env
    assert odoo.db.list() == [odoo_sim.db]
    Order = odoo.env["purchase.order"]
    order = Order.browse(Order.create({"partner_id": 6, "order_line": [(0, 0, {"product_id": 1})]}))
    order.button_confirm()
    order = Order.browse(order.id)
    assert order.state == "purchase" and order.picking_ids[0].picking_type_code == "incoming"
    assert [line.product_id.default_code for line in order.order_line] == ["CON-C3037"]
    assert Order.with_context(active_test=False).search_count([]) == 4
