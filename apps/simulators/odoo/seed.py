"""The seed data set: one company in EUR (id 1; a second one in GBP, id 2, is created last),
users with different rights, vendors, construction products, analytic plans with MasterFormat cost
codes, the three demo projects with milestones and budgets, and a few purchase orders at different
stages. Ids are deterministic."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

from . import orm, security
from .orm import SUPERUSER_ID, Env, Store

DATABASE = "odoo_sim"

# login, display name, password, API key, groups
USERS = [
    ("admin", "Mitchell Admin", "admin", "admin", list(security.GROUPS)),
    ("readonly", "Rita Readonly", "readonly", "readonly-api-key", ["base.group_user"]),
    (
        "buyer",
        "Bruno Buyer",
        "buyer",
        "buyer-api-key",
        ["base.group_user", "purchase.group_purchase_user", "stock.group_stock_user"],
    ),
]

COST_CODES = [
    ("01 54 00", "Construction Aids"),
    ("03 10 00", "Concrete Forming and Accessories"),
    ("03 20 00", "Concrete Reinforcing"),
    ("03 30 00", "Cast-in-Place Concrete"),
    ("03 41 00", "Precast Structural Concrete"),
    ("05 12 00", "Structural Steel Framing"),
    ("07 13 00", "Sheet Waterproofing"),
    ("26 05 19", "Low-Voltage Electrical Power Conductors and Cables"),
    ("31 23 00", "Excavation and Fill"),
]

PROJECTS = [
    # code, name, customer, start, end
    ("SCH-001", "Riverside Primary School", "Riverside Education Authority", "01-15", "12-18"),
    ("HOS-002", "St. Mary's Hospital — East Wing", "St. Mary's Health Trust", "03-01", "11-30"),
    ("BRG-003", "Harbour Bridge Rehabilitation", "Harbour City Council", "02-01", "10-31"),
]

VENDORS = [
    # xml name, name, ref, vat, email, city, country, iban
    (
        "vendor_baustoff_schmidt",
        "Baustoff Schmidt GmbH",
        "V-1001",
        "DE811907980",
        "orders@baustoff-schmidt.example",
        "Hamburg",
        "DE",
        "DE89370400440532013000",
    ),
    (
        "vendor_elbe_readymix",
        "Elbe Readymix Beton GmbH",
        "V-1002",
        "DE129273398",
        "dispatch@elbe-readymix.example",
        "Hamburg",
        "DE",
        "DE02120300000000202051",
    ),
    (
        "vendor_nordic_rebar",
        "Nordic Rebar AB",
        "V-1003",
        "SE556677889901",
        "sales@nordic-rebar.example",
        "Göteborg",
        "SE",
        "SE4550000000058398257466",
    ),
    (
        "vendor_formwork_systems",
        "Formwork Systems B.V.",
        "V-1004",
        "NL123456789B01",
        "rentals@formwork-systems.example",
        "Rotterdam",
        "NL",
        "NL91ABNA0417164300",
    ),
    (
        "vendor_kabelwerk_brandt",
        "Kabelwerk Brandt KG",
        "V-1005",
        "DE136695976",
        "vertrieb@kabelwerk-brandt.example",
        "Bremen",
        "DE",
        "DE75512108001245126199",
    ),
    (
        "vendor_atlas_crane",
        "Atlas Crane & Plant Hire Ltd",
        "V-1006",
        "GB123456789",
        "hire@atlas-crane.example",
        "Manchester",
        "GB",
        "GB29NWBK60161331926819",
    ),
]

UOMS = ["Units", "m", "m²", "m³", "t", "kg", "Hours", "Days"]

PRODUCTS = [
    # default_code, name, type, uom, cost, purchase description
    ("CON-C3037", "Ready-mix concrete C30/37", "consu", "m³", 118.00),
    ("REB-B500B-12", "Reinforcing steel bar B500B Ø12 mm", "consu", "t", 860.00),
    ("REB-B500B-16", "Reinforcing steel bar B500B Ø16 mm", "consu", "t", 845.00),
    ("FRM-PANEL-HIRE", "Formwork panel system (hire)", "service", "Days", 42.50),
    ("CBL-NYY-5X16", "Power cable NYY-J 5×16 mm²", "consu", "m", 14.20),
    ("CBL-TRAY-300", "Cable tray 300 mm, hot-dip galvanised", "consu", "m", 23.80),
    ("STL-HEB300-S355", "Structural steel beam HEB 300, S355", "consu", "t", 1480.00),
    ("PRC-CULVERT-2015", "Precast concrete box culvert 2.0 × 1.5 m", "consu", "Units", 3250.00),
    ("WPM-SHEET-BIT", "Sheet waterproofing membrane, bituminous", "consu", "m²", 18.60),
    ("CRN-HIRE-50T", "Mobile crane hire 50 t (with operator)", "service", "Hours", 145.00),
    ("EXC-FILL-M3", "Excavation and fill", "service", "m³", 9.80),
]

MILESTONES = {
    "SCH-001": [
        ("Foundations complete", "04-30"),
        ("Structural frame topped out", "07-31"),
        ("Building envelope watertight", "09-30"),
        ("Practical completion and handover", "12-18"),
    ],
    "HOS-002": [
        ("Enabling works complete", "04-15"),
        ("Superstructure complete", "08-31"),
        ("MEP first fix complete", "10-15"),
    ],
    "BRG-003": [
        ("Temporary works installed", "03-15"),
        ("Deck repairs complete", "07-31"),
        ("Waterproofing and surfacing complete", "10-15"),
    ],
}

BUDGETS = {
    # project code -> {cost code: amount}
    "SCH-001": {
        "31 23 00": 180000.0,
        "03 10 00": 95000.0,
        "03 20 00": 210000.0,
        "03 30 00": 420000.0,
        "26 05 19": 150000.0,
        "01 54 00": 60000.0,
    },
    "HOS-002": {
        "03 30 00": 650000.0,
        "03 20 00": 300000.0,
        "05 12 00": 880000.0,
        "26 05 19": 410000.0,
        "01 54 00": 120000.0,
    },
    "BRG-003": {
        "03 41 00": 540000.0,
        "03 30 00": 260000.0,
        "07 13 00": 90000.0,
        "05 12 00": 330000.0,
        "01 54 00": 140000.0,
    },
}


def _create(env: Env, model: str, vals: dict, xmlid: str | None = None) -> int:
    rid = orm.create_records(env, model, [vals])[0]
    if xmlid:
        module, _, name = xmlid.partition(".")
        orm.create_records(
            env,
            "ir.model.data",
            [{"module": module, "name": name, "model": model, "res_id": rid, "noupdate": True}],
        )
    return rid


_SEED_CACHE: dict[tuple, bytes] = {}


def seed_store(store: Store) -> None:
    """Replace the store's content with the seed data set and zero the stats."""
    from .orm import Stats

    # building the seed runs ~1,300 ORM creates; a pickled copy restores it ~10x faster, which
    # matters because every test resets the simulator
    key = (id(store.registry), datetime.now(UTC).strftime("%Y-%m"))
    cached = _SEED_CACHE.get(key)
    if cached is None:
        store.clear()
        env = Env(store, SUPERUSER_ID, su=True)
        with store.transaction():
            _seed(env, datetime.now(UTC).year)
        _SEED_CACHE.clear()
        _SEED_CACHE[key] = pickle.dumps(store.snapshot(), protocol=pickle.HIGHEST_PROTOCOL)
    else:
        store.restore(pickle.loads(cached))  # noqa: S301 (our own bytes, never from outside)
    store.stats = Stats()
    store.dirty = False


