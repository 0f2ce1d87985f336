"""base, product and uom models: companies, currencies, partners, users, groups, ir.model(.data)."""

from __future__ import annotations

from . import orm
from .exceptions import ValidationError
from .fields import (
    ModelDef,
    boolean,
    char,
    date,
    floating,
    integer,
    many2many,
    many2one,
    monetary,
    one2many,
    selection,
    text,
)


def _company_currency(env) -> int | bool:
    company = env.store.tables["res.company"].get(env.company_id)
    return company.get("currency_id") if company else False


def _current_company(env) -> int:
    return env.company_id


def _partner_display_name(env, rec) -> str:
    name = rec.get("name") or ""
    parent_id = rec.get("parent_id")
    if parent_id and not rec.get("is_company"):
        parent = env.store.tables["res.partner"].get(parent_id)
        if parent:
            return f"{_partner_display_name(env, parent)}, {name}"
    return name


def _commercial_partner(env, rec) -> int:
    current = rec
    table = env.store.tables["res.partner"]
    for _ in range(20):
        if current.get("is_company") or not current.get("parent_id"):
            return current["id"]
        parent = table.get(current["parent_id"])
        if parent is None:
            return current["id"]
        current = parent
    return current["id"]


def _currency_rate(env, rec) -> float:
    rates = [
        r
        for r in env.store.tables["res.currency.rate"].values()
        if r.get("currency_id") == rec["id"] and r.get("name", "") <= orm.today_string()
    ]
    if not rates:
        return 1.0
    return max(rates, key=lambda r: (r["name"], r["id"])).get("rate") or 1.0


def _partner_constraint(env, ids) -> None:
    table = env.store.tables["res.partner"]
    for rid in ids:
        rec = table[rid]
        if not rec.get("name") and rec.get("type", "contact") == "contact":
            raise ValidationError("Contacts require a name")


def _group_full_name(env, rec) -> str:
    return rec.get("name") or ""


def _user_share(env, rec) -> bool:
    groups = env.store.tables["res.groups"]
    return not any(
        groups.get(g, {}).get("__xml_id") == "base.group_user" for g in rec.get("group_ids") or []
    )


def _context_get(self):
    user = self.env.user
    partner = self.env.store.tables["res.partner"].get(user.get("partner_id"), {})
    return {
        "lang": partner.get("lang") or "en_US",
        "tz": partner.get("tz") or "Europe/Berlin",
        "uid": self.env.uid,
    }


def _user_store_password(env, vals):
    # the password is write-only: kept under a hidden key, read back as ""
    if vals.get("password"):
        vals["__password"] = vals["password"]
    vals.pop("password", None)
    return vals


def _xmlid_rows(env, name: str) -> list[dict]:
    # integrations keep one external id per record: an index by name keeps lookups O(1)
    table = env.store.tables["ir.model.data"]
    ids = env.store.value_index_for("ir.model.data", "name").get(name, ())
    return [table[i] for i in ids if i in table]


def _xmlid_lookup(env, module: str, name: str) -> dict | None:
    for rec in _xmlid_rows(env, name):
        if rec.get("module") == module:
            return rec
    return None


def xmlid_to_res_id(env, xmlid: str, raise_if_not_found=True) -> int | bool:
    module, _, name = xmlid.partition(".")
    rec = _xmlid_lookup(env, module, name)
    if rec is None:
        if raise_if_not_found:
            raise ValueError(f"External ID not found in the system: {xmlid}")
        return False
    return rec["res_id"]


def _imd_complete_name(env, rec) -> str:
    return f"{rec.get('module')}.{rec.get('name')}"


def _imd_unique(env, ids) -> None:
    table = env.store.tables["ir.model.data"]
    for rid in ids:
        rec = table[rid]
        for other in _xmlid_rows(env, rec.get("name")):
            if other["id"] != rid and other.get("module") == rec.get("module"):
                raise ValidationError(
                    "The operation cannot be completed: duplicate key value violates unique "
                    'constraint "ir_model_data_module_name_uniq_index"\n'
                    f"DETAIL:  Key (module, name)=({rec.get('module')}, {rec.get('name')}) "
                    "already exists."
                )
        if " " in (rec.get("name") or ""):
            raise ValidationError("External IDs cannot contain spaces")


