"""sale.order in the Odoo simulator: quotations, confirmation, cancellation, lines and totals,
multi-company, as Odoo 17's addons/sale behaves over its external API."""

from __future__ import annotations

import xmlrpc.client

import pytest


@pytest.fixture
def customer(odoo_rpc) -> int:
    return odoo_rpc.ok(
        "res.partner",
        "create",
        [{"name": "Northbridge Construction GmbH (buyer)", "ref": "NB-DE", "customer_rank": 1}],
    )


@pytest.fixture
def products(odoo_rpc) -> dict[str, int]:
    rows = odoo_rpc.ok(
        "product.product",
        "search_read",
        [[["default_code", "in", ["CRN-HIRE-50T", "FRM-PANEL-HIRE"]]]],
        {"fields": ["default_code"]},
    )
    return {row["default_code"]: row["id"] for row in rows}


@pytest.fixture
def sales_vat(odoo_rpc) -> int:
    return odoo_rpc.ok("account.tax", "search", [[["name", "=", "19% Sales VAT"]]])[0]


def _order(odoo_rpc, customer, products, sales_vat, **extra) -> int:
    return odoo_rpc.ok(
        "sale.order",
        "create",
        [
            {
                "partner_id": customer,
                "client_order_ref": "PO-HOS-0042",
                "origin": "Intercompany NB-DE PO-HOS-0042",
                "order_line": [
                    [
                        0,
                        0,
                        {
                            "product_id": products["CRN-HIRE-50T"],
                            "name": "Mobile crane, 10 hours",
                            "product_uom_qty": 10,
                            "price_unit": 145.0,
                            "tax_id": [[6, 0, [sales_vat]]],
                        },
                    ],
                    [
                        0,
                        0,
                        {
                            "product_id": products["FRM-PANEL-HIRE"],
                            "product_uom_qty": 20,
                            "price_unit": 42.5,
                            "discount": 10,
                        },
                    ],
                ],
                **extra,
            }
        ],
    )


def _read(odoo_rpc, model, ids, fields):
    return odoo_rpc.ok(model, "read", [ids if isinstance(ids, list) else [ids], fields])


def test_create_with_lines_numbers_the_quotation_and_computes_totals(
    odoo_rpc, customer, products, sales_vat
):
    order_id = _order(odoo_rpc, customer, products, sales_vat)
    [order] = _read(
        odoo_rpc,
        "sale.order",
        order_id,
        ["name", "state", "amount_untaxed", "amount_tax", "amount_total", "currency_id",
         "company_id", "order_line", "partner_invoice_id", "invoice_status"],
    )  # fmt: skip
    assert order["name"] == "S00001"
    assert order["state"] == "draft"
    # 10 × 145 = 1450 (19 % VAT: 275.50) + 20 × 42.50 − 10 % = 765 (no tax)
    assert order["amount_untaxed"] == 2215.0
    assert order["amount_tax"] == 275.5
    assert order["amount_total"] == 2490.5
    assert order["currency_id"][1] == "EUR"
    assert order["company_id"][0] == 1
    assert order["partner_invoice_id"][0] == customer
    assert order["invoice_status"] == "no"
    lines = _read(
        odoo_rpc,
        "sale.order.line",
        order["order_line"],
        ["name", "product_uom_qty", "product_uom", "price_subtotal", "price_tax", "price_total",
         "qty_delivered", "qty_invoiced", "state"],
    )  # fmt: skip
    assert [line["price_subtotal"] for line in lines] == [1450.0, 765.0]
    assert [line["price_total"] for line in lines] == [1725.5, 765.0]
    assert lines[1]["name"] == "[FRM-PANEL-HIRE] Formwork panel system (hire)"  # from the product
    assert lines[1]["product_uom"][1] == "Days"
    assert {line["qty_invoiced"] for line in lines} == {0.0}
    assert {line["state"] for line in lines} == {"draft"}
    second = _order(odoo_rpc, customer, products, sales_vat, client_order_ref="PO-HOS-0043")
    assert _read(odoo_rpc, "sale.order", second, ["name"])[0]["name"] == "S00002"