def _seed(env: Env, year: int) -> None:
    # the metadata first, so ir.model / ir.model.fields describe every model
    for model, mdef in env.registry.items():
        model_id = _create(
            env,
            "ir.model",
            {
                "name": mdef.description,
                "model": model,
                "state": "base",
                "transient": mdef.transient,
            },
        )
        orm.create_records(
            env,
            "ir.model.fields",
            [
                {
                    "name": fname,
                    "model": model,
                    "model_id": model_id,
                    "field_description": fdef.string,
                    "ttype": fdef.type,
                    "relation": fdef.relation or False,
                    "required": fdef.required,
                    "readonly": fdef.readonly,
                    "store": fdef.store,
                }
                for fname, fdef in mdef.fields.items()
            ],
        )

    currencies = {}
    for code, symbol, full_name, position in (
        ("EUR", "€", "Euro", "after"),
        ("USD", "$", "United States dollar", "before"),
        ("GBP", "£", "Pound sterling", "before"),
    ):
        currencies[code] = _create(
            env,
            "res.currency",
            {"name": code, "symbol": symbol, "full_name": full_name, "position": position},
            f"base.{code}",
        )
    countries = {}
    for code, name in (
        ("DE", "Germany"),
        ("NL", "Netherlands"),
        ("SE", "Sweden"),
        ("GB", "United Kingdom"),
        ("IE", "Ireland"),
        ("BE", "Belgium"),
        ("FR", "France"),
        ("AT", "Austria"),
    ):
        countries[code] = _create(
            env, "res.country", {"name": name, "code": code}, f"base.{code.lower()}"
        )

    company_partner = _create(
        env,
        "res.partner",
        {
            "name": "Northbridge Construction GmbH",
            "is_company": True,
            "city": "Hamburg",
            "country_id": countries["DE"],
            "vat": "DE276452187",
            "email": "accounts@northbridge-construction.example",
        },
        "base.main_partner",
    )
    _create(
        env,
        "res.company",
        {
            "name": "Northbridge Construction GmbH",
            "partner_id": company_partner,
            "currency_id": currencies["EUR"],
            "country_id": countries["DE"],
            "vat": "DE276452187",
            "city": "Hamburg",
        },
        "base.main_company",
    )
    env.store.update("res.partner", company_partner, {"company_id": 1})
    for day, usd, gbp in ((f"{year}-01-01", 1.0842, 0.8416), (f"{year}-07-01", 1.0915, 0.8467)):
        _create(
            env, "res.currency.rate", {"name": day, "rate": usd, "currency_id": currencies["USD"]}
        )
        _create(
            env, "res.currency.rate", {"name": day, "rate": gbp, "currency_id": currencies["GBP"]}
        )

    groups = {}
    for xml_id, full_name in security.GROUPS.items():
        gid = _create(env, "res.groups", {"name": full_name}, xml_id)
        env.store.update("res.groups", gid, {"__xml_id": xml_id})
        groups[xml_id] = gid

    bot_id = _create(
        env,
        "res.users",
        {"name": "OdooBot", "login": "__system__", "active": False, "email": "odoobot@example.com"},
        "base.user_root",
    )
    assert bot_id == SUPERUSER_ID
    for login, name, password, api_key, group_ids in USERS:
        uid = _create(
            env,
            "res.users",
            {
                "name": name,
                "login": login,
                "password": password,
                "email": f"{login}@northbridge-construction.example",
                "group_ids": [(6, 0, [groups[g] for g in group_ids])],
                "company_id": 1,
            },
            "base.user_admin" if login == "admin" else f"integrationhub_demo.user_{login}",
        )
        env.store.update("res.users", uid, {"__api_keys": [api_key]})

    uoms = {}
    for index, name in enumerate(UOMS):
        xml = "uom.product_uom_unit" if index == 0 else None
        uoms[name] = _create(env, "uom.uom", {"name": name}, xml)

    purchase_vat = _create(
        env,
        "account.tax",
        {
            "name": "19% Purchase VAT",
            "amount": 19.0,
            "type_tax_use": "purchase",
            "description": "19%",
        },
        "account.purchase_tax_19",
    )
    _create(
        env,
        "account.tax",
        {
            "name": "0% Reverse charge (construction services)",
            "amount": 0.0,
            "type_tax_use": "purchase",
            "description": "0% RC",
        },
        "account.purchase_tax_rc",
    )
    _create(env, "account.tax", {"name": "19% Sales VAT", "amount": 19.0, "type_tax_use": "sale"})
    expense = _create(
        env,
        "account.account",
        {"code": "600000", "name": "Construction Materials", "account_type": "expense"},
    )
    _create(
        env,
        "account.account",
        {"code": "601000", "name": "Subcontracted Services", "account_type": "expense"},
    )
    payable = _create(
        env,
        "account.account",
        {
            "code": "160000",
            "name": "Accounts Payable",
            "account_type": "liability_payable",
            "reconcile": True,
        },
    )
    bank_account = _create(
        env, "account.account", {"code": "120000", "name": "Bank", "account_type": "asset_cash"}
    )
    _create(
        env,
        "account.journal",
        {"name": "Vendor Bills", "code": "BILL", "type": "purchase", "default_account_id": expense},
    )
    _create(
        env,
        "account.journal",
        {"name": "Bank", "code": "BNK1", "type": "bank", "default_account_id": bank_account},
    )
    _create(
        env,
        "account.journal",
        {
            "name": "Miscellaneous Operations",
            "code": "MISC",
            "type": "general",
            "default_account_id": payable,
        },
    )
    _create(
        env,
        "stock.picking.type",
        {"name": "Receipts", "code": "incoming", "sequence_code": "IN"},
        "stock.picking_type_in",
    )

    vendors = {}
    for xml_name, name, ref, vat, email, city, country, iban in VENDORS:
        vendors[xml_name] = _create(
            env,
            "res.partner",
            {
                "name": name,
                "is_company": True,
                "ref": ref,
                "vat": vat,
                "email": email,
                "city": city,
                "country_id": countries[country],
                "supplier_rank": 1,
                "bank_ids": [(0, 0, {"acc_number": iban, "acc_holder_name": name})],
            },
            f"integrationhub_demo.{xml_name}",
        )
    _create(
        env,
        "res.partner",
        {
            "name": "Jana Schmidt",
            "parent_id": vendors["vendor_baustoff_schmidt"],
            "email": "jana.schmidt@baustoff-schmidt.example",
            "phone": "+49 40 555 0142",
        },
    )
    customers = {}
    for _code, _name, customer, _start, _end in PROJECTS:
        customers[customer] = _create(
            env, "res.partner", {"name": customer, "is_company": True, "customer_rank": 1}
        )

    products = {}
    for code, name, kind, uom, cost in PRODUCTS:
        template_id = _create(
            env,
            "product.template",
            {
                "name": name,
                "default_code": code,
                "type": kind,
                "is_storable": kind == "consu",
                "uom_id": uoms[uom],
                "standard_price": cost,
                "list_price": round(cost * 1.25, 2),
                "supplier_taxes_id": [(6, 0, [purchase_vat])],
            },
        )
        variant = env.store.inverse[("product.product", "product_tmpl_id")][template_id]
        products[code] = min(variant)
        orm.create_records(
            env,
            "ir.model.data",
            [
                {
                    "module": "integrationhub_demo",
                    "name": "product_" + code.lower().replace("-", "_"),
                    "model": "product.product",
                    "res_id": products[code],
                    "noupdate": True,
                }
            ],
        )

    project_plan = _create(
        env,
        "account.analytic.plan",
        {"name": "Projects", "default_applicability": "optional"},
        "analytic.analytic_plan_projects",
    )
    cost_plan = _create(
        env,
        "account.analytic.plan",
        {"name": "Cost Codes", "default_applicability": "optional"},
        "integrationhub_demo.analytic_plan_cost_codes",
    )
    cost_accounts = {}
    for code, name in COST_CODES:
        cost_accounts[code] = _create(
            env,
            "account.analytic.account",
            {"name": name, "code": code, "plan_id": cost_plan},
            "integrationhub_demo.cost_code_" + code.replace(" ", "_"),
        )
    project_accounts = {}
    admin_uid = 2
    for code, name, customer, start, end in PROJECTS:
        slug = code.lower().replace("-", "_")
        project_accounts[code] = _create(
            env,
            "account.analytic.account",
            {
                "name": name,
                "code": code,
                "plan_id": project_plan,
                "partner_id": customers[customer],
            },
            f"integrationhub_demo.analytic_{slug}",
        )
        project_id = _create(
            env,
            "project.project",
            {
                "name": name,
                "partner_id": customers[customer],
                "account_id": project_accounts[code],
                "user_id": admin_uid,
                "date_start": f"{year}-{start}",
                "date": f"{year + 1}-{end}",
                "allow_milestones": True,
                "last_update_status": "on_track",
            },
            f"integrationhub_demo.project_{slug}",
        )
        for index, (milestone, deadline) in enumerate(MILESTONES[code]):
            deadline_year = year if index == 0 else year + 1
            _create(
                env,
                "project.milestone",
                {
                    "name": milestone,
                    "project_id": project_id,
                    "deadline": f"{deadline_year}-{deadline}",
                },
            )
        _create(
            env,
            "project.task",
            {
                "name": f"Procurement schedule review — {code}",
                "project_id": project_id,
                "user_ids": [(6, 0, [admin_uid])],
            },
        )
        budget_id = _create(
            env,
            "budget.analytic",
            {
                "name": f"{code} Construction budget",
                "date_from": f"{year}-01-01",
                "date_to": f"{year + 1}-12-31",
                "state": "confirmed",
                "budget_type": "expense",
                "user_id": admin_uid,
                "budget_line_ids": [
                    (
                        0,
                        0,
                        {
                            "account_id": project_accounts[code],
                            "x_plan2_id": cost_accounts[cost_code],
                            "budget_amount": amount,
                        },
                    )
                    for cost_code, amount in BUDGETS[code].items()
                ],
            },
            f"integrationhub_demo.budget_{slug}",
        )
        assert budget_id

    # purchase orders at three stages: an RFQ, a confirmed order awaiting receipt, and a received,
    # billed and posted one
    def distribution(project, cost_code):
        return {f"{project_accounts[project]},{cost_accounts[cost_code]}": 100.0}

    admin_env = Env(env.store, admin_uid, su=True)
    orm.create_records(
        admin_env,
        "purchase.order",
        [
            {
                "partner_id": vendors["vendor_elbe_readymix"],
                "partner_ref": "ER-ANG-4471",
                "origin": "SCH-001",
                "order_line": [
                    (
                        0,
                        0,
                        {
                            "product_id": products["CON-C3037"],
                            "product_qty": 120.0,
                            "price_unit": 118.0,
                            "analytic_distribution": distribution("SCH-001", "03 30 00"),
                        },
                    )
                ],
            }
        ],
    )
    confirmed = orm.create_records(
        admin_env,
        "purchase.order",
        [
            {
                "partner_id": vendors["vendor_nordic_rebar"],
                "partner_ref": "NR-SO-20931",
                "origin": "HOS-002",
                "order_line": [
                    (
                        0,
                        0,
                        {
                            "product_id": products["REB-B500B-16"],
                            "product_qty": 18.0,
                            "price_unit": 845.0,
                            "analytic_distribution": distribution("HOS-002", "03 20 00"),
                        },
                    ),
                    (
                        0,
                        0,
                        {
                            "product_id": products["REB-B500B-12"],
                            "product_qty": 6.5,
                            "price_unit": 860.0,
                            "analytic_distribution": distribution("HOS-002", "03 20 00"),
                        },
                    ),
                ],
            }
        ],
    )
    env["purchase.order"]  # noqa: B018 (validates the model exists)
    _call(admin_env, "purchase.order", "button_confirm", confirmed)
    billed = orm.create_records(
        admin_env,
        "purchase.order",
        [
            {
                "partner_id": vendors["vendor_atlas_crane"],
                "partner_ref": "ACH-7718",
                "origin": "BRG-003",
                "order_line": [
                    (
                        0,
                        0,
                        {
                            "product_id": products["CRN-HIRE-50T"],
                            "product_qty": 16.0,
                            "price_unit": 145.0,
                            "analytic_distribution": distribution("BRG-003", "01 54 00"),
                        },
                    )
                ],
            }
        ],
    )
    _call(admin_env, "purchase.order", "button_confirm", billed)
    lines = env.store.inverse[("purchase.order.line", "order_id")][billed[0]]
    orm.write_records(admin_env, "purchase.order.line", sorted(lines), {"qty_received": 16.0})
    bill_action = _call(admin_env, "purchase.order", "action_create_invoice", billed)
    bill_id = bill_action["res_id"]
    orm.write_records(
        admin_env,
        "account.move",
        [bill_id],
        {"ref": "ACH-INV-30551", "invoice_date": f"{year}-{_month(-1)}-05"},
    )
    _call(admin_env, "account.move", "action_post", [bill_id])

    # A second group company (construction groups, issue #13), created last so every earlier
    # seed id stays where it was: hub entities map to res.company 1 or 2.
    second_partner = _create(
        env,
        "res.partner",
        # The group's companies trade with each other: the GmbH buys precast culverts from the
        # Ltd, whose partner carries the hub's vendor code V-NBL as its reference (its
        # supplier_rank rises with its first posted vendor bill, as in Odoo).
        {
            "name": "Northbridge Construction Ltd",
            "is_company": True,
            "city": "Leeds",
            "ref": "V-NBL",
        },
    )
    second_company = _create(
        env,
        "res.company",
        {
            "name": "Northbridge Construction Ltd",
            "partner_id": second_partner,
            "currency_id": currencies["GBP"],
            "country_id": countries["GB"],
            "vat": "GB123456782",
            "city": "Leeds",
        },
    )
    env.store.update("res.partner", second_partner, {"company_id": second_company})


def _month(offset: int) -> str:
    month = datetime.now(UTC).month + offset
    return f"{max(month, 1):02d}"


def _call(env: Env, model: str, method: str, ids):
    from .orm import Records

    return env.registry[model].methods[method].func(Records(env, model, ids))