def _template_display_name(env, rec) -> str:
    code = rec.get("default_code")
    return f"[{code}] {rec.get('name') or ''}" if code else rec.get("name") or ""


def _template_before_create(env, vals):
    if not vals.get("purchase_method"):
        vals["purchase_method"] = "purchase" if vals.get("type") == "service" else "receive"
    return vals


def _template_after_create(env, ids, vals_list) -> None:
    # Odoo creates the single variant of a new template, unless product.product is creating it
    if env.context.get("_inherits_child") == "product.product":
        return
    for rid in ids:
        orm.create_records(env, "product.product", [{"product_tmpl_id": rid}])


def define(registry: dict[str, ModelDef]) -> None:
    registry["res.country"] = ModelDef(
        "res.country",
        "Country",
        {"name": char("Country Name", required=True), "code": char("Country Code")},
    )
    registry["res.currency"] = ModelDef(
        "res.currency",
        "Currency",
        {
            "name": char("Currency", required=True),
            "full_name": char("Name"),
            "symbol": char("Symbol", required=True),
            "rounding": floating("Rounding Factor", default=0.01),
            "decimal_places": integer("Decimal Places", default=2),
            "position": selection(
                [("after", "After Amount"), ("before", "Before Amount")],
                "Symbol Position",
                default="after",
            ),
            "active": boolean("Active", default=True),
            "rate": floating("Current Rate", compute=_currency_rate, store=False),
            "rate_ids": one2many("res.currency.rate", "currency_id", "Rates"),
        },
        order="active desc, name",
        acl="account_config",
    )
    registry["res.currency.rate"] = ModelDef(
        "res.currency.rate",
        "Currency Rate",
        {
            "name": date("Date", required=True, default=lambda env: orm.today_string()),
            "rate": floating("Technical Rate", default=1.0, digits=(12, 6)),
            "currency_id": many2one("res.currency", "Currency", required=True, ondelete="cascade"),
            "company_id": many2one("res.company", "Company", default=_current_company),
        },
        order="name desc",
        acl="account",
    )
    registry["res.company"] = ModelDef(
        "res.company",
        "Companies",
        {
            "name": char("Company Name", required=True),
            "partner_id": many2one("res.partner", "Partner", required=True, ondelete="restrict"),
            "currency_id": many2one("res.currency", "Currency", required=True),
            "country_id": many2one("res.country", "Country"),
            "vat": char("Tax ID"),
            "email": char("Email"),
            "city": char("City"),
            "street": char("Street"),
            "po_double_validation": selection(
                [
                    ("one_step", "Confirm purchase orders in one step"),
                    ("two_step", "Get 2 levels of approvals to confirm a purchase order"),
                ],
                "Levels of Approvals",
                default="one_step",
            ),
            "po_double_validation_amount": monetary("Double validation amount", default=5000.0),
            "po_lock": selection(
                [
                    ("edit", "Allow to edit purchase orders"),
                    ("lock", "Confirmed purchase orders are not editable"),
                ],
                "Purchase Order Modification",
                default="edit",
            ),
            "active": boolean("Active", default=True),
        },
        order="name",
    )
    registry["res.partner"] = ModelDef(
        "res.partner",
        "Contact",
        {
            "name": char("Name"),
            "complete_name": char("Complete Name", compute=_partner_display_name, store=True),
            "is_company": boolean("Is a Company", default=False),
            "type": selection(
                [
                    ("contact", "Contact"),
                    ("invoice", "Invoice Address"),
                    ("delivery", "Delivery Address"),
                    ("other", "Other Address"),
                ],
                "Address Type",
                default="contact",
            ),
            "parent_id": many2one("res.partner", "Related Company", ondelete="restrict"),
            "child_ids": one2many("res.partner", "parent_id", "Contact"),
            "commercial_partner_id": many2one(
                "res.partner", "Commercial Entity", compute=_commercial_partner, store=True
            ),
            "ref": char("Reference"),
            "vat": char("Tax ID"),
            "company_registry": char("Company ID"),
            "email": char("Email"),
            "phone": char("Phone"),
            "street": char("Street"),
            "city": char("City"),
            "zip": char("Zip"),
            "country_id": many2one("res.country", "Country", ondelete="restrict"),
            "lang": char("Language", default="en_US"),
            "tz": char("Timezone", default="Europe/Berlin"),
            "active": boolean("Active", default=True),
            "company_id": many2one("res.company", "Company"),
            "supplier_rank": integer("Supplier Rank", default=0, copy=False),
            "customer_rank": integer("Customer Rank", default=0, copy=False),
            "bank_ids": one2many("res.partner.bank", "partner_id", "Banks"),
            "comment": text("Notes"),
        },
        order="complete_name, id",
        parent_name="parent_id",
        display_name=_partner_display_name,
        acl="partner",
        constraints=[_partner_constraint],
    )
    registry["res.partner.bank"] = ModelDef(
        "res.partner.bank",
        "Bank Accounts",
        {
            "acc_number": char("Account Number", required=True),
            "acc_holder_name": char("Account Holder Name"),
            "bank_bic": char("Bank Identifier Code"),
            "partner_id": many2one(
                "res.partner", "Account Holder", required=True, ondelete="cascade"
            ),
            "currency_id": many2one("res.currency", "Currency"),
            "allow_out_payment": boolean("Send Money", default=True),
            "active": boolean("Active", default=True),
            "company_id": many2one("res.company", "Company", default=_current_company),
        },
        rec_name="acc_number",
        order="id",
        acl="partner",
    )
    registry["res.groups"] = ModelDef(
        "res.groups",
        "Access Groups",
        {
            "name": char("Name", required=True),
            "full_name": char("Group Name", compute=_group_full_name, store=False),
            "user_ids": many2many("res.users", "Users", compute=_group_users, store=False),
            "comment": text("Comment"),
        },
        acl="data",
    )
    registry["res.users"] = ModelDef(
        "res.users",
        "User",
        {
            "partner_id": many2one(
                "res.partner", "Related Partner", required=True, ondelete="restrict"
            ),
            "login": char("Login", required=True),
            "password": char("Password", compute=lambda env, rec: "", store=True, copy=False),
            "active": boolean("Active", default=True),
            "company_id": many2one(
                "res.company", "Company", required=True, default=_current_company
            ),
            "company_ids": many2many("res.company", "Companies", default=lambda env: [1]),
            "group_ids": many2many("res.groups", "Groups"),
            "share": boolean("Share User", compute=_user_share, store=True),
            "login_date": char(
                "Latest Login", compute=lambda env, rec: rec.get("__login_date", False)
            ),
        },
        rec_name="name",
        order="name, login",
        inherits=("res.partner", "partner_id"),
        acl="data",
    )
    users = registry["res.users"]
    users.before_create = _user_store_password
    users.before_write = lambda env, ids, vals: _user_store_password(env, vals)
    users.method("context_get", api_model=True, access="none")(_context_get)

    registry["ir.model"] = ModelDef(
        "ir.model",
        "Models",
        {
            "name": char("Model Description", required=True),
            "model": char("Model", required=True),
            "info": text("Information"),
            "state": selection(
                [("manual", "Custom Object"), ("base", "Base Object")], "Type", default="manual"
            ),
            "transient": boolean("Transient Model"),
            "field_id": one2many("ir.model.fields", "model_id", "Fields"),
        },
        order="model",
        acl="data",
    )
    registry["ir.model.fields"] = ModelDef(
        "ir.model.fields",
        "Fields",
        {
            "name": char("Field Name", required=True),
            "model": char("Model Name", required=True),
            "model_id": many2one("ir.model", "Model", required=True, ondelete="cascade"),
            "field_description": char("Field Label", required=True),
            "ttype": char("Field Type", required=True),
            "relation": char("Related Model"),
            "required": boolean("Required"),
            "readonly": boolean("Readonly"),
            "store": boolean("Stored", default=True),
            "state": selection(
                [("manual", "Custom Field"), ("base", "Base Field")], "Type", default="base"
            ),
        },
        order="name",
        acl="data",
    )
    registry["ir.model.data"] = ModelDef(
        "ir.model.data",
        "Model Data",
        {
            "name": char("External Identifier", required=True),
            "module": char("Module", required=True, default=""),
            "model": char("Model Name", required=True),
            "res_id": integer("Record ID"),
            "noupdate": boolean("Non Updatable", default=False),
            "complete_name": char("Complete ID", compute=_imd_complete_name, store=False),
        },
        order="module, model, name",
        display_name=_imd_complete_name,
        acl="data",
        constraints=[_imd_unique],
    )
    imd = registry["ir.model.data"]

    @imd.method("check_object_reference", api_model=True, access="read")
    def check_object_reference(self, module, xml_id, raise_on_access_error=False):
        rec = _xmlid_lookup(self.env, module, xml_id)
        if rec is None:
            raise ValueError(f"External ID not found in the system: {module}.{xml_id}")
        return [rec["model"], rec["res_id"]]

    @imd.method("xmlid_to_res_model_res_id", api_model=True, access="read")
    def xmlid_to_res_model_res_id(self, xmlid, raise_if_not_found=False):
        module, _, name = xmlid.partition(".")
        rec = _xmlid_lookup(self.env, module, name)
        if rec is None:
            if raise_if_not_found:
                raise ValueError(f"External ID not found in the system: {xmlid}")
            return [False, False]
        return [rec["model"], rec["res_id"]]

    @imd.method("xmlid_to_res_id", api_model=True, access="read")
    def xmlid_to_res_id_method(self, xmlid, raise_if_not_found=False):
        return xmlid_to_res_id(self.env, xmlid, raise_if_not_found)

    registry["uom.uom"] = ModelDef(
        "uom.uom",
        "Product Unit of Measure",
        {
            "name": char("Unit Name", required=True),
            "rounding": floating("Rounding Precision", default=0.01),
            "relative_factor": floating("Contains", default=1.0),
            "active": boolean("Active", default=True),
        },
        order="name",
        acl="product",
    )
    template_fields = {
        "name": char("Name", required=True),
        "default_code": char("Internal Reference"),
        "type": selection(
            [("consu", "Goods"), ("service", "Service"), ("combo", "Combo")],
            "Product Type",
            default="consu",
        ),
        "is_storable": boolean("Track Inventory", default=False),
        "uom_id": many2one("uom.uom", "Unit", default=lambda env: 1),
        "list_price": floating("Sales Price", default=1.0),
        "standard_price": floating("Cost", default=0.0),
        "purchase_ok": boolean("Purchase", default=True),
        "sale_ok": boolean("Sales", default=True),
        "purchase_method": selection(
            [("purchase", "On ordered quantities"), ("receive", "On received quantities")],
            "Control Policy",
        ),
        "supplier_taxes_id": many2many("account.tax", "Purchase Taxes"),
        "description_purchase": text("Purchase Description"),
        "active": boolean("Active", default=True),
        "company_id": many2one("res.company", "Company"),
        "product_variant_ids": one2many("product.product", "product_tmpl_id", "Products"),
    }
    registry["product.template"] = ModelDef(
        "product.template",
        "Product",
        template_fields,
        order="name",
        display_name=_template_display_name,
        acl="product",
        before_create=_template_before_create,
        after_create=_template_after_create,
    )
    registry["product.product"] = ModelDef(
        "product.product",
        "Product Variant",
        {
            "product_tmpl_id": many2one(
                "product.template", "Product Template", required=True, ondelete="cascade"
            ),
            "barcode": char("Barcode", copy=False),
            "active": boolean("Active", default=True),
            "code": char(
                "Reference",
                compute=lambda env, rec: orm.get_value(env, "product.product", rec, "default_code"),
                store=False,
            ),
        },
        order="id",
        inherits=("product.template", "product_tmpl_id"),
        display_name=lambda env, rec: _variant_display_name(env, rec),
        acl="product",
    )


def _variant_display_name(env, rec) -> str:
    name = orm.get_value(env, "product.product", rec, "name") or ""
    code = orm.get_value(env, "product.product", rec, "default_code")
    return f"[{code}] {name}" if code else name


def _group_users(env, rec) -> list[int]:
    return [
        uid
        for uid, user in env.store.tables["res.users"].items()
        if rec["id"] in (user.get("group_ids") or [])
    ]