def test_confirm_then_confirming_again_is_a_user_error(odoo_rpc, customer, products, sales_vat):
    order_id = _order(odoo_rpc, customer, products, sales_vat)
    assert odoo_rpc.ok("sale.order", "action_confirm", [[order_id]]) is True
    [order] = _read(odoo_rpc, "sale.order", order_id, ["state", "invoice_status"])
    assert order == {"id": order_id, "state": "sale", "invoice_status": "to invoice"}
    error = odoo_rpc.error("sale.order", "action_confirm", [[order_id]])
    assert error["data"]["name"] == "odoo.exceptions.UserError"
    assert "not in a state requiring confirmation" in error["data"]["message"]


def test_an_accountable_line_needs_a_product_like_odoos_sql_constraint(odoo_rpc, customer):
    error = odoo_rpc.error(
        "sale.order",
        "create",
        [
            {
                "partner_id": customer,
                "order_line": [[0, 0, {"name": "Site management", "price_unit": 100.0}]],
            }
        ],
    )
    assert "Missing required fields on accountable sale order line" in error["data"]["message"]
    # a section line carries no product
    order_id = odoo_rpc.ok(
        "sale.order",
        "create",
        [
            {
                "partner_id": customer,
                "order_line": [[0, 0, {"name": "Phase 1", "display_type": "line_section"}]],
            }
        ],
    )
    assert _read(odoo_rpc, "sale.order", order_id, ["amount_total"])[0]["amount_total"] == 0.0


def test_cancel_of_a_confirmed_order_asks_through_the_wizard_unless_told_not_to(
    odoo_rpc, customer, products, sales_vat
):
    order_id = _order(odoo_rpc, customer, products, sales_vat)
    odoo_rpc.ok("sale.order", "action_confirm", [[order_id]])
    action = odoo_rpc.ok("sale.order", "action_cancel", [[order_id]])
    assert action["res_model"] == "sale.order.cancel"
    assert _read(odoo_rpc, "sale.order", order_id, ["state"])[0]["state"] == "sale"

    odoo_rpc.ok("sale.order", "action_lock", [[order_id]])
    error = odoo_rpc.error(
        "sale.order", "action_cancel", [[order_id]], {"context": {"disable_cancel_warning": True}}
    )
    assert "You cannot cancel a locked order" in error["data"]["message"]
    odoo_rpc.ok("sale.order", "action_unlock", [[order_id]])

    assert (
        odoo_rpc.ok(
            "sale.order",
            "action_cancel",
            [[order_id]],
            {"context": {"disable_cancel_warning": True}},
        )
        is True
    )
    assert _read(odoo_rpc, "sale.order", order_id, ["state"])[0]["state"] == "cancel"
    error = odoo_rpc.error("sale.order", "action_confirm", [[order_id]])
    assert "not in a state requiring confirmation" in error["data"]["message"]
    odoo_rpc.ok("sale.order", "action_draft", [[order_id]])
    assert _read(odoo_rpc, "sale.order", order_id, ["state"])[0]["state"] == "draft"


def test_a_draft_quotation_is_cancelled_without_the_wizard(odoo_rpc, customer, products, sales_vat):
    order_id = _order(odoo_rpc, customer, products, sales_vat)
    assert odoo_rpc.ok("sale.order", "action_cancel", [[order_id]]) is True
    assert _read(odoo_rpc, "sale.order", order_id, ["state"])[0]["state"] == "cancel"


def test_confirmed_lines_cannot_be_deleted_and_locked_lines_cannot_change(
    odoo_rpc, customer, products, sales_vat
):
    order_id = _order(odoo_rpc, customer, products, sales_vat)
    odoo_rpc.ok("sale.order", "action_confirm", [[order_id]])
    [order] = _read(odoo_rpc, "sale.order", order_id, ["order_line", "write_date"])
    first, second = order["order_line"]
    error = odoo_rpc.error("sale.order", "write", [[order_id], {"order_line": [[2, second, 0]]}])
    assert "Set the quantity to 0 instead" in error["data"]["message"]
    # a confirmed, unlocked order takes new quantities and lines; its totals follow
    odoo_rpc.ok(
        "sale.order",
        "write",
        [
            [order_id],
            {
                "order_line": [
                    [1, second, {"product_uom_qty": 0}],
                    [0, 0, {"product_id": products["CRN-HIRE-50T"], "price_unit": 100.0}],
                ]
            },
        ],
    )
    [order] = _read(odoo_rpc, "sale.order", order_id, ["amount_untaxed", "order_line"])
    assert order["amount_untaxed"] == 1450.0 + 100.0
    assert len(order["order_line"]) == 3
    odoo_rpc.ok("sale.order", "action_lock", [[order_id]])
    error = odoo_rpc.error("sale.order.line", "write", [[first], {"price_unit": 1.0}])
    assert (
        "forbidden to modify the following fields in a locked order" in (error["data"]["message"])
    )
    assert "Unit Price" in error["data"]["message"]


