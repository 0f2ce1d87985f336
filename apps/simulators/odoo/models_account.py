"""account, analytic and budget: vendor bills with their lines, payments, the payment wizard,
analytic plans and accounts (cost codes, project accounts), budget.analytic / budget.line."""

from __future__ import annotations

from collections import defaultdict

from . import orm
from .analytic import distribution_account_ids, validate_distribution
from .exceptions import UserError
from .fields import (
    ModelDef,
    boolean,
    char,
    date,
    floating,
    html,
    integer,
    json_,
    many2many,
    many2one,
    monetary,
    one2many,
    selection,
)
from .models_purchase import line_amounts

MOVE_TYPES = [
    ("entry", "Journal Entry"),
    ("out_invoice", "Customer Invoice"),
    ("out_refund", "Customer Credit Note"),
    ("in_invoice", "Vendor Bill"),
    ("in_refund", "Vendor Credit Note"),
    ("out_receipt", "Sales Receipt"),
    ("in_receipt", "Purchase Receipt"),
]
PAYMENT_STATES = [
    ("not_paid", "Not Paid"),
    ("in_payment", "In Payment"),
    ("paid", "Paid"),
    ("partial", "Partially Paid"),
    ("reversed", "Reversed"),
    ("blocked", "Blocked"),
    ("invoicing_legacy", "Invoicing App Legacy"),
]
PURCHASE_TYPES = ("in_invoice", "in_refund", "in_receipt")
RELEASE_TO_PAY = [("yes", "Yes"), ("no", "No"), ("exception", "Exception")]
DRAFT_LABELS = {
    "in_invoice": "Bill",
    "in_refund": "Vendor Credit Note",
    "out_invoice": "Invoice",
    "out_refund": "Credit Note",
    "entry": "Entry",
}


def _tables(env):
    return env.store.tables


def _move_lines(env, move_id) -> list[dict]:
    table = _tables(env)["account.move.line"]
    ids = env.store.inverse[("account.move.line", "move_id")].get(move_id, ())
    return [table[i] for i in sorted(ids) if i in table]


def _move_amounts(env, rec) -> tuple[float, float]:
    untaxed = tax = 0.0
    for line in _move_lines(env, rec["id"]):
        if line.get("display_type") not in (False, None, "product"):
            continue
        subtotal, line_tax = line_amounts(env, line)
        untaxed += subtotal
        tax += line_tax
    return orm.money_round(untaxed), orm.money_round(tax)


def _line_can_be_paid(env, line) -> str:
    po_line = _tables(env)["purchase.order.line"].get(line.get("purchase_line_id"))
    if po_line is None:
        return "yes"
    from .models_purchase import qty_invoiced

    received = po_line.get("qty_received") or 0.0
    if received <= 0:
        return "no"
    return "yes" if received + 1e-9 >= qty_invoiced(env, po_line) else "exception"


def _release_to_pay(env, rec) -> str:
    if rec.get("move_type") not in PURCHASE_TYPES or _payment_state(env, rec) == "paid":
        return "yes"
    if rec.get("force_release_to_pay") or rec.get("release_to_pay_manual"):
        return rec.get("release_to_pay_manual") or "exception"
    statuses = {
        _line_can_be_paid(env, line)
        for line in _move_lines(env, rec["id"])
        if line.get("display_type") in (False, None, "product")
    }
    if "exception" in statuses:
        return "exception"
    if statuses and statuses <= {"yes"}:
        return "yes"
    return "no" if statuses else "yes"


def _paid_amount(rec) -> float:
    return sum((rec.get("__payments") or {}).values())


def _amount_residual(env, rec) -> float:
    if rec.get("state") != "posted":
        return orm.money_round(sum(_move_amounts(env, rec)))
    return orm.money_round(max(sum(_move_amounts(env, rec)) - _paid_amount(rec), 0.0))


def _payment_state(env, rec) -> str:
    if rec.get("state") != "posted" or rec.get("move_type") == "entry":
        return "not_paid"
    total = orm.money_round(sum(_move_amounts(env, rec)))
    paid = _paid_amount(rec)
    if total <= 0 or paid <= 0:
        return "not_paid"
    if paid >= total - 0.005:
        return "paid"
    return "partial"


def _move_display_name(env, rec) -> str:
    if rec.get("name") and rec.get("name") != "/":
        return rec["name"]
    label = DRAFT_LABELS.get(rec.get("move_type") or "entry", "Entry")
    return f"Draft {label} (* {rec['id']})"


def _default_journal(env, move_type) -> int | bool:
    wanted = "purchase" if move_type in PURCHASE_TYPES else "general"
    for journal in _tables(env)["account.journal"].values():
        if journal.get("type") == wanted:
            return journal["id"]
    return False


def _move_before_create(env, vals):
    if not vals.get("journal_id"):
        vals["journal_id"] = _default_journal(env, vals.get("move_type") or "entry")
    return vals


def _move_before_write(env, ids, vals):
    table = _tables(env)["account.move"]
    protected = {
        "partner_id",
        "invoice_line_ids",
        "line_ids",
        "currency_id",
        "invoice_date",
        "date",
        "journal_id",
        "move_type",
    }
    touched = protected.intersection(vals)
    for rid in ids:
        if table[rid].get("state") == "posted" and touched:
            raise UserError(
                "You cannot modify a posted entry of this journal "
                f"({_move_display_name(env, table[rid])}). First reset it to draft. "
                f"(fields: {', '.join(sorted(touched))})"
            )
    return vals


