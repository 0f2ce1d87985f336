"""Procure-to-pay as Odoo does it: confirm → receipt → validate → bill → post → pay."""

from __future__ import annotations

import pytest


@pytest.fixture
def analytic(odoo_rpc):
    project = odoo_rpc.ok("account.analytic.account", "search", [[["code", "=", "SCH-001"]]])[0]
    concrete = odoo_rpc.ok("account.analytic.account", "search", [[["code", "=", "03 30 00"]]])[0]
    return {"project": project, "concrete": concrete, "key": f"{project},{concrete}"}


@pytest.fixture
def draft_po(odoo_rpc, analytic):
    return odoo_rpc.ok(
        "purchase.order",
        "create",
        [
            {
                "partner_id": 7,
                "partner_ref": "ER-Q-1",
                "origin": "HUB-PO-1",
                "order_line": [
                    [
                        0,
                        0,
                        {
                            "product_id": 1,
                            "product_qty": 40,
                            "price_unit": 120.0,
                            "analytic_distribution": {analytic["key"]: 100},
                        },
                    ],
                    [0, 0, {"product_id": 10, "product_qty": 8, "price_unit": 150.0}],
                ],
            }
        ],
    )


def read(odoo_rpc, model, ids, fields):
    return odoo_rpc.ok(model, "read", [ids if isinstance(ids, list) else [ids], fields])


def test_new_orders_get_the_next_p_number(odoo_rpc, draft_po):
    [po] = read(
        odoo_rpc, "purchase.order", draft_po, ["name", "state", "invoice_status", "receipt_status"]
    )
    assert po == {
        "id": draft_po,
        "name": "P00004",
        "state": "draft",
        "invoice_status": "no",
        "receipt_status": False,
    }


def test_confirm_creates_the_receipt_for_goods_lines_only(odoo_rpc, draft_po):
    assert odoo_rpc.ok("purchase.order", "button_confirm", [[draft_po]]) is True
    [po] = read(
        odoo_rpc,
        "purchase.order",
        draft_po,
        ["state", "date_approve", "picking_ids", "receipt_status"],
    )
    assert po["state"] == "purchase" and po["date_approve"]
    assert po["receipt_status"] == "pending"
    [picking] = read(
        odoo_rpc,
        "stock.picking",
        po["picking_ids"],
        ["name", "state", "origin", "picking_type_code", "partner_id", "move_ids"],
    )
    assert picking["name"].startswith("WH/IN/") and picking["state"] == "assigned"
    assert picking["origin"] == "P00004" and picking["picking_type_code"] == "incoming"
    assert picking["partner_id"][0] == 7
    [move] = read(
        odoo_rpc,
        "stock.move",
        picking["move_ids"],
        ["product_id", "product_uom_qty", "quantity", "purchase_line_id"],
    )
    assert (
        move["product_id"][0] == 1 and move["product_uom_qty"] == 40.0
    )  # the crane hire is a service
    # confirming again is a no-op, as in Odoo
    assert odoo_rpc.ok("purchase.order", "button_confirm", [[draft_po]]) is True
    assert len(read(odoo_rpc, "purchase.order", draft_po, ["picking_ids"])[0]["picking_ids"]) == 1


def test_validating_the_receipt_sets_qty_received(odoo_rpc, draft_po):
    odoo_rpc.ok("purchase.order", "button_confirm", [[draft_po]])
    [po] = read(odoo_rpc, "purchase.order", draft_po, ["picking_ids", "order_line"])
    assert odoo_rpc.ok("stock.picking", "button_validate", [po["picking_ids"]]) is True
    lines = read(
        odoo_rpc,
        "purchase.order.line",
        po["order_line"],
        ["qty_received", "qty_received_method", "qty_to_invoice"],
    )
    assert lines[0]["qty_received"] == 40.0 and lines[0]["qty_received_method"] == "stock_moves"
    assert lines[0]["qty_to_invoice"] == 40.0
    assert lines[1]["qty_received"] == 0.0 and lines[1]["qty_received_method"] == "manual"
    [picking] = read(odoo_rpc, "stock.picking", po["picking_ids"], ["state", "date_done"])
    assert picking["state"] == "done" and picking["date_done"]
    [order] = read(odoo_rpc, "purchase.order", draft_po, ["receipt_status", "invoice_status"])
    assert order == {"id": draft_po, "receipt_status": "full", "invoice_status": "to invoice"}
    again = odoo_rpc.error("stock.picking", "button_validate", [po["picking_ids"]])
    assert again["data"]["name"] == "odoo.exceptions.UserError"


