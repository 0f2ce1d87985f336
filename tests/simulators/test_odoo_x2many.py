"""x2many write commands 0-6 on one2many (order lines) and many2many (taxes, groups)."""

from __future__ import annotations

import pytest


@pytest.fixture
def order(odoo_rpc):
    return odoo_rpc.ok(
        "purchase.order",
        "create",
        [
            {
                "partner_id": 6,
                "order_line": [
                    [0, 0, {"product_id": 1, "product_qty": 10, "price_unit": 100}],
                    [0, 0, {"product_id": 5, "product_qty": 200, "price_unit": 14.2}],
                ],
            }
        ],
    )


def lines(odoo_rpc, order_id):
    [row] = odoo_rpc.ok("purchase.order", "read", [[order_id], ["order_line"]])
    return row["order_line"]


def test_create_command_links_new_lines_and_fills_from_product(odoo_rpc, order):
    line_ids = lines(odoo_rpc, order)
    assert len(line_ids) == 2
    first = odoo_rpc.ok(
        "purchase.order.line",
        "read",
        [line_ids[:1], ["name", "uom_id", "tax_ids", "order_id", "price_subtotal", "date_planned"]],
    )[0]
    assert first["name"] == "[CON-C3037] Ready-mix concrete C30/37"
    assert first["uom_id"][1] == "m³"
    assert first["tax_ids"] == [1]
    assert first["order_id"][0] == order
    assert first["price_subtotal"] == 1000.0
    assert first["date_planned"]


def test_update_delete_and_link_commands(odoo_rpc, order):
    first, second = lines(odoo_rpc, order)
    odoo_rpc.ok(
        "purchase.order", "write", [[order], {"order_line": [[1, first, {"product_qty": 12}]]}]
    )
    assert (
        odoo_rpc.ok("purchase.order.line", "read", [[first], ["product_qty"]])[0]["product_qty"]
        == 12
    )
    odoo_rpc.ok("purchase.order", "write", [[order], {"order_line": [[2, second, 0]]}])
    assert lines(odoo_rpc, order) == [first]
    assert odoo_rpc.ok("purchase.order.line", "search", [[["id", "=", second]]]) == []
    other = odoo_rpc.ok("purchase.order", "create", [{"partner_id": 6}])
    odoo_rpc.ok("purchase.order", "write", [[other], {"order_line": [[4, first, 0]]}])
    assert lines(odoo_rpc, other) == [first] and lines(odoo_rpc, order) == []


def test_unlink_command_on_cascade_one2many_deletes_the_line(odoo_rpc, order):
    first, second = lines(odoo_rpc, order)
    odoo_rpc.ok("purchase.order", "write", [[order], {"order_line": [[3, first, 0]]}])
    assert lines(odoo_rpc, order) == [second]
    assert odoo_rpc.ok("purchase.order.line", "search", [[["id", "=", first]]]) == []


def test_clear_and_set_commands_on_one2many(odoo_rpc, order):
    first, second = lines(odoo_rpc, order)
    odoo_rpc.ok("purchase.order", "write", [[order], {"order_line": [[6, 0, [second]]]}])
    assert lines(odoo_rpc, order) == [second]
    odoo_rpc.ok("purchase.order", "write", [[order], {"order_line": [[5, 0, 0]]}])
    assert lines(odoo_rpc, order) == []
    assert (
        odoo_rpc.ok("purchase.order", "read", [[order], ["amount_total"]])[0]["amount_total"] == 0.0
    )


def test_many2many_commands(odoo_rpc, order):
    first, _second = lines(odoo_rpc, order)

    def taxes():
        return odoo_rpc.ok("purchase.order.line", "read", [[first], ["tax_ids"]])[0]["tax_ids"]

    odoo_rpc.ok("purchase.order.line", "write", [[first], {"tax_ids": [[5, 0, 0]]}])
    assert taxes() == []
    odoo_rpc.ok("purchase.order.line", "write", [[first], {"tax_ids": [[4, 2, 0], [4, 1, 0]]}])
    assert taxes() == [2, 1]
    odoo_rpc.ok("purchase.order.line", "write", [[first], {"tax_ids": [[3, 2, 0]]}])
    assert taxes() == [1]
    odoo_rpc.ok("purchase.order.line", "write", [[first], {"tax_ids": [[6, 0, [2]]]}])
    assert taxes() == [2]
    odoo_rpc.ok(
        "purchase.order.line", "write", [[first], {"tax_ids": [1, 2]}]
    )  # a plain id list = SET
    assert taxes() == [1, 2]
    new_tax = None
    odoo_rpc.ok(
        "purchase.order.line",
        "write",
        [
            [first],
            {"tax_ids": [[0, 0, {"name": "7% VAT", "amount": 7, "type_tax_use": "purchase"}]]},
        ],
    )
    new_tax = taxes()[-1]
    assert odoo_rpc.ok("account.tax", "read", [[new_tax], ["name"]])[0]["name"] == "7% VAT"
    odoo_rpc.ok("purchase.order.line", "write", [[first], {"tax_ids": [[2, new_tax, 0]]}])
    assert odoo_rpc.ok("account.tax", "search", [[["id", "=", new_tax]]]) == []
    assert taxes() == [1, 2]


def test_amounts_follow_lines_and_taxes(odoo_rpc, order):
    [po] = odoo_rpc.ok(
        "purchase.order", "read", [[order], ["amount_untaxed", "amount_tax", "amount_total"]]
    )
    assert po["amount_untaxed"] == 3840.0  # 10 x 100 + 200 x 14.20
    assert po["amount_tax"] == 729.6
    assert po["amount_total"] == 4569.6


def test_invalid_command_is_rejected_and_rolled_back(odoo_rpc, order):
    error = odoo_rpc.error("purchase.order", "write", [[order], {"order_line": [[9, 0, 0]]}])
    assert error["data"]["name"] == "builtins.ValueError"
    assert len(lines(odoo_rpc, order)) == 2