def _move_before_unlink(env, ids):
    table = _tables(env)["account.move"]
    for rid in ids:
        if table[rid].get("state") == "posted":
            raise UserError("You cannot delete an entry which has been posted once.")


def _move_line_before_create(env, vals):
    tables = _tables(env)
    product = tables["product.product"].get(vals.get("product_id"))
    move = tables["account.move"].get(vals.get("move_id"), {})
    if move.get("state") == "posted":
        raise UserError("You cannot add lines to a posted entry. First reset it to draft.")
    vals.setdefault("display_type", "product")
    if product is not None:
        if not vals.get("name"):
            vals["name"] = orm.display_name(env, "product.product", product["id"])
        if not vals.get("product_uom_id"):
            vals["product_uom_id"] = orm.get_value(env, "product.product", product, "uom_id")
        if "tax_ids" not in vals and move.get("move_type") in PURCHASE_TYPES:
            taxes = orm.get_value(env, "product.product", product, "supplier_taxes_id")
            vals["tax_ids"] = [(6, 0, list(taxes or []))]
    if not vals.get("account_id") and vals.get("display_type") == "product":
        for account in tables["account.account"].values():
            if account.get("account_type") == "expense":
                vals["account_id"] = account["id"]
                break
    return vals


def _move_line_after_create(env, ids, vals_list):
    table = _tables(env)["account.move.line"]
    for rid in ids:
        line = table[rid]
        if line.get("analytic_distribution"):
            env.store.update(
                "account.move.line",
                rid,
                {
                    "analytic_distribution": validate_distribution(
                        env, line["analytic_distribution"]
                    )
                },
            )


def _move_line_before_write(env, ids, vals):
    moves = _tables(env)["account.move"]
    table = _tables(env)["account.move.line"]
    for rid in ids:
        if moves.get(table[rid].get("move_id"), {}).get("state") == "posted" and set(vals) - {
            "analytic_distribution",
            "name",
        }:
            raise UserError(
                "You cannot modify a posted entry of this journal. First reset it to draft."
            )
    if "analytic_distribution" in vals:
        vals["analytic_distribution"] = validate_distribution(env, vals["analytic_distribution"])
    return vals


def _move_line_before_unlink(env, ids):
    moves = _tables(env)["account.move"]
    table = _tables(env)["account.move.line"]
    for rid in ids:
        move = moves.get(table[rid].get("move_id"), {})
        if move.get("state") == "posted" and not env.context.get("_move_unlink"):
            raise UserError(
                "You cannot delete an item linked to a posted entry. First reset it to draft."
            )


def _sequence_name(env, prefix: str, day: str) -> str:
    year, month = day[:4], day[5:7]
    number = env.store.next_sequence(f"{prefix}/{year}/{month}")
    return f"{prefix}/{year}/{month}/{number:04d}"


def create_bill_from_orders(env, order_ids) -> list[int]:
    """purchase.order.action_create_invoice: one draft bill per vendor from qty_to_invoice."""
    from .models_purchase import _order_lines, _qty_to_invoice

    tables = _tables(env)
    by_partner: dict[tuple, list[tuple[dict, dict, float]]] = defaultdict(list)
    for order_id in order_ids:
        order = tables["purchase.order"][order_id]
        if order.get("state") != "purchase":
            continue
        for line in _order_lines(env, order_id):
            quantity = _qty_to_invoice(env, line)
            if line.get("display_type") or abs(quantity) < 1e-9:
                continue
            key = (order.get("partner_id"), order.get("currency_id"), order.get("company_id"))
            by_partner[key].append((order, line, quantity))
    if not by_partner:
        raise UserError(
            "There is no invoiceable line. If a product has a control policy based on received "
            "quantity, please make sure that a quantity has been received."
        )
    su = env.sudo()
    bill_ids = []
    for (partner_id, currency_id, _company), entries in by_partner.items():
        origins = ", ".join(dict.fromkeys(order.get("name") for order, _, _ in entries))
        refs = ", ".join(
            dict.fromkeys(
                order.get("partner_ref") for order, _, _ in entries if order.get("partner_ref")
            )
        )
        bill_ids.extend(
            orm.create_records(
                su,
                "account.move",
                [
                    {
                        "move_type": "in_invoice",
                        "partner_id": partner_id,
                        "currency_id": currency_id,
                        "invoice_origin": origins,
                        "ref": refs or False,
                        "invoice_line_ids": [
                            (
                                0,
                                0,
                                {
                                    "display_type": "product",
                                    "name": f"{order.get('name')}: {line.get('name')}",
                                    "product_id": line.get("product_id"),
                                    "product_uom_id": line.get("uom_id"),
                                    "quantity": quantity,
                                    "price_unit": line.get("price_unit") or 0.0,
                                    "discount": line.get("discount") or 0.0,
                                    "tax_ids": [(6, 0, list(line.get("tax_ids") or []))],
                                    "purchase_line_id": line["id"],
                                    "analytic_distribution": line.get("analytic_distribution")
                                    or False,
                                },
                            )
                            for order, line, quantity in entries
                        ],
                    }
                ],
            )
        )
    return bill_ids


