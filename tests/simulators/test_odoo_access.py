"""Per-user access rights: readonly reads only; buyer buys but does not post bills."""

from __future__ import annotations


def test_readonly_user_reads_but_cannot_write_create_or_delete(odoo_rpc):
    assert odoo_rpc.ok("purchase.order", "search_count", [[]], user="readonly") == 3
    for method, args, verb in (
        ("write", [[1], {"origin": "x"}], "modify"),
        ("create", [{"partner_id": 6}], "create"),
        ("unlink", [[1]], "delete"),
        ("button_confirm", [[1]], "modify"),
    ):
        error = odoo_rpc.error("purchase.order", method, args, user="readonly")
        assert error["data"]["name"] == "odoo.exceptions.AccessError", method
        assert error["data"]["message"].startswith(
            f"You are not allowed to {verb} 'Purchase Order' (purchase.order) records."
        )
        assert "Purchase / User" in error["data"]["message"]
    [po] = odoo_rpc.ok("purchase.order", "read", [[1], ["state", "origin"]])
    assert po == {"id": 1, "state": "draft", "origin": "SCH-001"}


def test_buyer_confirms_purchase_orders_but_cannot_post_bills(odoo_rpc):
    po = odoo_rpc.ok(
        "purchase.order",
        "create",
        [{"partner_id": 6, "order_line": [[0, 0, {"product_id": 1}]]}],
        user="buyer",
    )
    assert odoo_rpc.ok("purchase.order", "button_confirm", [[po]], user="buyer") is True
    # the receipt is created on the buyer's behalf even though it needs stock rights
    [order] = odoo_rpc.ok("purchase.order", "read", [[po], ["state", "picking_ids"]], user="buyer")
    assert order["state"] == "purchase" and len(order["picking_ids"]) == 1
    error = odoo_rpc.error("account.move", "action_post", [[1]], user="buyer")
    assert error["data"]["name"] == "odoo.exceptions.AccessError"
    assert "Invoicing / Billing" in error["data"]["message"]
    error = odoo_rpc.error("product.product", "create", [{"name": "Gravel"}], user="buyer")
    assert error["data"]["name"] == "odoo.exceptions.AccessError"


def test_deactivated_user_is_denied(odoo_rpc, odoo_sim):
    odoo_rpc.ok("res.users", "write", [[odoo_sim.users["buyer"].uid], {"active": False}])
    error = odoo_rpc.error("res.partner", "search", [[]], user="buyer")
    assert error["data"]["name"] == "odoo.exceptions.AccessDenied"
    assert odoo_rpc.raw("common", "login", odoo_sim.db, "buyer", "buyer")["result"] is False


def test_passwords_are_write_only(odoo_rpc, odoo_sim):
    [user] = odoo_rpc.ok("res.users", "read", [[2], ["login", "password", "name"]])
    assert user == {"id": 2, "login": "admin", "password": "", "name": "Mitchell Admin"}
    odoo_rpc.ok("res.users", "write", [[odoo_sim.users["buyer"].uid], {"password": "n3w-secret"}])
    assert odoo_rpc.raw("common", "login", odoo_sim.db, "buyer", "n3w-secret")["result"] == 4
    assert odoo_rpc.raw("common", "login", odoo_sim.db, "buyer", "buyer")["result"] is False
