"""purchase and stock: purchase orders with their lines, receipts (stock.picking / stock.move).

Business rules follow addons/purchase and purchase_stock (reference §3): button_confirm with the
two-step approval, the incoming picking of a confirmed order, qty_received from validated moves,
qty_invoiced from bill lines, invoice_status / receipt_status.
"""

from __future__ import annotations

from . import orm
from .analytic import validate_distribution
from .exceptions import UserError
from .fields import (
    ModelDef,
    boolean,
    char,
    datetime_,
    floating,
    html,
    integer,
    json_,
    many2many,
    many2one,
    monetary,
    one2many,
    selection,
    text,
)

PO_STATES = [
    ("draft", "RFQ"),
    ("sent", "RFQ Sent"),
    ("to approve", "To Approve"),
    ("purchase", "Purchase Order"),
    ("cancel", "Cancelled"),
]
PICKING_STATES = [
    ("draft", "Draft"),
    ("waiting", "Waiting Another Operation"),
    ("confirmed", "Waiting"),
    ("assigned", "Ready"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
]
MOVE_STATES = [
    ("draft", "New"),
    ("waiting", "Waiting Another Move"),
    ("confirmed", "Waiting Availability"),
    ("partially_available", "Partially Available"),
    ("assigned", "Available"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
]


def _tables(env):
    return env.store.tables


def line_amounts(env, line: dict) -> tuple[float, float]:
    """(price_subtotal, price_tax) of a purchase or bill line: percent and fixed taxes."""
    quantity = line.get("product_qty", line.get("quantity")) or 0.0
    price = (line.get("price_unit") or 0.0) * (1 - (line.get("discount") or 0.0) / 100.0)
    subtotal = orm.money_round(quantity * price)
    taxes = _tables(env)["account.tax"]
    tax = 0.0
    for tax_id in line.get("tax_ids") or []:
        tax_rec = taxes.get(tax_id)
        if not tax_rec:
            continue
        if tax_rec.get("amount_type") == "fixed":
            tax += quantity * (tax_rec.get("amount") or 0.0)
        else:
            tax += subtotal * (tax_rec.get("amount") or 0.0) / 100.0
    return subtotal, orm.money_round(tax)


def _order_lines(env, order_id) -> list[dict]:
    table = _tables(env)["purchase.order.line"]
    ids = env.store.inverse[("purchase.order.line", "order_id")].get(order_id, ())
    return [table[i] for i in ids if i in table]


def _order_amounts(env, rec) -> tuple[float, float]:
    untaxed = tax = 0.0
    for line in _order_lines(env, rec["id"]):
        if line.get("display_type"):
            continue
        subtotal, line_tax = line_amounts(env, line)
        untaxed += subtotal
        tax += line_tax
    return orm.money_round(untaxed), orm.money_round(tax)


def _bill_lines_of(env, po_line_id) -> list[dict]:
    table = _tables(env)["account.move.line"]
    ids = env.store.inverse[("account.move.line", "purchase_line_id")].get(po_line_id, ())
    return [table[i] for i in ids if i in table]


def qty_invoiced(env, line: dict) -> float:
    moves = _tables(env)["account.move"]
    total = 0.0
    for bill_line in _bill_lines_of(env, line["id"]):
        move = moves.get(bill_line.get("move_id"))
        if not move or move.get("state") == "cancel":
            continue
        quantity = bill_line.get("quantity") or 0.0
        if move.get("move_type") == "in_invoice":
            total += quantity
        elif move.get("move_type") == "in_refund":
            total -= quantity
    return total


def _line_product_type(env, line) -> str | bool:
    product = _tables(env)["product.product"].get(line.get("product_id"))
    if not product:
        return False
    return orm.get_value(env, "product.product", product, "type")


def _qty_received_method(env, line) -> str | bool:
    kind = _line_product_type(env, line)
    if kind in ("consu",):
        return "stock_moves"
    return "manual" if kind else False


def _qty_to_invoice(env, line) -> float:
    order = _tables(env)["purchase.order"].get(line.get("order_id"), {})
    if order.get("state") != "purchase" or line.get("display_type"):
        return 0.0
    product = _tables(env)["product.product"].get(line.get("product_id"))
    method = orm.get_value(env, "product.product", product, "purchase_method") if product else ""
    invoiced = qty_invoiced(env, line)
    if method == "purchase":
        return (line.get("product_qty") or 0.0) - invoiced
    return (line.get("qty_received") or 0.0) - invoiced


def _invoice_status(env, rec) -> str:
    if rec.get("state") != "purchase":
        return "no"
    lines = [line for line in _order_lines(env, rec["id"]) if not line.get("display_type")]
    if any(abs(_qty_to_invoice(env, line)) > 1e-9 for line in lines):
        return "to invoice"
    if lines and all(
        qty_invoiced(env, line) >= (line.get("product_qty") or 0.0) - 1e-9 for line in lines
    ):
        return "invoiced"
    return "no"


def _order_pickings(env, order_id) -> list[dict]:
    table = _tables(env)["stock.picking"]
    ids = env.store.inverse[("stock.picking", "purchase_id")].get(order_id, ())
    return [table[i] for i in sorted(ids) if i in table]


def _receipt_status(env, rec):
    pickings = [p for p in _order_pickings(env, rec["id"]) if p.get("state") != "cancel"]
    if not pickings:
        return False
    if all(p.get("state") == "done" for p in pickings):
        return "full"
    if any(p.get("state") == "done" for p in pickings):
        return "partial"
    return "pending"


def _order_invoice_ids(env, rec) -> list[int]:
    ids = set()
    for line in _order_lines(env, rec["id"]):
        for bill_line in _bill_lines_of(env, line["id"]):
            ids.add(bill_line["move_id"])
    return sorted(ids)


def _order_before_create(env, vals):
    if not vals.get("name") or vals.get("name") == "New":
        vals["name"] = f"P{env.store.next_sequence('purchase.order'):05d}"
    return vals


def _order_before_write(env, ids, vals):
    if "order_line" in vals or "partner_id" in vals or "currency_id" in vals:
        table = _tables(env)["purchase.order"]
        for rid in ids:
            order = table[rid]
            if order.get("locked"):
                raise UserError(
                    f"The purchase order is locked; unlock it before modifying {order.get('name')}."
                )
    return vals


def _order_after_write(env, ids, vals):
    if "date_planned" in vals and vals["date_planned"]:
        for rid in ids:
            for line in _order_lines(env, rid):
                env.store.update(
                    "purchase.order.line", line["id"], {"date_planned": vals["date_planned"]}
                )


def _line_before_create(env, vals):
    """Odoo fills what an RPC client leaves out from the product (_prepare_add_missing_fields)."""
    tables = _tables(env)
    if vals.get("display_type"):
        vals.setdefault("product_qty", 0.0)
        return vals
    product = tables["product.product"].get(vals.get("product_id"))
    order = tables["purchase.order"].get(vals.get("order_id"))
    if product is not None:
        if not vals.get("name"):
            name = orm.display_name(env, "product.product", product["id"])
            description = orm.get_value(env, "product.product", product, "description_purchase")
            vals["name"] = f"{name}\n{description}" if description else name
        if not vals.get("uom_id"):
            vals["uom_id"] = orm.get_value(env, "product.product", product, "uom_id")
        if "price_unit" not in vals:
            vals["price_unit"] = orm.get_value(env, "product.product", product, "standard_price")
        if "tax_ids" not in vals:
            taxes = orm.get_value(env, "product.product", product, "supplier_taxes_id")
            vals["tax_ids"] = [(6, 0, list(taxes or []))]
    if "product_qty" not in vals:
        vals["product_qty"] = 1.0
    if not vals.get("date_planned"):
        vals["date_planned"] = (order or {}).get("date_planned") or orm.now_string()
    if order is not None and order.get("state") == "purchase" and product is not None:
        vals["__add_to_picking"] = True
    return vals


def _line_after_create(env, ids, vals_list):
    table = _tables(env)["purchase.order.line"]
    for rid in ids:
        line = table[rid]
        if line.get("analytic_distribution"):
            env.store.update(
                "purchase.order.line",
                rid,
                {
                    "analytic_distribution": validate_distribution(
                        env, line["analytic_distribution"]
                    )
                },
            )
        if line.pop("__add_to_picking", False):
            order = _tables(env)["purchase.order"][line["order_id"]]
            create_incoming_picking(env, order, [line])


def _line_after_write(env, ids, vals):
    if vals.get("analytic_distribution"):
        table = _tables(env)["purchase.order.line"]
        for rid in ids:
            env.store.update(
                "purchase.order.line",
                rid,
                {
                    "analytic_distribution": validate_distribution(
                        env, table[rid]["analytic_distribution"]
                    )
                },
            )


def _line_before_unlink(env, ids):
    table = _tables(env)["purchase.order.line"]
    orders = _tables(env)["purchase.order"]
    for rid in ids:
        order = orders.get(table[rid].get("order_id"), {})
        if order.get("state") == "purchase" and not table[rid].get("display_type"):
            raise UserError("Cannot delete a purchase order line which is in state 'purchase'.")


def _order_before_unlink(env, ids):
    table = _tables(env)["purchase.order"]
    for rid in ids:
        if table[rid].get("state") not in ("draft", "cancel"):
            raise UserError("In order to delete a purchase order, you must cancel it first.")


def create_incoming_picking(env, order: dict, lines: list[dict]) -> int | None:
    """The receipt of a confirmed order: a move per goods line (services are received manually)."""
    goods = [
        line
        for line in lines
        if not line.get("display_type") and _line_product_type(env, line) == "consu"
    ]
    if not goods:
        return None
    open_pickings = [
        p for p in _order_pickings(env, order["id"]) if p.get("state") not in ("done", "cancel")
    ]
    su = env.sudo()
    if open_pickings:
        picking_id = open_pickings[0]["id"]
    else:
        picking_id = orm.create_records(
            su,
            "stock.picking",
            [
                {
                    "partner_id": order.get("partner_id"),
                    "origin": order.get("name"),
                    "purchase_id": order["id"],
                    "picking_type_id": 1,
                    "scheduled_date": order.get("date_planned") or orm.now_string(),
                    "state": "assigned",
                }
            ],
        )[0]
    products = _tables(env)["product.product"]
    orm.create_records(
        su,
        "stock.move",
        [
            {
                "name": line.get("name")
                or orm.display_name(env, "product.product", line["product_id"]),
                "picking_id": picking_id,
                "product_id": line["product_id"],
                "product_uom_qty": line.get("product_qty") or 0.0,
                "quantity": line.get("product_qty") or 0.0,
                "product_uom": line.get("uom_id")
                or orm.get_value(env, "product.product", products[line["product_id"]], "uom_id"),
                "purchase_line_id": line["id"],
                "origin": order.get("name"),
                "state": "assigned",
            }
            for line in goods
        ],
    )
    return picking_id


def _approval_allowed(env, order: dict) -> bool:
    company = _tables(env)["res.company"].get(order.get("company_id") or 1, {})
    if company.get("po_double_validation", "one_step") == "one_step":
        return True
    amount_untaxed, amount_tax = _order_amounts(env, order)
    if amount_untaxed + amount_tax < (company.get("po_double_validation_amount") or 0.0):
        return True
    from .security import user_groups

    return "purchase.group_purchase_manager" in user_groups(env) or env.su


def define(registry: dict[str, ModelDef]) -> None:
    order = ModelDef(
        "purchase.order",
        "Purchase Order",
        {
            "name": char("Order Reference", required=True, default="New", copy=False),
            "priority": selection([("0", "Normal"), ("1", "Urgent")], "Priority", default="0"),
            "origin": char("Source Document", copy=False),
            "partner_ref": char("Vendor Reference", copy=False),
            "date_order": datetime_(
                "Order Deadline", required=True, default=lambda env: orm.now_string(), copy=False
            ),
            "date_approve": datetime_("Confirmation Date", readonly=True, copy=False),
            "date_planned": datetime_("Expected Arrival"),
            "partner_id": many2one("res.partner", "Vendor", required=True),
            "currency_id": many2one(
                "res.currency",
                "Currency",
                required=True,
                default=lambda env: env.store.tables["res.company"][env.company_id]["currency_id"],
            ),
            "state": selection(PO_STATES, "Status", default="draft", copy=False),
            "locked": boolean("Locked", default=False, copy=False),
            "order_line": one2many("purchase.order.line", "order_id", "Order Lines", copy=True),
            "note": html("Terms and Conditions"),
            "user_id": many2one("res.users", "Buyer", default=lambda env: env.uid),
            "company_id": many2one(
                "res.company", "Company", required=True, default=lambda env: env.company_id
            ),
            "amount_untaxed": monetary(
                "Untaxed Amount", compute=lambda env, rec: _order_amounts(env, rec)[0]
            ),
            "amount_tax": monetary("Taxes", compute=lambda env, rec: _order_amounts(env, rec)[1]),
            "amount_total": monetary(
                "Total", compute=lambda env, rec: orm.money_round(sum(_order_amounts(env, rec)))
            ),
            "invoice_status": selection(
                [
                    ("no", "Nothing to Bill"),
                    ("to invoice", "Waiting Bills"),
                    ("invoiced", "Fully Billed"),
                ],
                "Billing Status",
                compute=_invoice_status,
            ),
            "invoice_ids": many2many(
                "account.move", "Bills", compute=_order_invoice_ids, store=False
            ),
            "invoice_count": integer(
                "Bill Count",
                compute=lambda env, rec: len(_order_invoice_ids(env, rec)),
                store=False,
            ),
            "picking_ids": one2many("stock.picking", "purchase_id", "Receptions"),
            "incoming_picking_count": integer(
                "Incoming Shipment count",
                compute=lambda env, rec: len(_order_pickings(env, rec["id"])),
                store=False,
            ),
            "receipt_status": selection(
                [
                    ("pending", "Not Received"),
                    ("partial", "Partially Received"),
                    ("full", "Fully Received"),
                ],
                "Receipt Status",
                compute=_receipt_status,
            ),
        },
        order="priority desc, id desc",
        acl="purchase",
        before_create=_order_before_create,
        before_write=_order_before_write,
        after_write=_order_after_write,
        before_unlink=_order_before_unlink,
    )
    registry["purchase.order"] = order

    @order.method("button_confirm")
    def button_confirm(self):
        env = self.env
        orm.check_exists(env, self._name, self.ids)
        table = env.store.tables["purchase.order"]
        for rid in self.ids:
            rec = table[rid]
            if rec.get("state") == "cancel":
                raise UserError(
                    f"Unable to confirm purchase order {rec.get('name')}: it is cancelled. "
                    "Set it back to draft first."
                )
            if rec.get("state") not in ("draft", "sent"):
                continue  # Odoo skips orders that are already confirmed
            for line in _order_lines(env, rid):
                if not line.get("display_type") and not line.get("product_id"):
                    raise UserError(
                        "Some order lines have no product. Add a product or remove the lines "
                        f"before confirming {rec.get('name')}."
                    )
                if line.get("analytic_distribution"):
                    validate_distribution(env, line["analytic_distribution"])
            if _approval_allowed(env, rec):
                _approve(env, rid)
            else:
                orm.write_records(env.sudo(), "purchase.order", [rid], {"state": "to approve"})
        return True

    @order.method("button_approve")
    def button_approve(self, force=False):
        env = self.env
        orm.check_exists(env, self._name, self.ids)
        for rid in self.ids:
            rec = env.store.tables["purchase.order"][rid]
            if rec.get("state") in ("draft", "sent", "to approve") and (
                force or _approval_allowed(env, rec)
            ):
                _approve(env, rid)
        return {}

    @order.method("button_cancel")
    def button_cancel(self):
        env = self.env
        orm.check_exists(env, self._name, self.ids)
        table = env.store.tables["purchase.order"]
        moves = env.store.tables["account.move"]
        for rid in self.ids:
            rec = table[rid]
            if rec.get("locked"):
                raise UserError(
                    f"Unable to cancel this purchase order ({rec.get('name')}): it is locked. "
                    "Unlock it first."
                )
            bills = [moves[m] for m in _order_invoice_ids(env, rec) if m in moves]
            if any(b.get("state") not in ("draft", "cancel") for b in bills):
                raise UserError(
                    f"Unable to cancel purchase order(s): {rec.get('name')}. You must first "
                    "cancel their related vendor bills."
                )
            for picking in _order_pickings(env, rid):
                if picking.get("state") not in ("done", "cancel"):
                    _cancel_picking(env, picking["id"])
            orm.write_records(env.sudo(), "purchase.order", [rid], {"state": "cancel"})
        return None  # Odoo returns None here: /jsonrpc omits "result", XML-RPC cannot marshal it

    @order.method("button_draft")
    def button_draft(self):
        orm.check_exists(self.env, self._name, self.ids)
        table = self.env.store.tables["purchase.order"]
        for rid in self.ids:
            if table[rid].get("state") == "cancel":
                orm.write_records(self.env.sudo(), "purchase.order", [rid], {"state": "draft"})
        return {}

    @order.method("button_lock")
    def button_lock(self):
        orm.check_exists(self.env, self._name, self.ids)
        orm.write_records(self.env.sudo(), "purchase.order", self.ids, {"locked": True})
        return True

    @order.method("button_unlock")
    def button_unlock(self):
        orm.check_exists(self.env, self._name, self.ids)
        orm.write_records(self.env.sudo(), "purchase.order", self.ids, {"locked": False})
        return True

    @order.method("action_rfq_send")
    def action_rfq_send(self):
        orm.check_exists(self.env, self._name, self.ids)
        table = self.env.store.tables["purchase.order"]
        for rid in self.ids:
            if table[rid].get("state") == "draft":
                orm.write_records(self.env.sudo(), "purchase.order", [rid], {"state": "sent"})
        return True

    @order.method("action_create_invoice")
    def action_create_invoice(self):
        from .models_account import create_bill_from_orders

        orm.check_exists(self.env, self._name, self.ids)
        bill_ids = create_bill_from_orders(self.env, self.ids)
        action = {
            "name": "Vendor Bills",
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "context": {"default_move_type": "in_invoice"},
        }
        if len(bill_ids) == 1:
            action.update({"view_mode": "form", "res_id": bill_ids[0], "views": [[False, "form"]]})
        else:
            action.update({"view_mode": "list,form", "domain": [["id", "in", bill_ids]]})
        return action

    registry["purchase.order.line"] = ModelDef(
        "purchase.order.line",
        "Purchase Order Line",
        {
            "order_id": many2one(
                "purchase.order", "Order Reference", required=True, ondelete="cascade"
            ),
            "sequence": integer("Sequence", default=10),
            "name": text("Description", required=True),
            "display_type": selection(
                [("line_section", "Section"), ("line_note", "Note")], "Display Type", default=False
            ),
            "product_id": many2one("product.product", "Product"),
            "product_qty": floating("Quantity", required=True, digits=(16, 4)),
            "uom_id": many2one("uom.uom", "Unit"),
            "price_unit": floating("Unit Price", required=True, default=0.0),
            "discount": floating("Discount (%)", default=0.0),
            "tax_ids": many2many("account.tax", "Taxes"),
            "price_subtotal": monetary(
                "Subtotal", compute=lambda env, rec: line_amounts(env, rec)[0]
            ),
            "price_tax": monetary(
                "Tax", compute=lambda env, rec: line_amounts(env, rec)[1], store=False
            ),
            "price_total": monetary(
                "Total", compute=lambda env, rec: orm.money_round(sum(line_amounts(env, rec)))
            ),
            "date_planned": datetime_("Expected Arrival"),
            "qty_received_method": selection(
                [("manual", "Manual"), ("stock_moves", "Stock Moves")],
                "Received Qty Method",
                compute=_qty_received_method,
            ),
            "qty_received": floating("Received Qty", default=0.0, copy=False),
            "qty_invoiced": floating("Billed Qty", compute=qty_invoiced),
            "qty_to_invoice": floating("To Invoice Quantity", compute=_qty_to_invoice),
            "analytic_distribution": json_("Analytic Distribution"),
            "invoice_lines": one2many("account.move.line", "purchase_line_id", "Bill Lines"),
            "move_ids": one2many("stock.move", "purchase_line_id", "Reservation"),
            "state": selection(
                PO_STATES,
                "Status",
                compute=lambda env, rec: (
                    _tables(env)["purchase.order"].get(rec.get("order_id"), {}).get("state", False)
                ),
            ),
            "partner_id": many2one(
                "res.partner",
                "Partner",
                compute=lambda env, rec: (
                    _tables(env)["purchase.order"]
                    .get(rec.get("order_id"), {})
                    .get("partner_id", False)
                ),
            ),
            "currency_id": many2one(
                "res.currency",
                "Currency",
                compute=lambda env, rec: (
                    _tables(env)["purchase.order"]
                    .get(rec.get("order_id"), {})
                    .get("currency_id", False)
                ),
            ),
            "company_id": many2one(
                "res.company",
                "Company",
                compute=lambda env, rec: (
                    _tables(env)["purchase.order"]
                    .get(rec.get("order_id"), {})
                    .get("company_id", False)
                ),
            ),
            "product_type": selection(
                [("consu", "Goods"), ("service", "Service"), ("combo", "Combo")],
                "Product Type",
                compute=_line_product_type,
                store=False,
            ),
        },
        order="order_id, sequence, id",
        display_name=lambda env, rec: (
            f"{_tables(env)['purchase.order'].get(rec.get('order_id'), {}).get('name', '')}: "
            f"{(rec.get('name') or '').splitlines()[0] if rec.get('name') else ''}"
        ),
        acl="purchase",
        before_create=_line_before_create,
        after_create=_line_after_create,
        after_write=_line_after_write,
        before_unlink=_line_before_unlink,
    )

    registry["stock.picking.type"] = ModelDef(
        "stock.picking.type",
        "Picking Type",
        {
            "name": char("Operation Type", required=True),
            "code": selection(
                [
                    ("incoming", "Receipt"),
                    ("outgoing", "Delivery"),
                    ("internal", "Internal Transfer"),
                ],
                "Type of Operation",
                required=True,
            ),
            "sequence_code": char("Sequence Prefix", required=True),
            "active": boolean("Active", default=True),
            "company_id": many2one("res.company", "Company", default=lambda env: env.company_id),
        },
        acl="stock",
    )
    picking = ModelDef(
        "stock.picking",
        "Transfer",
        {
            "name": char("Reference", default="/", copy=False),
            "origin": char("Source Document"),
            "partner_id": many2one("res.partner", "Contact"),
            "picking_type_id": many2one("stock.picking.type", "Operation Type", required=True),
            "picking_type_code": selection(
                [
                    ("incoming", "Receipt"),
                    ("outgoing", "Delivery"),
                    ("internal", "Internal Transfer"),
                ],
                "Type of Operation",
                compute=lambda env, rec: (
                    _tables(env)["stock.picking.type"]
                    .get(rec.get("picking_type_id"), {})
                    .get("code", False)
                ),
            ),
            "state": selection(PICKING_STATES, "Status", default="draft", copy=False),
            "scheduled_date": datetime_("Scheduled Date", default=lambda env: orm.now_string()),
            "date_done": datetime_("Date of Transfer", copy=False),
            "move_ids": one2many("stock.move", "picking_id", "Stock Moves"),
            "purchase_id": many2one("purchase.order", "Purchase Order", ondelete="set null"),
            "backorder_id": many2one("stock.picking", "Back Order of", copy=False),
            "company_id": many2one("res.company", "Company", default=lambda env: env.company_id),
            "note": html("Notes"),
        },
        order="scheduled_date asc, id desc",
        acl="stock",
        before_create=_picking_before_create,
    )
    registry["stock.picking"] = picking

    @picking.method("button_validate")
    def button_validate(self):
        env = self.env
        orm.check_exists(env, self._name, self.ids)
        table = env.store.tables["stock.picking"]
        for rid in self.ids:
            rec = table[rid]
            if rec.get("state") == "done":
                raise UserError(f"The transfer {rec.get('name')} is already done.")
            if rec.get("state") == "cancel":
                raise UserError(f"You cannot validate the cancelled transfer {rec.get('name')}.")
            moves = _picking_moves(env, rid)
            if not moves:
                raise UserError(
                    "You can't validate an empty transfer. Please add some products to move "
                    "before proceeding."
                )
        partial = [
            rid
            for rid in self.ids
            if any(
                (m.get("quantity") or 0.0) < (m.get("product_uom_qty") or 0.0) - 1e-9
                for m in _picking_moves(env, rid)
                if m.get("state") != "cancel"
            )
        ]
        if partial and not env.context.get("skip_backorder"):
            # Odoo asks through the backorder wizard; RPC clients pass skip_backorder to decide
            return {
                "name": "Create Backorder?",
                "type": "ir.actions.act_window",
                "view_mode": "form",
                "res_model": "stock.backorder.confirmation",
                "views": [[False, "form"]],
                "target": "new",
                "context": {
                    "button_validate_picking_ids": self.ids,
                    "default_pick_ids": [[4, rid] for rid in partial],
                },
            }
        no_backorder = set(env.context.get("picking_ids_not_to_backorder") or [])
        for rid in self.ids:
            _validate_picking(env, rid, create_backorder=rid in partial and rid not in no_backorder)
        return True

    @picking.method("action_cancel")
    def action_cancel(self):
        orm.check_exists(self.env, self._name, self.ids)
        for rid in self.ids:
            if self.env.store.tables["stock.picking"][rid].get("state") != "done":
                _cancel_picking(self.env, rid)
        return True

    @picking.method("action_assign")
    def action_assign(self):
        orm.check_exists(self.env, self._name, self.ids)
        return True

    registry["stock.move"] = ModelDef(
        "stock.move",
        "Stock Move",
        {
            "name": char("Description", required=True),
            "reference": char(
                "Reference",
                compute=lambda env, rec: (
                    _tables(env)["stock.picking"]
                    .get(rec.get("picking_id"), {})
                    .get("name", rec.get("name"))
                ),
            ),
            "picking_id": many2one("stock.picking", "Transfer", ondelete="cascade"),
            "product_id": many2one("product.product", "Product", required=True),
            "product_uom_qty": floating("Demand", required=True, default=0.0),
            "quantity": floating("Quantity", default=0.0),
            "product_uom": many2one("uom.uom", "Unit", required=True),
            "state": selection(MOVE_STATES, "Status", default="draft", copy=False),
            "purchase_line_id": many2one(
                "purchase.order.line", "Purchase Order Line", ondelete="set null"
            ),
            "origin": char("Source Document"),
            "date": datetime_("Date Scheduled", default=lambda env: orm.now_string()),
            "picked": boolean("Picked", default=False),
            "company_id": many2one("res.company", "Company", default=lambda env: env.company_id),
        },
        order="id",
        acl="stock",
    )


def _picking_before_create(env, vals):
    if not vals.get("name") or vals.get("name") == "/":
        types = _tables(env)["stock.picking.type"]
        prefix = types.get(vals.get("picking_type_id"), {}).get("sequence_code", "IN")
        vals["name"] = f"WH/{prefix}/{env.store.next_sequence('stock.picking.' + prefix):05d}"
    return vals


def _picking_moves(env, picking_id) -> list[dict]:
    table = _tables(env)["stock.move"]
    ids = env.store.inverse[("stock.move", "picking_id")].get(picking_id, ())
    return [table[i] for i in sorted(ids) if i in table]


def _cancel_picking(env, picking_id) -> None:
    su = env.sudo()
    for move in _picking_moves(env, picking_id):
        if move.get("state") != "done":
            orm.write_records(su, "stock.move", [move["id"]], {"state": "cancel"})
    orm.write_records(su, "stock.picking", [picking_id], {"state": "cancel"})


def _validate_picking(env, picking_id, create_backorder: bool) -> None:
    su = env.sudo()
    picking = _tables(env)["stock.picking"][picking_id]
    remaining = []
    lines = _tables(env)["purchase.order.line"]
    for move in _picking_moves(env, picking_id):
        if move.get("state") in ("done", "cancel"):
            continue
        done_qty = move.get("quantity") or 0.0
        left = (move.get("product_uom_qty") or 0.0) - done_qty
        if left > 1e-9:
            remaining.append((move, left))
        orm.write_records(
            su,
            "stock.move",
            [move["id"]],
            {
                "state": "done",
                "picked": True,
                "product_uom_qty": done_qty if left > 0 else move.get("product_uom_qty"),
            },
        )
        line = lines.get(move.get("purchase_line_id"))
        if line is not None and picking.get("picking_type_id"):
            code = (
                _tables(env)["stock.picking.type"].get(picking["picking_type_id"], {}).get("code")
            )
            sign = 1 if code == "incoming" else -1
            orm.write_records(
                su,
                "purchase.order.line",
                [line["id"]],
                {"qty_received": (line.get("qty_received") or 0.0) + sign * done_qty},
            )
            orm.touch(su, "purchase.order", [line["order_id"]])
    orm.write_records(
        su, "stock.picking", [picking_id], {"state": "done", "date_done": orm.now_string()}
    )
    if remaining and create_backorder:
        backorder_id = orm.create_records(
            su,
            "stock.picking",
            [
                {
                    "partner_id": picking.get("partner_id"),
                    "origin": picking.get("origin"),
                    "purchase_id": picking.get("purchase_id"),
                    "picking_type_id": picking.get("picking_type_id"),
                    "scheduled_date": picking.get("scheduled_date"),
                    "backorder_id": picking_id,
                    "state": "assigned",
                }
            ],
        )[0]
        orm.create_records(
            su,
            "stock.move",
            [
                {
                    "name": move.get("name"),
                    "picking_id": backorder_id,
                    "product_id": move["product_id"],
                    "product_uom_qty": left,
                    "quantity": left,
                    "product_uom": move.get("product_uom"),
                    "purchase_line_id": move.get("purchase_line_id"),
                    "origin": move.get("origin"),
                    "state": "assigned",
                }
                for move, left in remaining
            ],
        )


def _approve(env, order_id) -> None:
    su = env.sudo()
    orm.write_records(
        su, "purchase.order", [order_id], {"state": "purchase", "date_approve": orm.now_string()}
    )
    order = _tables(env)["purchase.order"][order_id]
    company = _tables(env)["res.company"].get(order.get("company_id") or 1, {})
    if company.get("po_lock") == "lock":
        orm.write_records(su, "purchase.order", [order_id], {"locked": True})
    create_incoming_picking(env, order, _order_lines(env, order_id))