def _analytic_amount(env, account_ids: set[int], date_from=None, date_to=None) -> float:
    """Signed cost booked on posted vendor bills for lines whose distribution covers accounts."""
    tables = _tables(env)
    moves = tables["account.move"]
    total = 0.0
    for line in tables["account.move.line"].values():
        distribution = line.get("analytic_distribution")
        if not distribution:
            continue
        move = moves.get(line.get("move_id"), {})
        if move.get("state") != "posted" or move.get("move_type") not in PURCHASE_TYPES:
            continue
        day = move.get("date") or ""
        if (date_from and day < date_from) or (date_to and day > date_to):
            continue
        subtotal = line_amounts(env, line)[0]
        sign = -1.0 if move.get("move_type") == "in_refund" else 1.0
        for ids, percentage in distribution_account_ids(distribution):
            if account_ids.issubset(ids):
                total += sign * subtotal * percentage / 100.0
    return orm.money_round(total)


def _committed_amount(env, account_ids: set[int]) -> float:
    """Confirmed purchase order lines not billed yet (purchase orders commit budget)."""
    from .models_purchase import qty_invoiced

    tables = _tables(env)
    orders = tables["purchase.order"]
    total = 0.0
    for line in tables["purchase.order.line"].values():
        distribution = line.get("analytic_distribution")
        if not distribution or orders.get(line.get("order_id"), {}).get("state") != "purchase":
            continue
        open_qty = max((line.get("product_qty") or 0.0) - qty_invoiced(env, line), 0.0)
        price = (line.get("price_unit") or 0.0) * (1 - (line.get("discount") or 0.0) / 100.0)
        for ids, percentage in distribution_account_ids(distribution):
            if account_ids.issubset(ids):
                total += open_qty * price * percentage / 100.0
    return orm.money_round(total)


def _budget_line_accounts(rec) -> set[int]:
    return {rec[key] for key in ("account_id", "x_plan2_id") if rec.get(key)}


def _budget_line_dates(env, rec):
    budget = _tables(env)["budget.analytic"].get(rec.get("budget_analytic_id"), {})
    return budget.get("date_from"), budget.get("date_to")


def _achieved(env, rec) -> float:
    accounts = _budget_line_accounts(rec)
    if not accounts:
        return 0.0
    return _analytic_amount(env, accounts, *_budget_line_dates(env, rec))


def _committed(env, rec) -> float:
    accounts = _budget_line_accounts(rec)
    if not accounts:
        return 0.0
    return orm.money_round(_achieved(env, rec) + _committed_amount(env, accounts))


def _percentage(part, whole) -> float:
    return round(part / whole, 4) if whole else 0.0


def _analytic_display_name(env, rec) -> str:
    name = rec.get("name") or ""
    if rec.get("code"):
        name = f"[{rec['code']}] {name}"
    partner = _tables(env)["res.partner"].get(rec.get("partner_id"))
    if partner:
        name = f"{name} - {orm.display_name(env, 'res.partner', _commercial(env, partner))}"
    return name


def _commercial(env, partner) -> int:
    from .models_base import _commercial_partner

    return _commercial_partner(env, partner)


def _root_plan(env, rec):
    plans = _tables(env)["account.analytic.plan"]
    plan = plans.get(rec.get("plan_id"))
    for _ in range(20):
        if not plan or not plan.get("parent_id"):
            break
        plan = plans.get(plan["parent_id"])
    return plan["id"] if plan else False


def _budget_state_change(allowed_from: tuple[str, ...], target: str):
    def action(self):
        orm.check_exists(self.env, self._name, self.ids)
        table = self.env.store.tables["budget.analytic"]
        for rid in self.ids:
            state = table[rid].get("state")
            if state not in allowed_from:
                raise UserError(
                    f"Budget {table[rid].get('name')!r} cannot move from {state!r} to {target!r}."
                )
        orm.write_records(self.env.sudo(), "budget.analytic", self.ids, {"state": target})
        return True

    return action