def test_client_order_ref_search_finds_the_order(odoo_rpc, customer, products, sales_vat):
    order_id = _order(odoo_rpc, customer, products, sales_vat)
    _order(odoo_rpc, customer, products, sales_vat, client_order_ref="PO-OTHER")
    rows = odoo_rpc.ok(
        "sale.order",
        "search_read",
        [[["client_order_ref", "=", "PO-HOS-0042"]]],
        {"fields": ["name", "client_order_ref", "partner_id", "amount_total"]},
    )
    assert [row["id"] for row in rows] == [order_id]
    assert rows[0]["partner_id"][0] == customer
    assert rows[0]["amount_total"] == 2490.5


def test_an_order_of_the_second_company_takes_its_currency(odoo_rpc, customer, products, sales_vat):
    [company] = _read(odoo_rpc, "res.company", 2, ["name", "currency_id"])
    assert company["currency_id"][1] == "GBP"
    order_id = _order(odoo_rpc, customer, products, sales_vat, company_id=2)
    [order] = _read(odoo_rpc, "sale.order", order_id, ["company_id", "currency_id", "order_line"])
    assert order["company_id"] == [2, company["name"]]
    assert order["currency_id"][1] == "GBP"
    lines = _read(odoo_rpc, "sale.order.line", order["order_line"], ["company_id"])
    assert {line["company_id"][0] for line in lines} == {2}
    found = odoo_rpc.ok(
        "sale.order",
        "search",
        [[["company_id", "=", 2], ["client_order_ref", "=", "PO-HOS-0042"]]],
    )
    assert found == [order_id]
    # allowed_company_ids picks the default company and fences creates, as Odoo's rules do
    in_context = odoo_rpc.ok(
        "sale.order",
        "create",
        [{"partner_id": customer}],
        {"context": {"allowed_company_ids": [2, 1]}},
    )
    assert _read(odoo_rpc, "sale.order", in_context, ["company_id"])[0]["company_id"][0] == 2
    error = odoo_rpc.error(
        "sale.order",
        "create",
        [{"partner_id": customer, "company_id": 2}],
        {"context": {"allowed_company_ids": [1]}},
    )
    assert error["data"]["name"] == "odoo.exceptions.AccessError"


def test_users_without_a_sales_group_may_read_but_not_create(odoo_rpc, customer):
    assert odoo_rpc.ok("sale.order", "search", [[]], user="readonly") == []
    error = odoo_rpc.error("sale.order", "create", [{"partner_id": customer}], user="buyer")
    assert error["data"]["name"] == "odoo.exceptions.AccessError"
    assert "Sales / User" in error["data"]["message"]


def test_plain_xmlrpc_client_creates_and_confirms_a_sale_order(odoo_sim):
    common = xmlrpc.client.ServerProxy(f"{odoo_sim.url}/xmlrpc/2/common")
    uid = common.authenticate(odoo_sim.db, "admin", "admin", {})
    models = xmlrpc.client.ServerProxy(f"{odoo_sim.url}/xmlrpc/2/object")

    def execute(model, method, *args, **kwargs):
        return models.execute_kw(odoo_sim.db, uid, "admin", model, method, list(args), kwargs)

    partner_id = execute("res.partner", "create", {"name": "XML-RPC Customer Ltd"})
    [product_id] = execute("product.product", "search", [["default_code", "=", "EXC-FILL-M3"]])
    order_id = execute(
        "sale.order",
        "create",
        {
            "partner_id": partner_id,
            "client_order_ref": "XML-1",
            "order_line": [(0, 0, {"product_id": product_id, "product_uom_qty": 100.0})],
        },
    )
    assert execute("sale.order", "action_confirm", [order_id]) is True
    [order] = execute(
        "sale.order", "read", [order_id], fields=["name", "state", "amount_total", "order_line"]
    )
    assert order["state"] == "sale"
    assert order["name"].startswith("S")
    # list_price of the product (9.80 × 1.25 = 12.25) × 100
    assert order["amount_total"] == 1225.0
    with pytest.raises(xmlrpc.client.Fault) as caught:
        execute("sale.order", "unlink", [order_id])
    assert "cancel it" in caught.value.faultString