def test_partial_receipt_asks_for_backorder_then_creates_it(odoo_rpc, draft_po):
    odoo_rpc.ok("purchase.order", "button_confirm", [[draft_po]])
    [po] = read(odoo_rpc, "purchase.order", draft_po, ["picking_ids", "order_line"])
    [picking] = read(odoo_rpc, "stock.picking", po["picking_ids"], ["move_ids"])
    odoo_rpc.ok("stock.move", "write", [picking["move_ids"], {"quantity": 25}])
    wizard = odoo_rpc.ok("stock.picking", "button_validate", [po["picking_ids"]])
    assert wizard["res_model"] == "stock.backorder.confirmation"
    assert read(odoo_rpc, "stock.picking", po["picking_ids"], ["state"])[0]["state"] == "assigned"
    odoo_rpc.ok(
        "stock.picking",
        "button_validate",
        [po["picking_ids"]],
        {"context": {"skip_backorder": True}},
    )
    [order] = read(odoo_rpc, "purchase.order", draft_po, ["picking_ids", "receipt_status"])
    assert len(order["picking_ids"]) == 2 and order["receipt_status"] == "partial"
    assert (
        read(odoo_rpc, "purchase.order.line", po["order_line"][:1], ["qty_received"])[0][
            "qty_received"
        ]
        == 25.0
    )
    backorder = [p for p in order["picking_ids"] if p not in po["picking_ids"]]
    [moves] = [read(odoo_rpc, "stock.picking", backorder, ["move_ids", "backorder_id"])[0]]
    assert moves["backorder_id"][0] == po["picking_ids"][0]
    assert (
        read(odoo_rpc, "stock.move", moves["move_ids"], ["product_uom_qty"])[0]["product_uom_qty"]
        == 15.0
    )


def test_bill_from_order_then_post_and_pay(odoo_rpc, draft_po, analytic):
    odoo_rpc.ok("purchase.order", "button_confirm", [[draft_po]])
    [po] = read(odoo_rpc, "purchase.order", draft_po, ["picking_ids", "order_line"])
    odoo_rpc.ok("stock.picking", "button_validate", [po["picking_ids"]])
    odoo_rpc.ok(
        "purchase.order.line", "write", [po["order_line"][1:], {"qty_received": 8}]
    )  # manual line
    action = odoo_rpc.ok("purchase.order", "action_create_invoice", [[draft_po]])
    bill_id = action["res_id"]
    [bill] = read(
        odoo_rpc,
        "account.move",
        bill_id,
        [
            "name",
            "state",
            "move_type",
            "partner_id",
            "invoice_origin",
            "amount_untaxed",
            "amount_total",
            "payment_state",
            "invoice_line_ids",
            "display_name",
        ],
    )
    assert bill["state"] == "draft" and bill["name"] == "/" and bill["move_type"] == "in_invoice"
    assert bill["display_name"] == f"Draft Bill (* {bill_id})"
    assert bill["invoice_origin"] == "P00004" and bill["partner_id"][0] == 7
    assert bill["amount_untaxed"] == 40 * 120.0 + 8 * 150.0
    assert bill["amount_total"] == round((40 * 120.0 + 8 * 150.0) * 1.19, 2)
    bill_lines = read(
        odoo_rpc,
        "account.move.line",
        bill["invoice_line_ids"],
        ["purchase_line_id", "analytic_distribution", "quantity"],
    )
    assert [line["purchase_line_id"][0] for line in bill_lines] == po["order_line"]
    assert bill_lines[0]["analytic_distribution"] == {analytic["key"]: 100.0}

    missing_date = odoo_rpc.error("account.move", "action_post", [[bill_id]])
    assert (
        missing_date["data"]["message"]
        == "The Bill/Refund date is required to validate this document."
    )
    odoo_rpc.ok(
        "account.move", "write", [[bill_id], {"invoice_date": "2026-11-20", "ref": "ER-INV-88"}]
    )
    assert odoo_rpc.ok("account.move", "action_post", [[bill_id]]) is False
    [posted] = read(
        odoo_rpc,
        "account.move",
        bill_id,
        ["name", "state", "payment_state", "amount_residual", "date"],
    )
    assert posted["state"] == "posted" and posted["name"].startswith("BILL/2026/11/")
    assert (
        posted["payment_state"] == "not_paid" and posted["amount_residual"] == bill["amount_total"]
    )
    assert posted["date"] == "2026-11-20"
    twice = odoo_rpc.error("account.move", "action_post", [[bill_id]])
    assert "is already posted" in twice["data"]["message"]
    [order] = read(odoo_rpc, "purchase.order", draft_po, ["invoice_status", "invoice_ids"])
    assert order == {"id": draft_po, "invoice_status": "invoiced", "invoice_ids": [bill_id]}
    locked = odoo_rpc.error("account.move", "write", [[bill_id], {"partner_id": 6}])
    assert locked["data"]["name"] == "odoo.exceptions.UserError"

    # pay half through the register-payment wizard, then the rest with a plain payment
    half = round(bill["amount_total"] / 2, 2)
    wizard = odoo_rpc.ok(
        "account.payment.register",
        "create",
        [{"amount": half, "payment_date": "2026-11-21"}],
        {"context": {"active_model": "account.move", "active_ids": [bill_id]}},
    )
    result = odoo_rpc.ok("account.payment.register", "action_create_payments", [[wizard]])
    [payment] = read(
        odoo_rpc,
        "account.payment",
        result["res_id"],
        ["state", "amount", "payment_type", "partner_type", "memo", "name"],
    )
    assert payment["state"] == "paid" and payment["amount"] == half
    assert payment["payment_type"] == "outbound" and payment["partner_type"] == "supplier"
    assert payment["memo"] == "ER-INV-88"
    [partial] = read(odoo_rpc, "account.move", bill_id, ["payment_state", "amount_residual"])
    assert partial == {
        "id": bill_id,
        "payment_state": "partial",
        "amount_residual": round(bill["amount_total"] - half, 2),
    }
    rest = odoo_rpc.ok(
        "account.payment",
        "create",
        [
            {
                "payment_type": "outbound",
                "partner_type": "supplier",
                "partner_id": 7,
                "amount": partial["amount_residual"],
                "reconciled_bill_ids": [[6, 0, [bill_id]]],
            }
        ],
    )
    odoo_rpc.ok("account.payment", "action_post", [[rest]])
    [paid] = read(odoo_rpc, "account.move", bill_id, ["payment_state", "amount_residual"])
    assert paid == {"id": bill_id, "payment_state": "paid", "amount_residual": 0.0}
    # cancelling the order now fails: it has a posted bill
    error = odoo_rpc.error("purchase.order", "button_cancel", [[draft_po]])
    assert error["data"]["message"] == (
        "Unable to cancel purchase order(s): P00004. "
        "You must first cancel their related vendor bills."
    )