def define(registry: dict[str, ModelDef]) -> None:
    registry["account.tax"] = ModelDef(
        "account.tax",
        "Tax",
        {
            "name": char("Tax Name", required=True),
            "amount": floating("Amount", required=True, default=0.0, digits=(16, 4)),
            "amount_type": selection(
                [
                    ("percent", "Percentage"),
                    ("fixed", "Fixed"),
                    ("division", "Percentage Tax Included"),
                ],
                "Tax Computation",
                required=True,
                default="percent",
            ),
            "type_tax_use": selection(
                [("sale", "Sales"), ("purchase", "Purchases"), ("none", "None")],
                "Tax Type",
                required=True,
                default="sale",
            ),
            "price_include": boolean("Included in Price", default=False),
            "description": char("Label on Invoices"),
            "active": boolean("Active", default=True),
            "company_id": many2one(
                "res.company", "Company", required=True, default=lambda env: env.company_id
            ),
        },
        order="id",
        acl="account_config",
    )
    registry["account.account"] = ModelDef(
        "account.account",
        "Account",
        {
            "name": char("Account Name", required=True),
            "code": char("Code", required=True),
            "account_type": selection(
                [
                    ("asset_receivable", "Receivable"),
                    ("asset_cash", "Bank and Cash"),
                    ("asset_current", "Current Assets"),
                    ("liability_payable", "Payable"),
                    ("liability_current", "Current Liabilities"),
                    ("equity", "Equity"),
                    ("income", "Income"),
                    ("expense", "Expenses"),
                    ("expense_direct_cost", "Cost of Revenue"),
                ],
                "Type",
                required=True,
            ),
            "reconcile": boolean("Allow Reconciliation", default=False),
            "active": boolean("Active", default=True),
        },
        order="code",
        display_name=lambda env, rec: f"{rec.get('code')} {rec.get('name')}",
        acl="account_config",
    )
    registry["account.journal"] = ModelDef(
        "account.journal",
        "Journal",
        {
            "name": char("Journal Name", required=True),
            "code": char("Short Code", required=True),
            "type": selection(
                [
                    ("sale", "Sales"),
                    ("purchase", "Purchase"),
                    ("cash", "Cash"),
                    ("bank", "Bank"),
                    ("general", "Miscellaneous"),
                ],
                "Type",
                required=True,
            ),
            "default_account_id": many2one("account.account", "Default Account"),
            "currency_id": many2one("res.currency", "Currency"),
            "company_id": many2one(
                "res.company", "Company", required=True, default=lambda env: env.company_id
            ),
            "active": boolean("Active", default=True),
        },
        order="id",
        acl="account_config",
    )

    move = ModelDef(
        "account.move",
        "Journal Entry",
        {
            "name": char("Number", default="/", copy=False),
            "ref": char("Reference", copy=False),
            "date": date("Date", required=True, default=lambda env: orm.today_string(), copy=False),
            "invoice_date": date("Invoice/Bill Date", copy=False),
            "invoice_date_due": date(
                "Due Date",
                compute=lambda env, rec: rec.get("__due") or rec.get("invoice_date") or False,
            ),
            "move_type": selection(MOVE_TYPES, "Type", required=True, default="entry"),
            "state": selection(
                [("draft", "Draft"), ("posted", "Posted"), ("cancel", "Cancelled")],
                "Status",
                required=True,
                default="draft",
                copy=False,
            ),
            "partner_id": many2one("res.partner", "Partner", ondelete="restrict"),
            "commercial_partner_id": many2one(
                "res.partner",
                "Commercial Entity",
                compute=lambda env, rec: (
                    _commercial(env, _tables(env)["res.partner"][rec["partner_id"]])
                    if rec.get("partner_id") in _tables(env)["res.partner"]
                    else False
                ),
            ),
            "currency_id": many2one(
                "res.currency",
                "Currency",
                required=True,
                default=lambda env: env.store.tables["res.company"][env.company_id]["currency_id"],
            ),
            "journal_id": many2one("account.journal", "Journal", required=True),
            "company_id": many2one("res.company", "Company", default=lambda env: env.company_id),
            "invoice_origin": char("Origin", copy=False),
            "invoice_line_ids": one2many(
                "account.move.line", "move_id", "Invoice lines", copy=True
            ),
            "line_ids": one2many("account.move.line", "move_id", "Journal Items"),
            "amount_untaxed": monetary(
                "Untaxed Amount", compute=lambda env, rec: _move_amounts(env, rec)[0]
            ),
            "amount_tax": monetary("Tax", compute=lambda env, rec: _move_amounts(env, rec)[1]),
            "amount_total": monetary(
                "Total", compute=lambda env, rec: orm.money_round(sum(_move_amounts(env, rec)))
            ),
            "amount_residual": monetary("Amount Due", compute=_amount_residual),
            "amount_total_signed": monetary(
                "Total Signed",
                compute=lambda env, rec: (
                    (
                        -1
                        if rec.get("move_type") in ("in_invoice", "out_refund", "in_receipt")
                        else 1
                    )
                    * orm.money_round(sum(_move_amounts(env, rec)))
                ),
            ),
            "payment_state": selection(PAYMENT_STATES, "Payment Status", compute=_payment_state),
            "narration": html("Terms and Conditions"),
            "partner_bank_id": many2one("res.partner.bank", "Recipient Bank"),
            "payment_reference": char("Payment Reference", copy=False),
            "purchase_id": many2one(
                "purchase.order",
                "Purchase Order",
                compute=lambda env, rec: False,
                store=False,
                help="Auto-complete helper of the form view: not stored, writes are ignored.",
            ),
            "purchase_order_count": integer(
                "Purchase Order Count",
                compute=lambda env, rec: len(
                    {
                        _tables(env)["purchase.order.line"][line["purchase_line_id"]]["order_id"]
                        for line in _move_lines(env, rec["id"])
                        if line.get("purchase_line_id") in _tables(env)["purchase.order.line"]
                    }
                ),
                store=False,
            ),
            "release_to_pay": selection(
                RELEASE_TO_PAY,
                "Release To Pay",
                compute=lambda env, rec: _release_to_pay(env, rec),
                help="3-way match (account_3way_match): yes when the billed quantities were "
                "received, no when nothing was, exception otherwise; a manual status wins.",
            ),
            "release_to_pay_manual": selection(
                RELEASE_TO_PAY,
                "Should Be Paid",
                help="Set to force the release-to-pay status (hold with 'no', release with 'yes').",
            ),
            "force_release_to_pay": boolean("Force Status", default=False),
            "is_purchase_matched": boolean(
                "Is Purchase Matched",
                compute=lambda env, rec: all(
                    line.get("purchase_line_id")
                    for line in _move_lines(env, rec["id"])
                    if line.get("display_type") in (False, None, "product")
                ),
                store=False,
            ),
        },
        order="date desc, name desc, id desc",
        display_name=_move_display_name,
        acl="account",
        before_create=_move_before_create,
        before_write=_move_before_write,
        before_unlink=_move_before_unlink,
    )
    registry["account.move"] = move

    @move.method("action_post")
    def action_post(self):
        env = self.env
        orm.check_exists(env, self._name, self.ids)
        table = env.store.tables["account.move"]
        su = env.sudo()
        for rid in self.ids:
            rec = table[rid]
            label = _move_display_name(env, rec)
            if rec.get("state") == "posted":
                raise UserError(f"The entry {label} (id {rid}) is already posted.")
            if rec.get("state") == "cancel":
                raise UserError(f"You cannot post the cancelled entry {label}.")
            is_purchase = rec.get("move_type") in PURCHASE_TYPES
            if is_purchase and not rec.get("partner_id"):
                raise UserError(
                    "The field 'Vendor' is required, please complete it to validate the "
                    "Vendor Bill."
                )
            if is_purchase and not rec.get("invoice_date"):
                raise UserError("The Bill/Refund date is required to validate this document.")
            lines = _move_lines(env, rid)
            if not lines:
                raise UserError("You need to add a line before posting.")
            for line in lines:
                if line.get("analytic_distribution"):
                    validate_distribution(env, line["analytic_distribution"])
            day = rec.get("invoice_date") or rec.get("date") or orm.today_string()
            if not rec.get("name") or rec.get("name") == "/":
                prefix = {
                    "in_invoice": "BILL",
                    "in_refund": "RBILL",
                    "out_invoice": "INV",
                    "out_refund": "RINV",
                }.get(rec.get("move_type"), "MISC")
                name = _sequence_name(env, prefix, day)
            else:
                name = rec["name"]
            orm.write_records(su, "account.move", [rid], {"state": "posted", "name": name})
            if is_purchase and rec.get("date") != day:
                env.store.update("account.move", rid, {"date": day})
            partner = env.store.tables["res.partner"].get(rec.get("partner_id"))
            if is_purchase and partner is not None:
                commercial = _commercial(env, partner)
                current = env.store.tables["res.partner"][commercial].get("supplier_rank") or 0
                orm.write_records(su, "res.partner", [commercial], {"supplier_rank": current + 1})
            orders = {
                env.store.tables["purchase.order.line"][line["purchase_line_id"]]["order_id"]
                for line in lines
                if line.get("purchase_line_id") in env.store.tables["purchase.order.line"]
            }
            orm.touch(su, "purchase.order", sorted(orders))
        return False

    @move.method("button_draft")
    def button_draft(self):
        env = self.env
        orm.check_exists(env, self._name, self.ids)
        table = env.store.tables["account.move"]
        for rid in self.ids:
            if table[rid].get("state") not in ("posted", "cancel"):
                raise UserError("Only posted/cancelled journal entries can be reset to draft.")
            if table[rid].get("__payments"):
                # resetting to draft unreconciles the payments, as Odoo does
                env.store.update("account.move", rid, {"__payments": {}})
            orm.write_records(env.sudo(), "account.move", [rid], {"state": "draft"})
        return True

    @move.method("button_cancel")
    def button_cancel(self):
        env = self.env
        orm.check_exists(env, self._name, self.ids)
        table = env.store.tables["account.move"]
        for rid in self.ids:
            if table[rid].get("state") != "draft":
                raise UserError("Only draft journal entries can be cancelled.")
        orm.write_records(env.sudo(), "account.move", self.ids, {"state": "cancel"})
        return True

    registry["account.move.line"] = ModelDef(
        "account.move.line",
        "Journal Item",
        {
            "move_id": many2one("account.move", "Journal Entry", required=True, ondelete="cascade"),
            "sequence": integer("Sequence", default=10),
            "name": char("Label"),
            "display_type": selection(
                [
                    ("product", "Product"),
                    ("cogs", "Cost of Goods Sold"),
                    ("tax", "Tax"),
                    ("discount", "Discount"),
                    ("rounding", "Rounding"),
                    ("payment_term", "Payment Term"),
                    ("line_section", "Section"),
                    ("line_note", "Note"),
                    ("epd", "Early Payment Discount"),
                ],
                "Display Type",
                default="product",
            ),
            "product_id": many2one("product.product", "Product", ondelete="restrict"),
            "product_uom_id": many2one("uom.uom", "Unit"),
            "quantity": floating("Quantity", default=1.0, digits=(16, 4)),
            "price_unit": floating("Unit Price", default=0.0),
            "discount": floating("Discount (%)", default=0.0),
            "tax_ids": many2many("account.tax", "Taxes"),
            "price_subtotal": monetary(
                "Subtotal", compute=lambda env, rec: line_amounts(env, rec)[0]
            ),
            "price_total": monetary(
                "Total", compute=lambda env, rec: orm.money_round(sum(line_amounts(env, rec)))
            ),
            "account_id": many2one("account.account", "Account", ondelete="restrict"),
            "purchase_line_id": many2one(
                "purchase.order.line", "Purchase Order Line", ondelete="set null"
            ),
            "purchase_order_id": many2one(
                "purchase.order",
                "Purchase Order",
                compute=lambda env, rec: (
                    _tables(env)["purchase.order.line"]
                    .get(rec.get("purchase_line_id"), {})
                    .get("order_id", False)
                ),
            ),
            "analytic_distribution": json_("Analytic Distribution"),
            "partner_id": many2one(
                "res.partner",
                "Partner",
                compute=lambda env, rec: (
                    _tables(env)["account.move"]
                    .get(rec.get("move_id"), {})
                    .get("partner_id", False)
                ),
            ),
            "currency_id": many2one(
                "res.currency",
                "Currency",
                compute=lambda env, rec: (
                    _tables(env)["account.move"]
                    .get(rec.get("move_id"), {})
                    .get("currency_id", False)
                ),
            ),
            "parent_state": selection(
                [("draft", "Draft"), ("posted", "Posted"), ("cancel", "Cancelled")],
                "Status",
                compute=lambda env, rec: (
                    _tables(env)["account.move"].get(rec.get("move_id"), {}).get("state", False)
                ),
            ),
            "date": date(
                "Date",
                compute=lambda env, rec: (
                    _tables(env)["account.move"].get(rec.get("move_id"), {}).get("date", False)
                ),
            ),
        },
        order="move_id, sequence, id",
        display_name=lambda env, rec: " ".join(
            part
            for part in (
                _move_display_name(env, _tables(env)["account.move"][rec["move_id"]])
                if rec.get("move_id") in _tables(env)["account.move"]
                else "",
                rec.get("name") or "",
            )
            if part
        ),
        acl="account",
        before_create=_move_line_before_create,
        after_create=_move_line_after_create,
        before_write=_move_line_before_write,
        before_unlink=_move_line_before_unlink,
    )

    payment = ModelDef(
        "account.payment",
        "Payments",
        {
            "name": char("Number", default="/", copy=False),
            "payment_type": selection(
                [("outbound", "Send"), ("inbound", "Receive")],
                "Payment Type",
                required=True,
                default="inbound",
            ),
            "partner_type": selection(
                [("customer", "Customer"), ("supplier", "Vendor")],
                "Partner Type",
                default="customer",
            ),
            "partner_id": many2one("res.partner", "Customer/Vendor", ondelete="restrict"),
            "amount": monetary("Amount", default=0.0),
            "currency_id": many2one(
                "res.currency",
                "Currency",
                default=lambda env: env.store.tables["res.company"][env.company_id]["currency_id"],
            ),
            "date": date("Date", required=True, default=lambda env: orm.today_string()),
            "memo": char("Memo"),
            "journal_id": many2one(
                "account.journal",
                "Journal",
                required=True,
                default=lambda env: next(
                    (
                        j["id"]
                        for j in env.store.tables["account.journal"].values()
                        if j.get("type") == "bank"
                    ),
                    False,
                ),
            ),
            "partner_bank_id": many2one("res.partner.bank", "Recipient Bank Account"),
            "state": selection(
                [
                    ("draft", "Draft"),
                    ("in_process", "In Process"),
                    ("paid", "Paid"),
                    ("canceled", "Canceled"),
                    ("rejected", "Rejected"),
                ],
                "Status",
                required=True,
                default="draft",
                copy=False,
            ),
            "reconciled_bill_ids": many2many(
                "account.move",
                "Reconciled Bills",
                help="Simulator: the bills this payment settles (set it, or use "
                "account.payment.register); read it like Odoo's computed field.",
            ),
            "company_id": many2one("res.company", "Company", default=lambda env: env.company_id),
        },
        order="date desc, name desc",
        acl="account",
    )
    registry["account.payment"] = payment

    @payment.method("action_post")
    def payment_action_post(self):
        env = self.env
        orm.check_exists(env, self._name, self.ids)
        table = env.store.tables["account.payment"]
        for rid in self.ids:
            rec = table[rid]
            if rec.get("state") != "draft":
                raise UserError("Only a draft payment can be posted.")
            if (rec.get("amount") or 0.0) <= 0:
                raise UserError("The payment amount must be strictly positive.")
            _post_payment(env, rid)
        return False

    @payment.method("action_cancel")
    def payment_action_cancel(self):
        env = self.env
        orm.check_exists(env, self._name, self.ids)
        for rid in self.ids:
            _unallocate_payment(env, rid)
        orm.write_records(env.sudo(), "account.payment", self.ids, {"state": "canceled"})
        return True

    @payment.method("action_draft")
    def payment_action_draft(self):
        env = self.env
        orm.check_exists(env, self._name, self.ids)
        for rid in self.ids:
            _unallocate_payment(env, rid)
        orm.write_records(env.sudo(), "account.payment", self.ids, {"state": "draft"})
        return True

    register = ModelDef(
        "account.payment.register",
        "Pay",
        {
            "payment_date": date(
                "Payment Date", required=True, default=lambda env: orm.today_string()
            ),
            "amount": monetary("Amount", default=0.0),
            "communication": char("Memo"),
            "journal_id": many2one(
                "account.journal",
                "Journal",
                default=lambda env: next(
                    (
                        j["id"]
                        for j in env.store.tables["account.journal"].values()
                        if j.get("type") == "bank"
                    ),
                    False,
                ),
            ),
            "partner_bank_id": many2one("res.partner.bank", "Recipient Bank Account"),
            "group_payment": boolean("Group Payments", default=True),
            "currency_id": many2one(
                "res.currency",
                "Currency",
                default=lambda env: env.store.tables["res.company"][env.company_id]["currency_id"],
            ),
        },
        transient=True,
        rec_name="communication",
        acl="account",
        before_create=_register_before_create,
    )
    registry["account.payment.register"] = register

    @register.method("action_create_payments")
    def action_create_payments(self):
        env = self.env
        orm.check_exists(env, self._name, self.ids)
        payment_ids = []
        for rid in self.ids:
            wizard = env.store.tables["account.payment.register"][rid]
            bill_ids = wizard.get("__active_ids") or []
            bills = [env.store.tables["account.move"][b] for b in bill_ids]
            amount = wizard.get("amount") or sum(_amount_residual(env, b) for b in bills)
            memo = wizard.get("communication") or ", ".join(
                b.get("ref") or _move_display_name(env, b) for b in bills
            )
            payment_id = orm.create_records(
                env.sudo(),
                "account.payment",
                [
                    {
                        "payment_type": "outbound",
                        "partner_type": "supplier",
                        "partner_id": bills[0].get("partner_id"),
                        "amount": amount,
                        "currency_id": bills[0].get("currency_id"),
                        "date": wizard.get("payment_date"),
                        "memo": memo,
                        "journal_id": wizard.get("journal_id"),
                        "partner_bank_id": wizard.get("partner_bank_id")
                        or bills[0].get("partner_bank_id")
                        or False,
                        "reconciled_bill_ids": [(6, 0, bill_ids)],
                    }
                ],
            )[0]
            _post_payment(env, payment_id)
            payment_ids.append(payment_id)
        action = {
            "name": "Payments",
            "type": "ir.actions.act_window",
            "res_model": "account.payment",
            "context": {"create": False},
        }
        if len(payment_ids) == 1:
            action.update({"view_mode": "form", "res_id": payment_ids[0]})
        else:
            action.update({"view_mode": "list,form", "domain": [["id", "in", payment_ids]]})
        return action

    plan = ModelDef(
        "account.analytic.plan",
        "Analytic Plans",
        {
            "name": char("Name", required=True),
            "description": html("Description"),
            "parent_id": many2one("account.analytic.plan", "Parent", ondelete="cascade"),
            "children_ids": one2many("account.analytic.plan", "parent_id", "Children"),
            "account_ids": one2many("account.analytic.account", "plan_id", "Accounts"),
            "default_applicability": selection(
                [
                    ("optional", "Optional"),
                    ("mandatory", "Mandatory"),
                    ("unavailable", "Unavailable"),
                ],
                "Default Applicability",
                default="optional",
            ),
            "color": integer("Color", default=0),
            "account_count": integer(
                "Analytic Accounts Count",
                compute=lambda env, rec: len(
                    env.store.inverse[("account.analytic.account", "plan_id")].get(rec["id"], ())
                ),
                store=False,
            ),
        },
        order="id",
        parent_name="parent_id",
        acl="analytic",
    )
    registry["account.analytic.plan"] = plan
    registry["account.analytic.account"] = ModelDef(
        "account.analytic.account",
        "Analytic Account",
        {
            "name": char("Analytic Account", required=True),
            "code": char("Reference"),
            "active": boolean("Active", default=True),
            "plan_id": many2one("account.analytic.plan", "Plan", required=True),
            "root_plan_id": many2one("account.analytic.plan", "Root Plan", compute=_root_plan),
            "partner_id": many2one("res.partner", "Customer"),
            "company_id": many2one("res.company", "Company", default=lambda env: env.company_id),
            "currency_id": many2one(
                "res.currency",
                "Currency",
                compute=lambda env, rec: (
                    env.store.tables["res.company"]
                    .get(rec.get("company_id") or 1, {})
                    .get("currency_id", False)
                ),
            ),
            "balance": monetary(
                "Balance",
                compute=lambda env, rec: -_analytic_amount(env, {rec["id"]}),
                store=False,
            ),
            "project_ids": one2many("project.project", "account_id", "Projects"),
        },
        order="plan_id, name asc",
        display_name=_analytic_display_name,
        acl="analytic",
    )

    budget = ModelDef(
        "budget.analytic",
        "Budget",
        {
            "name": char("Budget Name", required=True),
            "parent_id": many2one("budget.analytic", "Revision Of", copy=False, ondelete="cascade"),
            "children_ids": one2many("budget.analytic", "parent_id", "Revisions"),
            "user_id": many2one("res.users", "Responsible", default=lambda env: env.uid),
            "date_from": date("Start Date", required=True),
            "date_to": date("End Date", required=True),
            "state": selection(
                [
                    ("draft", "Draft"),
                    ("confirmed", "Open"),
                    ("revised", "Revised"),
                    ("done", "Done"),
                    ("canceled", "Canceled"),
                ],
                "Status",
                default="draft",
                copy=False,
            ),
            "budget_type": selection(
                [("revenue", "Revenue"), ("expense", "Expense"), ("both", "Both")],
                "Budget Type",
                default="expense",
            ),
            "budget_line_ids": one2many(
                "budget.line", "budget_analytic_id", "Budget Lines", copy=True
            ),
            "company_id": many2one(
                "res.company", "Company", required=True, default=lambda env: env.company_id
            ),
        },
        order="id desc",
        acl="budget",
    )
    registry["budget.analytic"] = budget
    budget.method("action_budget_confirm")(_budget_state_change(("draft",), "confirmed"))
    budget.method("action_budget_draft")(_budget_state_change(("canceled", "confirmed"), "draft"))
    budget.method("action_budget_cancel")(_budget_state_change(("draft", "confirmed"), "canceled"))
    budget.method("action_budget_done")(_budget_state_change(("confirmed", "revised"), "done"))

    @budget.method("create_revised_budget")
    def create_revised_budget(self):
        env = self.env
        orm.check_exists(env, self._name, self.ids)
        su = env.sudo()
        new_ids = []
        for rid in self.ids:
            rec = env.store.tables["budget.analytic"][rid]
            lines = [
                env.store.tables["budget.line"][i]
                for i in sorted(
                    env.store.inverse[("budget.line", "budget_analytic_id")].get(rid, ())
                )
            ]
            new_id = orm.create_records(
                su,
                "budget.analytic",
                [
                    {
                        "name": f"{rec['name']} (revised)",
                        "parent_id": rid,
                        "date_from": rec.get("date_from"),
                        "date_to": rec.get("date_to"),
                        "budget_type": rec.get("budget_type"),
                        "budget_line_ids": [
                            (
                                0,
                                0,
                                {
                                    "account_id": line.get("account_id"),
                                    "x_plan2_id": line.get("x_plan2_id"),
                                    "budget_amount": line.get("budget_amount"),
                                },
                            )
                            for line in lines
                        ],
                    }
                ],
            )[0]
            orm.write_records(su, "budget.analytic", [rid], {"state": "revised"})
            new_ids.append(new_id)
        return {
            "type": "ir.actions.act_window",
            "res_model": "budget.analytic",
            "view_mode": "list,form",
            "domain": [["id", "in", new_ids]],
        }

    registry["budget.line"] = ModelDef(
        "budget.line",
        "Budget Line",
        {
            "budget_analytic_id": many2one(
                "budget.analytic", "Budget Analytic", required=True, ondelete="cascade"
            ),
            "sequence": integer("Sequence", default=10),
            "date_from": date(
                "Start Date", compute=lambda env, rec: _budget_line_dates(env, rec)[0]
            ),
            "date_to": date("End Date", compute=lambda env, rec: _budget_line_dates(env, rec)[1]),
            "account_id": many2one("account.analytic.account", "Project"),
            "x_plan2_id": many2one("account.analytic.account", "Cost Codes"),
            "currency_id": many2one(
                "res.currency",
                "Currency",
                compute=lambda env, rec: env.store.tables["res.company"][1]["currency_id"],
            ),
            "budget_amount": monetary("Budgeted", default=0.0),
            "achieved_amount": monetary("Achieved", compute=_achieved),
            "achieved_percentage": floating(
                "Achieved (%)",
                compute=lambda env, rec: _percentage(
                    _achieved(env, rec), rec.get("budget_amount") or 0.0
                ),
                store=False,
            ),
            "committed_amount": monetary("Committed", compute=_committed, store=False),
            "committed_percentage": floating(
                "Committed (%)",
                compute=lambda env, rec: _percentage(
                    _committed(env, rec), rec.get("budget_amount") or 0.0
                ),
                store=False,
            ),
            "company_id": many2one("res.company", "Company", default=lambda env: env.company_id),
        },
        order="sequence, id",
        display_name=lambda env, rec: " - ".join(
            part
            for part in (
                _tables(env)["budget.analytic"]
                .get(rec.get("budget_analytic_id"), {})
                .get("name", ""),
                orm.display_name(env, "account.analytic.account", rec["x_plan2_id"])
                if rec.get("x_plan2_id")
                else "",
            )
            if part
        ),
        acl="budget",
    )


