"""sale: quotations and sales orders with their lines (the seller's side of an intercompany
commitment, issue #13).

Business rules follow addons/sale as of Odoo 17 (state draft/sent/sale/cancel; `done` became the
`locked` flag):
- action_confirm: only draft/sent orders ("Some orders are not in a state requiring
  confirmation."), and every accountable line needs a product; sets date_order to now.
- action_cancel: refused on a locked order. On a confirmed order Odoo answers with the
  sale.order.cancel wizard (an action dict, nothing cancelled) unless the context carries
  `disable_cancel_warning`, which is what RPC clients pass.
- action_draft: cancel/sent → draft. action_lock / action_unlock.
- A line without a product and without display_type breaks Odoo's SQL constraint
  accountable_required_fields ("Missing required fields on accountable sale order line.");
  a confirmed order's lines cannot be deleted (set the quantity to 0 instead); a locked
  order's lines cannot change their product, description, quantity, price, taxes or analytics.
- Multi-company: company_id defaults to the first of the context's allowed_company_ids (else the
  user's company); currency_id to that company's currency (Odoo takes it from the pricelist, whose
  default follows the company). A company outside allowed_company_ids is refused on create like
  Odoo's record rule does.
"""

from __future__ import annotations

from . import orm
from .analytic import validate_distribution
from .exceptions import AccessError, UserError, ValidationError
from .fields import (
    ModelDef,
    boolean,
    char,
    date,
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
from .models_purchase import line_amounts

SO_STATES = [
    ("draft", "Quotation"),
    ("sent", "Quotation Sent"),
    ("sale", "Sales Order"),
    ("cancel", "Cancelled"),
]
INVOICE_STATUS = [
    ("upselling", "Upselling Opportunity"),
    ("invoiced", "Fully Invoiced"),
    ("to invoice", "To Invoice"),
    ("no", "Nothing to Invoice"),
]
# sale.order.line._get_protected_fields(): not writable on a locked order
PROTECTED_LINE_FIELDS = (
    "product_id",
    "name",
    "price_unit",
    "product_uom",
    "product_uom_qty",
    "tax_id",
    "analytic_distribution",
)


def _tables(env):
    return env.store.tables


def _order_lines(env, order_id) -> list[dict]:
    table = _tables(env)["sale.order.line"]
    ids = env.store.inverse[("sale.order.line", "order_id")].get(order_id, ())
    return [table[i] for i in sorted(ids) if i in table]


def sale_line_amounts(env, line: dict) -> tuple[float, float]:
    """(price_subtotal, price_tax) with the purchase/bill tax logic on the sale field names."""
    if line.get("display_type"):
        return 0.0, 0.0
    return line_amounts(
        env,
        {
            "quantity": line.get("product_uom_qty") or 0.0,
            "price_unit": line.get("price_unit"),
            "discount": line.get("discount"),
            "tax_ids": line.get("tax_id") or [],
        },
    )


def _order_amounts(env, rec) -> tuple[float, float]:
    untaxed = tax = 0.0
    for line in _order_lines(env, rec["id"]):
        subtotal, line_tax = sale_line_amounts(env, line)
        untaxed += subtotal
        tax += line_tax
    return orm.money_round(untaxed), orm.money_round(tax)


def _qty_to_invoice(env, line) -> float:
    # invoice policy "ordered quantities" (the default of services and of the hub's orders)
    order = _tables(env)["sale.order"].get(line.get("order_id"), {})
    if order.get("state") != "sale" or line.get("display_type"):
        return 0.0
    return (line.get("product_uom_qty") or 0.0) - (line.get("qty_invoiced") or 0.0)


def _invoice_status(env, rec) -> str:
    if rec.get("state") != "sale":
        return "no"
    lines = [line for line in _order_lines(env, rec["id"]) if not line.get("display_type")]
    if any(_qty_to_invoice(env, line) > 1e-9 for line in lines):
        return "to invoice"
    if lines and all(
        (line.get("qty_invoiced") or 0.0) >= (line.get("product_uom_qty") or 0.0) - 1e-9
        for line in lines
    ):
        return "invoiced"
    return "no"


def _allowed_companies(env) -> list[int]:
    allowed = env.context.get("allowed_company_ids")
    if isinstance(allowed, list) and allowed:
        return [int(c) for c in allowed]
    return []


def _company_currency(env, company_id) -> int | bool:
    company = _tables(env)["res.company"].get(company_id)
    return company.get("currency_id", False) if company else False


def _order_before_create(env, vals):
    allowed = _allowed_companies(env)
    if not vals.get("company_id"):
        vals["company_id"] = allowed[0] if allowed else env.company_id
    if allowed and not env.su and vals["company_id"] not in allowed:
        raise AccessError(
            "Due to security restrictions, you are not allowed to create 'Sales Order' "
            "(sale.order) records.\n\nNote: this might be a multi-company issue. Switching "
            "company may help - in Odoo, not in Python!\n\nContact your administrator to "
            "request access if necessary."
        )
    if not vals.get("currency_id"):
        vals["currency_id"] = _company_currency(env, vals["company_id"])
    if not vals.get("name") or vals.get("name") == "New":
        vals["name"] = f"S{env.store.next_sequence('sale.order'):05d}"
    partner = vals.get("partner_id")
    if partner:
        vals.setdefault("partner_invoice_id", partner)
        vals.setdefault("partner_shipping_id", partner)
    return vals


def _order_before_unlink(env, ids):
    table = _tables(env)["sale.order"]
    for rid in ids:
        if table[rid].get("state") not in ("draft", "cancel"):
            raise UserError(
                "You can not delete a sent quotation or a confirmed sales order. You must first "
                "cancel it."
            )


def _line_before_create(env, vals):
    """Odoo fills what an RPC client leaves out from the product (the line's compute methods)."""
    if vals.get("display_type"):
        vals.setdefault("product_uom_qty", 0.0)
        vals.setdefault("price_unit", 0.0)
        return vals
    product = _tables(env)["product.product"].get(vals.get("product_id"))
    if product is None and not vals.get("is_downpayment"):
        raise ValidationError("Missing required fields on accountable sale order line.")
    if product is not None:
        if not vals.get("name"):
            vals["name"] = orm.display_name(env, "product.product", product["id"])
        if not vals.get("product_uom"):
            vals["product_uom"] = orm.get_value(env, "product.product", product, "uom_id")
        if "price_unit" not in vals:
            vals["price_unit"] = orm.get_value(env, "product.product", product, "list_price")
    vals.setdefault("price_unit", 0.0)
    if "product_uom_qty" not in vals:
        vals["product_uom_qty"] = 1.0
    return vals


def _touch_orders(env, line_ids) -> None:
    # amount_total is a stored compute on the order: a line change moves the order's write_date
    table = _tables(env)["sale.order.line"]
    orders = sorted({table[i]["order_id"] for i in line_ids if i in table})
    if orders:
        orm.touch(env.sudo(), "sale.order", orders)


def _validate_line_distribution(env, ids) -> None:
    table = _tables(env)["sale.order.line"]
    for rid in ids:
        distribution = table[rid].get("analytic_distribution")
        if distribution:
            env.store.update(
                "sale.order.line",
                rid,
                {"analytic_distribution": validate_distribution(env, distribution)},
            )


def _line_after_create(env, ids, vals_list):
    _validate_line_distribution(env, ids)
    _touch_orders(env, ids)


def _line_before_write(env, ids, vals):
    changed = [name for name in PROTECTED_LINE_FIELDS if name in vals]
    if changed:
        table = _tables(env)["sale.order.line"]
        orders = _tables(env)["sale.order"]
        if any(orders.get(table[i].get("order_id"), {}).get("locked") for i in ids):
            raise UserError(
                "It is forbidden to modify the following fields in a locked order:\n"
                + "\n".join(env.registry["sale.order.line"].fields[n].string for n in changed)
            )
    return vals


def _line_after_write(env, ids, vals):
    if vals.get("analytic_distribution"):
        _validate_line_distribution(env, ids)
    _touch_orders(env, ids)


def _line_before_unlink(env, ids):
    table = _tables(env)["sale.order.line"]
    orders = _tables(env)["sale.order"]
    for rid in ids:
        line = table[rid]
        order = orders.get(line.get("order_id"), {})
        if order.get("state") == "sale" and not line.get("display_type"):
            raise UserError(
                "Once a sales order is confirmed, you can't remove one of its lines (we need to "
                "track if something gets invoiced or delivered).\nSet the quantity to 0 instead."
            )
    _touch_orders(env, ids)


def _from_order(field_name: str):
    return lambda env, rec: (
        _tables(env)["sale.order"].get(rec.get("order_id"), {}).get(field_name, False)
    )


def define(registry: dict[str, ModelDef]) -> None:
    order = ModelDef(
        "sale.order",
        "Sales Order",
        {
            "name": char("Order Reference", required=True, default="New", copy=False),
            "origin": char("Source Document"),
            "client_order_ref": char("Customer Reference", copy=False),
            "state": selection(SO_STATES, "Status", default="draft", readonly=True, copy=False),
            "locked": boolean("Locked", default=False, copy=False),
            "date_order": datetime_(
                "Order Date", required=True, default=lambda env: orm.now_string(), copy=False
            ),
            "validity_date": date("Expiration", copy=False),
            "partner_id": many2one("res.partner", "Customer", required=True),
            "partner_invoice_id": many2one("res.partner", "Invoice Address"),
            "partner_shipping_id": many2one("res.partner", "Delivery Address"),
            "user_id": many2one("res.users", "Salesperson", default=lambda env: env.uid),
            # defaults are set in before_create: they depend on allowed_company_ids and on the
            # company the client chose
            "company_id": many2one("res.company", "Company", required=True),
            "currency_id": many2one("res.currency", "Currency", required=True),
            "order_line": one2many("sale.order.line", "order_id", "Order Lines", copy=True),
            "note": html("Terms and conditions"),
            "amount_untaxed": monetary(
                "Untaxed Amount", compute=lambda env, rec: _order_amounts(env, rec)[0]
            ),
            "amount_tax": monetary("Taxes", compute=lambda env, rec: _order_amounts(env, rec)[1]),
            "amount_total": monetary(
                "Total", compute=lambda env, rec: orm.money_round(sum(_order_amounts(env, rec)))
            ),
            "invoice_status": selection(INVOICE_STATUS, "Invoice Status", compute=_invoice_status),
        },
        order="date_order desc, id desc",
        acl="sale",
        before_create=_order_before_create,
        before_unlink=_order_before_unlink,
    )
    registry["sale.order"] = order

    def _states(self) -> dict[int, dict]:
        orm.check_exists(self.env, self._name, self.ids)
        table = self.env.store.tables["sale.order"]
        return {rid: table[rid] for rid in self.ids}

    @order.method("action_confirm")
    def action_confirm(self):
        env = self.env
        for rid, rec in _states(self).items():
            if rec.get("state") not in ("draft", "sent"):
                raise UserError("Some orders are not in a state requiring confirmation.")
            for line in _order_lines(env, rid):
                if (
                    not line.get("display_type")
                    and not line.get("is_downpayment")
                    and not line.get("product_id")
                ):
                    raise UserError(
                        "A line on these orders missing a product, you cannot confirm it."
                    )
                if line.get("analytic_distribution"):
                    validate_distribution(env, line["analytic_distribution"])
        orm.write_records(
            env.sudo(), "sale.order", self.ids, {"state": "sale", "date_order": orm.now_string()}
        )
        return True

    @order.method("action_cancel")
    def action_cancel(self):
        env = self.env
        records = _states(self)
        if any(rec.get("locked") for rec in records.values()):
            raise UserError(
                "You cannot cancel a locked order. Please unlock it first if you want to cancel it."
            )
        if not env.context.get("disable_cancel_warning") and any(
            rec.get("state") != "draft" for rec in records.values()
        ):
            # Odoo shows the sale.order.cancel wizard (for one order) and cancels nothing yet
            if len(self.ids) != 1:
                raise ValueError(f"Expected singleton: sale.order({', '.join(map(str, self.ids))})")
            return {
                "name": "Cancel Sales Order",
                "view_mode": "form",
                "res_model": "sale.order.cancel",
                "view_id": False,
                "type": "ir.actions.act_window",
                "context": {"default_order_id": self.ids[0]},
                "target": "new",
            }
        orm.write_records(env.sudo(), "sale.order", self.ids, {"state": "cancel"})
        return True

    @order.method("action_draft")
    def action_draft(self):
        ids = [rid for rid, rec in _states(self).items() if rec.get("state") in ("cancel", "sent")]
        if ids:
            orm.write_records(self.env.sudo(), "sale.order", ids, {"state": "draft"})
        return True

    @order.method("action_quotation_sent")
    def action_quotation_sent(self):
        records = _states(self)
        if any(rec.get("state") != "draft" for rec in records.values()):
            raise UserError("Only draft orders can be marked as sent directly.")
        orm.write_records(self.env.sudo(), "sale.order", self.ids, {"state": "sent"})
        return True

    @order.method("action_lock")
    def action_lock(self):
        _states(self)
        orm.write_records(self.env.sudo(), "sale.order", self.ids, {"locked": True})
        return True

    @order.method("action_unlock")
    def action_unlock(self):
        _states(self)
        orm.write_records(self.env.sudo(), "sale.order", self.ids, {"locked": False})
        return True

    registry["sale.order.line"] = ModelDef(
        "sale.order.line",
        "Sales Order Line",
        {
            "order_id": many2one(
                "sale.order", "Order Reference", required=True, ondelete="cascade"
            ),
            "sequence": integer("Sequence", default=10),
            "name": text("Description", required=True),
            "display_type": selection(
                [("line_section", "Section"), ("line_note", "Note")], "Display Type", default=False
            ),
            "is_downpayment": boolean("Is a down payment", default=False),
            "product_id": many2one("product.product", "Product", ondelete="restrict"),
            "product_uom_qty": floating("Quantity", required=True, default=1.0, digits=(16, 4)),
            "product_uom": many2one("uom.uom", "Unit of Measure"),
            # no field default: a line without a price takes the product's sales price
            "price_unit": floating("Unit Price", required=True),
            "discount": floating("Discount (%)", default=0.0),
            "tax_id": many2many("account.tax", "Taxes"),
            "price_subtotal": monetary(
                "Subtotal", compute=lambda env, rec: sale_line_amounts(env, rec)[0]
            ),
            "price_tax": monetary(
                "Total Tax", compute=lambda env, rec: sale_line_amounts(env, rec)[1]
            ),
            "price_total": monetary(
                "Total", compute=lambda env, rec: orm.money_round(sum(sale_line_amounts(env, rec)))
            ),
            "qty_delivered": floating("Delivery Quantity", default=0.0, copy=False),
            "qty_invoiced": floating("Invoiced Quantity", default=0.0, readonly=True, copy=False),
            "qty_to_invoice": floating("Quantity To Invoice", compute=_qty_to_invoice),
            "analytic_distribution": json_("Analytic Distribution"),
            "state": selection(SO_STATES, "Order Status", compute=_from_order("state")),
            "order_partner_id": many2one(
                "res.partner", "Customer", compute=_from_order("partner_id")
            ),
            "company_id": many2one("res.company", "Company", compute=_from_order("company_id")),
            "currency_id": many2one("res.currency", "Currency", compute=_from_order("currency_id")),
        },
        order="order_id, sequence, id",
        display_name=lambda env, rec: (
            f"{_tables(env)['sale.order'].get(rec.get('order_id'), {}).get('name', '')} - "
            f"{(rec.get('name') or '').splitlines()[0] if rec.get('name') else ''}"
        ),
        acl="sale",
        before_create=_line_before_create,
        after_create=_line_after_create,
        before_write=_line_before_write,
        after_write=_line_after_write,
        before_unlink=_line_before_unlink,
    )