def test_manual_vendor_bill_with_purchase_line_link_counts_as_invoiced(odoo_rpc):
    line = odoo_rpc.ok("purchase.order.line", "search", [[["order_id", "=", 2]]], {"order": "id"})[
        0
    ]
    bill = odoo_rpc.ok(
        "account.move",
        "create",
        [
            {
                "move_type": "in_invoice",
                "partner_id": 8,
                "ref": "NR-INV-1",
                "invoice_date": "2026-11-02",
                "invoice_line_ids": [
                    [
                        0,
                        0,
                        {
                            "product_id": 3,
                            "quantity": 10,
                            "price_unit": 845.0,
                            "purchase_line_id": line,
                        },
                    ]
                ],
            }
        ],
    )
    odoo_rpc.ok("account.move", "action_post", [[bill]])
    [po_line] = read(odoo_rpc, "purchase.order.line", line, ["qty_invoiced"])
    assert po_line["qty_invoiced"] == 10.0
    [partner] = read(odoo_rpc, "res.partner", 8, ["supplier_rank"])
    assert partner["supplier_rank"] == 2  # posting a bill bumps the vendor's rank


def test_bill_posting_requires_a_vendor_and_lines(odoo_rpc):
    empty = odoo_rpc.ok(
        "account.move",
        "create",
        [{"move_type": "in_invoice", "partner_id": 6, "invoice_date": "2026-11-01"}],
    )
    assert (
        odoo_rpc.error("account.move", "action_post", [[empty]])["data"]["message"]
        == "You need to add a line before posting."
    )
    no_vendor = odoo_rpc.ok(
        "account.move",
        "create",
        [{"move_type": "in_invoice", "invoice_line_ids": [[0, 0, {"name": "x", "price_unit": 1}]]}],
    )
    message = odoo_rpc.error("account.move", "action_post", [[no_vendor]])["data"]["message"]
    assert message.startswith("The field 'Vendor' is required")