def _register_before_create(env, vals):
    if env.context.get("active_model") not in (None, "account.move", "account.move.line"):
        raise UserError(
            "The register payment wizard should only be called on account.move records."
        )
    active_ids = env.context.get("active_ids") or (
        [env.context["active_id"]] if env.context.get("active_id") else []
    )
    moves = env.store.tables["account.move"]
    if env.context.get("active_model") == "account.move.line":
        lines = env.store.tables["account.move.line"]
        active_ids = sorted({lines[i]["move_id"] for i in active_ids if i in lines})
    if not active_ids:
        raise UserError(
            "The register payment wizard needs active_ids (the bills to pay) in the context."
        )
    for bill_id in active_ids:
        bill = moves.get(bill_id)
        if bill is None:
            raise orm.missing_error(env, "account.move", [bill_id])
        if bill.get("state") != "posted":
            raise UserError("You can only register payment for posted journal entries.")
        if _payment_state(env, bill) == "paid":
            raise UserError(
                "You can't register a payment because there is nothing left to pay on the "
                "selected journal items."
            )
    partners = {moves[b].get("partner_id") for b in active_ids}
    if len(partners) > 1 and vals.get("group_payment", True):
        raise UserError("Grouped payments need bills of a single vendor in this simulator.")
    vals["__active_ids"] = list(active_ids)
    if not vals.get("amount"):
        vals["amount"] = orm.money_round(sum(_amount_residual(env, moves[b]) for b in active_ids))
    return vals


def _post_payment(env, payment_id) -> None:
    table = env.store.tables["account.payment"]
    rec = table[payment_id]
    name = rec.get("name")
    if not name or name == "/":
        name = _sequence_name(
            env,
            "PBNK1" if rec.get("payment_type") == "outbound" else "RBNK1",
            rec.get("date") or orm.today_string(),
        )
    remaining = rec.get("amount") or 0.0
    moves = env.store.tables["account.move"]
    for bill_id in rec.get("reconciled_bill_ids") or []:
        bill = moves.get(bill_id)
        if bill is None or bill.get("state") != "posted" or remaining <= 0:
            continue
        due = _amount_residual(env, bill)
        allocated = orm.money_round(min(due, remaining))
        if allocated <= 0:
            continue
        payments = dict(bill.get("__payments") or {})
        payments[str(payment_id)] = allocated
        env.store.update("account.move", bill_id, {"__payments": payments})
        orm.touch(env.sudo(), "account.move", [bill_id])
        remaining = orm.money_round(remaining - allocated)
    orm.write_records(env.sudo(), "account.payment", [payment_id], {"state": "paid", "name": name})


def _unallocate_payment(env, payment_id) -> None:
    moves = env.store.tables["account.move"]
    rec = env.store.tables["account.payment"][payment_id]
    for bill_id in rec.get("reconciled_bill_ids") or []:
        bill = moves.get(bill_id)
        if bill and str(payment_id) in (bill.get("__payments") or {}):
            payments = {k: v for k, v in bill["__payments"].items() if k != str(payment_id)}
            env.store.update("account.move", bill_id, {"__payments": payments})
            orm.touch(env.sudo(), "account.move", [bill_id])