def test_cancel_then_confirm_is_a_user_error_and_draft_resets(odoo_rpc, draft_po):
    assert "result" not in odoo_rpc.execute_kw("purchase.order", "button_cancel", [[draft_po]])
    error = odoo_rpc.error("purchase.order", "button_confirm", [[draft_po]])
    assert error["data"]["name"] == "odoo.exceptions.UserError"
    assert odoo_rpc.ok("purchase.order", "button_draft", [[draft_po]]) == {}
    odoo_rpc.ok("purchase.order", "button_confirm", [[draft_po]])
    assert read(odoo_rpc, "purchase.order", draft_po, ["state"])[0]["state"] == "purchase"


def test_confirmed_order_lines_cannot_be_deleted(odoo_rpc, draft_po):
    odoo_rpc.ok("purchase.order", "button_confirm", [[draft_po]])
    [po] = read(odoo_rpc, "purchase.order", draft_po, ["order_line"])
    error = odoo_rpc.error("purchase.order.line", "unlink", [po["order_line"][:1]])
    assert error["data"]["name"] == "odoo.exceptions.UserError"
    error = odoo_rpc.error("purchase.order", "unlink", [[draft_po]])
    assert "cancel it first" in error["data"]["message"]


def test_two_step_approval_sends_large_orders_to_approval_for_non_managers(odoo_rpc, draft_po):
    odoo_rpc.ok(
        "res.company",
        "write",
        [[1], {"po_double_validation": "two_step", "po_double_validation_amount": 1000}],
    )
    buyer_po = odoo_rpc.ok("purchase.order", "copy", [[draft_po]], user="buyer")
    odoo_rpc.ok("purchase.order", "button_confirm", [[buyer_po]], user="buyer")
    assert read(odoo_rpc, "purchase.order", buyer_po, ["state"])[0]["state"] == "to approve"
    odoo_rpc.ok("purchase.order", "button_approve", [[buyer_po]])  # admin is a purchase manager
    assert read(odoo_rpc, "purchase.order", buyer_po, ["state"])[0]["state"] == "purchase"


def test_analytic_distribution_is_validated_and_rounded(odoo_rpc):
    error = odoo_rpc.error(
        "purchase.order.line", "write", [[1], {"analytic_distribution": {"9999": 100}}]
    )
    assert error["data"]["name"] == "odoo.exceptions.ValidationError"
    error = odoo_rpc.error(
        "purchase.order.line", "write", [[1], {"analytic_distribution": {"1": "all"}}]
    )
    assert error["data"]["name"] == "odoo.exceptions.ValidationError"
    odoo_rpc.ok(
        "purchase.order.line", "write", [[1], {"analytic_distribution": {"1": 33.333, "2": 66.667}}]
    )
    assert read(odoo_rpc, "purchase.order.line", 1, ["analytic_distribution"])[0][
        "analytic_distribution"
    ] == {"1": 33.33, "2": 66.67}


def test_budget_lines_show_committed_and_achieved_amounts(odoo_rpc, draft_po, analytic):
    [line] = odoo_rpc.ok(
        "budget.line",
        "search_read",
        [[["account_id", "=", analytic["project"]], ["x_plan2_id", "=", analytic["concrete"]]]],
        {"fields": ["budget_amount", "committed_amount", "achieved_amount"]},
    )
    assert line["committed_amount"] == 0.0 and line["achieved_amount"] == 0.0
    odoo_rpc.ok("purchase.order", "button_confirm", [[draft_po]])
    [line] = read(
        odoo_rpc,
        "budget.line",
        line["id"],
        ["committed_amount", "achieved_amount", "budget_amount"],
    )
    assert line["committed_amount"] == 4800.0 and line["achieved_amount"] == 0.0
    assert line["budget_amount"] == 420000.0


def test_milestone_reached_date_and_projects(odoo_rpc):
    project = odoo_rpc.ok(
        "project.project",
        "search_read",
        [[["account_id.code", "=", "BRG-003"]]],
        {"fields": ["name", "milestone_ids", "account_id"]},
    )[0]
    assert project["name"] == "Harbour Bridge Rehabilitation"
    assert project["account_id"][1].startswith("[BRG-003] Harbour Bridge Rehabilitation")
    milestone = project["milestone_ids"][0]
    odoo_rpc.ok("project.milestone", "toggle_is_reached", [[milestone], True])
    [row] = read(odoo_rpc, "project.milestone", milestone, ["is_reached", "reached_date"])
    assert row["is_reached"] is True and len(row["reached_date"]) == 10
