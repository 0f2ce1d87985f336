"""Per-domain translation between the hub's canonical payloads and Odoo models (both ways).

Each DomainSpec says which Odoo model a domain lives in, how a hub payload becomes Odoo values
(push), how an existing record is found again by its external reference (idempotency), what to
do after the write (confirm a PO, post a bill) and how an Odoo record becomes a canonical dict
(pull). The field-by-field mapping is listed in apps/connectors/odoo/__init__.py.

References to other records may be given as Odoo ids (`vendor_id`, `product_id`,
`analytic_account_id`, `purchase_line_id`) when the hub already holds a binding, or by natural
key (`vendor_ref` = res.partner.ref, `product_code` = default_code, `cost_code` =
account.analytic.account.code, `currency` = ISO code, `commitment_number` = purchase.order.origin):
natural keys are resolved in one search per kind for a whole batch.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from apps.connectors.errors import ConnectorError, PermanentError, TransientError
from apps.connectors.odoo.values import (
    analytic_distribution_from_odoo,
    from_odoo_date,
    from_odoo_datetime,
    from_odoo_money,
    from_odoo_quantity,
    from_odoo_text,
    many2one_id,
    many2one_name,
    to_odoo_date,
    to_odoo_datetime,
    to_odoo_number,
)

if TYPE_CHECKING:  # pragma: no cover
    from apps.connectors.odoo.connector import PushContext


@dataclass
class PushItem:
    """One record of a push or push_many, carried through the batch steps."""

    index: int
    payload: dict[str, Any]
    idempotency_key: str
    external_id: str | None = None
    odoo_id: int | None = None
    found_by: str = ""  # "external_id" | "xmlid" | "reference" | "" (created now)
    created: bool = False
    vals: dict[str, Any] = field(default_factory=dict)
    error: ConnectorError | None = None
    response: dict[str, Any] = field(default_factory=dict)
    xmlid_name: str = ""
    xmlid_done: bool = False  # its ir.model.data row exists (found by it, or attached now)

    @property
    def ok(self) -> bool:
        return self.error is None


def _required(payload: dict[str, Any], key: str, *, domain: str) -> Any:
    value = payload.get(key)
    if value is None or value == "" or value == []:
        raise PermanentError(f"{domain}: `{key}` is required", code="invalid_payload")
    return value


def _optional_text(value: Any) -> Any:
    return False if value is None or value == "" else str(value)


def _company(payload: dict[str, Any], *, domain: str) -> int | None:
    """The Odoo company a new record is booked in (payload `company_id`, the hub entity's
    company); None leaves it to Odoo (the user's current company). Set on create only: Odoo
    refuses to move a confirmed order or a posted move between companies."""
    value = payload.get("company_id")
    if value in (None, "", False):
        return None
    if isinstance(value, bool) or not str(value).isdigit() or int(value) <= 0:
        raise PermanentError(
            f"{domain}: `company_id` must be an Odoo company id, not {value!r}",
            code="invalid_payload",
        )
    return int(value)


# --- reference resolution -------------------------------------------------------------------------
# kind -> (model, field holding the natural key, search archived records too?)
REFERENCE_KINDS: dict[str, tuple[str, str, bool]] = {
    "partner": ("res.partner", "ref", False),
    "product": ("product.product", "default_code", False),
    "analytic": ("account.analytic.account", "code", True),
    "currency": ("res.currency", "name", True),
    "country": ("res.country", "code", False),
    "commitment": ("purchase.order", "origin", False),
    "purchase_order": ("purchase.order", "name", False),
    "plan": ("account.analytic.plan", "name", False),
    "journal": ("account.journal", "code", False),
    "uom": ("uom.uom", "name", False),
}
# Kinds that almost never change: remembered for the pooled client's life.
LONG_LIVED_KINDS = frozenset({"currency", "country", "plan", "journal", "uom"})


class Resolver:
    """Natural keys → Odoo ids, one search per kind for the whole batch."""

    def __init__(self, ctx: PushContext):
        self.ctx = ctx
        self._wanted: dict[str, set[str]] = defaultdict(set)
        self._known: dict[str, dict[str, int]] = defaultdict(dict)
        self._ambiguous: dict[str, set[str]] = defaultdict(set)

    def want(self, kind: str, value: Any) -> None:
        if value not in (None, "", False):
            self._wanted[kind].add(str(value))

    def fetch(self) -> None:
        for kind, values in self._wanted.items():
            model, key_field, archived = REFERENCE_KINDS[kind]
            shared = self.ctx.shared_cache.setdefault(kind, {}) if kind in LONG_LIVED_KINDS else {}
            known = self._known[kind]
            for value in values:
                if value in shared:
                    known[value] = shared[value]
            missing = sorted(v for v in values if v not in known)
            if not missing:
                continue
            rows = self.ctx.search_read(
                model, [(key_field, "in", missing)], [key_field], archived=archived, order="id"
            )
            for row in rows:
                value = str(row.get(key_field))
                if value in known and known[value] != row["id"]:
                    self._ambiguous[kind].add(value)
                    continue
                known[value] = row["id"]
                if kind in LONG_LIVED_KINDS:
                    shared[value] = row["id"]
        self._wanted.clear()

    def get(self, kind: str, value: Any) -> int:
        value = str(value)
        model, key_field, _ = REFERENCE_KINDS[kind]
        if value in self._ambiguous[kind]:
            raise PermanentError(
                f"More than one {model} has {key_field} = {value!r} in Odoo; merge or archive "
                "the duplicates",
                code="ambiguous_reference",
            )
        if value not in self._known[kind]:
            self.want(kind, value)
            self.fetch()
        try:
            return self._known[kind][value]
        except KeyError:
            raise PermanentError(
                f"No {model} with {key_field} = {value!r} in Odoo", code="unknown_reference"
            ) from None

    def known(self, kind: str, value: Any) -> int | None:
        return self._known[kind].get(str(value))

    def remember(self, kind: str, value: str, odoo_id: int) -> None:
        self._known[kind][str(value)] = odoo_id
        if kind in LONG_LIVED_KINDS:
            self.ctx.shared_cache.setdefault(kind, {})[str(value)] = odoo_id


def _reference(
    ctx: PushContext, payload: dict[str, Any], *, id_key: str, ref_key: str, kind: str
) -> int | None:
    if payload.get(id_key) not in (None, "", False):
        try:
            return int(payload[id_key])
        except (TypeError, ValueError):
            raise PermanentError(
                f"`{id_key}` must be an Odoo id (an integer), got {payload[id_key]!r}",
                code="invalid_payload",
            ) from None
    if payload.get(ref_key) not in (None, "", False):
        return ctx.resolver.get(kind, payload[ref_key])
    return None


def _distribution(
    ctx: PushContext, line: dict[str, Any], *, project_account: int | None = None
) -> dict[str, float] | None:
    """analytic_distribution for a line (reference §3, analytic.mixin).

    - `analytic_distribution`: given as Odoo wants it, keys = account ids ("12" or "12,15");
    - `cost_codes`: [{"code", "percent"}] splits; `cost_code` / `analytic_account_id`: 100 %.
    With a project account (the project's own analytic account, another plan) each key joins
    both ids, "<project>,<cost code>", as Odoo 17+ does for one account per plan.
    """
    if line.get("analytic_distribution"):
        result = {}
        for key, percent in dict(line["analytic_distribution"]).items():
            parts = [part.strip() for part in str(key).split(",")]
            if not all(part.isdigit() for part in parts):
                raise PermanentError(
                    f"analytic_distribution keys are Odoo analytic account ids, not {key!r} "
                    "(use cost_codes for codes)",
                    code="invalid_payload",
                )
            result[",".join(parts)] = to_odoo_number(percent, field="analytic percentage")
        return result
    prefix = f"{project_account}," if project_account else ""
    if line.get("cost_codes"):
        result = {}
        for split in line["cost_codes"]:
            account = ctx.resolver.get("analytic", split["code"])
            result[f"{prefix}{account}"] = to_odoo_number(
                split.get("percent", 100), field="cost code percentage"
            )
        return result
    account = _reference(
        ctx, line, id_key="analytic_account_id", ref_key="cost_code", kind="analytic"
    )
    if account:
        return {f"{prefix}{account}": 100.0}
    return {str(project_account): 100.0} if project_account else None


_ANALYTIC_KEYS = ("analytic_distribution", "cost_codes", "cost_code", "analytic_account_id")


def _project_account(ctx: PushContext, payload: dict[str, Any]) -> int | None:
    """The project's analytic account, by its code (= the project code) or id."""
    return _reference(
        ctx, payload, id_key="project_analytic_account_id", ref_key="project_code", kind="analytic"
    )


def _want_line_references(ctx: PushContext, line: dict[str, Any]) -> None:
    ctx.resolver.want("product", line.get("product_code"))
    ctx.resolver.want("analytic", line.get("cost_code"))
    ctx.resolver.want("analytic", line.get("project_code"))
    for split in line.get("cost_codes") or []:
        ctx.resolver.want("analytic", split.get("code"))


class DomainSpec:
    """Base: a one-model domain found again by one reference field."""

    domain = ""
    model = ""
    natural_field: str | None = None  # the Odoo field carrying the hub's reference
    natural_payload_key: str | None = None
    creates = True  # False: the domain only changes records Odoo made itself
    actions: dict[str, str] = {}  # operation -> Odoo method called on the record
    action_context: dict[str, dict[str, Any]] = {}  # operation -> context of that method call
    # pull
    pull_domain: list[Any] = []
    pull_fields: list[str] = []

    # --- push --------------------------------------------------------------------------
    def natural_value(self, payload: dict[str, Any]) -> Any:
        if self.natural_payload_key is None:
            return None
        value = payload.get(self.natural_payload_key)
        return None if value in (None, "", False) else str(value)

    def references(self, ctx: PushContext, payload: dict[str, Any]) -> None:
        """Tell the resolver which natural keys this payload needs (batched lookup)."""

    def prepare(self, ctx: PushContext, items: list[PushItem]) -> None:
        """Batch work before values are built (e.g. find or create parent records)."""

    def vals(self, ctx: PushContext, payload: dict[str, Any], *, create: bool) -> dict[str, Any]:
        raise NotImplementedError

    def natural_field_for(self, ctx: PushContext) -> str | None:
        return self.natural_field

    def find(self, ctx: PushContext, items: list[PushItem]) -> None:
        """Find records that already exist by the natural reference (one search)."""
        natural_field = self.natural_field_for(ctx)
        if not natural_field:
            return
        by_key: dict[str, list[PushItem]] = defaultdict(list)
        for item in items:
            key = self.natural_value(item.payload)
            if key is not None:
                by_key[key].append(item)
        if not by_key:
            return
        rows = ctx.search_read(
            self.model,
            [(natural_field, "in", sorted(by_key)), *self.find_scope()],
            [natural_field],
            archived=True,
            order="id",
        )
        self._assign_found(rows, by_key, key_of=lambda row: str(row[natural_field]))

    def find_scope(self) -> list[Any]:
        return []

    def _assign_found(self, rows, by_key, *, key_of) -> None:
        seen: dict[str, int] = {}
        for row in rows:
            key = key_of(row)
            if key in seen and seen[key] != row["id"]:
                for item in by_key.get(key, []):
                    item.error = PermanentError(
                        f"More than one {self.model} carries the reference {key!r} "
                        f"(ids {seen[key]} and {row['id']}); resolve the duplicate in Odoo",
                        code="ambiguous_reference",
                    )
                continue
            seen[key] = row["id"]
            for item in by_key.get(key, []):
                if item.odoo_id is None and item.ok:
                    item.odoo_id = row["id"]
                    item.found_by = "reference"

    def located(self, ctx: PushContext, items: list[PushItem], *, operation: str) -> None:
        """After the lookup, before values are built: batch reads a write needs (e.g. the
        current state and lines of the records an update changes)."""

    def create_custom(self, ctx: PushContext, items: list[PushItem]) -> list[PushItem]:
        """Create records that need more than a plain `create`; return the ones left."""
        return items

    def after_write(self, ctx: PushContext, items: list[PushItem]) -> None:
        """Business methods after create/update (confirm, post), batched where possible."""

    def describe_fields(self) -> list[str]:
        return []

    def describe(self, ctx: PushContext, items: list[PushItem]) -> None:
        """Read back what the hub wants to keep (Odoo's number, state, line ids): one read."""
        fields_wanted = self.describe_fields()
        ids = sorted({item.odoo_id for item in items if item.odoo_id})
        if not fields_wanted or not ids:
            return
        rows = {row["id"]: row for row in ctx.read(self.model, ids, fields_wanted)}
        for item in items:
            row = rows.get(item.odoo_id)
            if row is not None:
                item.response.update(self.describe_row(row))

    def describe_row(self, row: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in row.items() if key != "id"}

    # --- pull --------------------------------------------------------------------------
    def pull_fields_for(self, ctx: PushContext) -> list[str]:
        return self.pull_fields

    def pull_related(
        self, ctx: PushContext, records: list[dict[str, Any]]
    ) -> dict[str, dict[int, Any]]:
        return {}

    def to_canonical(self, record: dict[str, Any], related: dict[str, dict]) -> dict[str, Any]:
        raise NotImplementedError


# --- vendor → res.partner -------------------------------------------------------------------------
class VendorSpec(DomainSpec):
    domain = "vendor"
    model = "res.partner"
    natural_field = "ref"
    natural_payload_key = "ref"
    pull_domain = [("supplier_rank", ">", 0)]
    pull_fields = [
        "name", "ref", "vat", "email", "phone", "street", "city", "zip", "country_id",
        "is_company", "active", "supplier_rank", "write_date",
    ]  # fmt: skip

    def references(self, ctx, payload):
        ctx.resolver.want("country", payload.get("country"))

    def vals(self, ctx, payload, *, create):
        vals: dict[str, Any] = {}
        if create:
            vals["name"] = str(_required(payload, "name", domain=self.domain))
            vals["ref"] = str(_required(payload, "ref", domain=self.domain))
            vals["is_company"] = bool(payload.get("is_company", True))
            vals["supplier_rank"] = 1  # makes it a vendor in Odoo's purchase views
        elif payload.get("name"):
            vals["name"] = str(payload["name"])
        for key in ("vat", "email", "phone", "street", "city", "zip"):
            if key in payload:
                vals[key] = _optional_text(payload[key])
        if payload.get("country"):
            vals["country_id"] = ctx.resolver.get("country", payload["country"])
        if "active" in payload:
            vals["active"] = bool(payload["active"])
        return vals

    def to_canonical(self, record, related):
        return {
            "ref": from_odoo_text(record.get("ref")),
            "name": from_odoo_text(record.get("name")),
            "vat": from_odoo_text(record.get("vat")),
            "email": from_odoo_text(record.get("email")),
            "phone": from_odoo_text(record.get("phone")),
            "street": from_odoo_text(record.get("street")),
            "city": from_odoo_text(record.get("city")),
            "zip": from_odoo_text(record.get("zip")),
            "country": many2one_name(record.get("country_id")),
            "is_company": bool(record.get("is_company")),
            "active": record.get("active", True) is not False,
        }


# --- cost_code → account.analytic.account ---------------------------------------------------------
class _PlanMixin:
    default_plan_option = ""
    default_plan_name = ""

    def plan_name(self, ctx: PushContext, payload: dict[str, Any]) -> str:
        return str(
            payload.get("plan")
            or (ctx.options.get(self.default_plan_option) or self.default_plan_name)
        )

    def plans_ensure(self, ctx: PushContext, names: Iterable[str]) -> None:
        """Find analytic plans by name; create the missing ones (analytic accounts need one)."""
        if not ctx.has_field("account.analytic.account", "plan_id"):
            return
        names = sorted(set(names))
        for name in names:
            ctx.resolver.want("plan", name)
        ctx.resolver.fetch()
        missing = [n for n in names if ctx.resolver.known("plan", n) is None]
        if missing:
            ids = ctx.call(
                "account.analytic.plan",
                "create",
                [[{"name": n} for n in missing]],
                records=len(missing),
            )
            for name, plan_id in zip(missing, ids, strict=True):
                ctx.resolver.remember("plan", name, plan_id)


class CostCodeSpec(_PlanMixin, DomainSpec):
    domain = "cost_code"
    model = "account.analytic.account"
    natural_field = "code"
    natural_payload_key = "code"
    default_plan_option = "cost_code_plan"
    default_plan_name = "Cost Codes"
    pull_fields = ["name", "code", "plan_id", "active", "company_id", "write_date"]

    def prepare(self, ctx, items):
        self.plans_ensure(ctx, [self.plan_name(ctx, item.payload) for item in items])

    def vals(self, ctx, payload, *, create):
        vals: dict[str, Any] = {}
        if create:
            vals["code"] = str(_required(payload, "code", domain=self.domain))
            vals["name"] = str(_required(payload, "name", domain=self.domain))
            if ctx.has_field(self.model, "plan_id"):
                vals["plan_id"] = ctx.resolver.get("plan", self.plan_name(ctx, payload))
        elif payload.get("name"):
            vals["name"] = str(payload["name"])
        if "active" in payload:
            vals["active"] = bool(payload["active"])
        return vals

    def to_canonical(self, record, related):
        return {
            "code": from_odoo_text(record.get("code")),
            "name": from_odoo_text(record.get("name")),
            "plan": many2one_name(record.get("plan_id")),
            "active": record.get("active", True) is not False,
        }


# --- project → project.project + its analytic account ---------------------------------------------
class ProjectSpec(_PlanMixin, DomainSpec):
    domain = "project"
    model = "project.project"
    default_plan_option = "project_plan"
    default_plan_name = "Projects"
    pull_fields = [
        "name", "description", "active", "date_start", "date", "account_id",
        "analytic_account_id", "partner_id", "company_id", "write_date",
    ]  # fmt: skip

    def references(self, ctx, payload):
        ctx.resolver.want("analytic", payload.get("code"))

    def account_field(self, ctx: PushContext) -> str | None:
        # 18+: account_id; 17: analytic_account_id (reference §3) — ask, don't assume.
        return ctx.field_name(self.model, ["account_id", "analytic_account_id"])

    def prepare(self, ctx, items):
        """Find or create each project's analytic account (code = project code) in one go."""
        codes: dict[str, PushItem] = {}
        for item in items:
            if item.external_id:
                continue  # a bound project: its account is already linked
            try:
                code = str(_required(item.payload, "code", domain=self.domain))
            except PermanentError as exc:
                item.error = exc
                continue
            codes.setdefault(code, item)
        if not codes:
            return
        missing = []
        for code in sorted(codes):
            if ctx.resolver.known("analytic", code) is not None:
                continue
            if not codes[code].payload.get("name"):
                for item in items:
                    if str(item.payload.get("code")) == code:
                        item.error = PermanentError(
                            f"project: Odoo has no project {code!r}; `name` is required to "
                            "create it",
                            code="invalid_payload",
                        )
                continue
            missing.append(code)
        if missing:
            self.plans_ensure(ctx, [self.plan_name(ctx, codes[c].payload) for c in missing])
            account_vals = []
            for code in missing:
                vals = {"code": code, "name": str(codes[code].payload["name"])}
                if ctx.has_field("account.analytic.account", "plan_id"):
                    vals["plan_id"] = ctx.resolver.get(
                        "plan", self.plan_name(ctx, codes[code].payload)
                    )
                account_vals.append(vals)
            ids = ctx.call(
                "account.analytic.account", "create", [account_vals], records=len(account_vals)
            )
            for code, account_id in zip(missing, ids, strict=True):
                ctx.resolver.remember("analytic", code, account_id)

    def find(self, ctx, items):
        field_name = self.account_field(ctx)
        if not field_name:
            return
        by_key: dict[str, list[PushItem]] = defaultdict(list)
        for item in items:
            account = ctx.resolver.known("analytic", item.payload.get("code"))
            if account is not None:
                by_key[str(account)].append(item)
        if not by_key:
            return
        rows = ctx.search_read(
            self.model,
            [(field_name, "in", [int(k) for k in by_key])],
            [field_name],
            archived=True,
            order="id",
        )
        self._assign_found(rows, by_key, key_of=lambda row: str(many2one_id(row[field_name])))

    def vals(self, ctx, payload, *, create):
        vals: dict[str, Any] = {}
        if create or payload.get("name"):
            vals["name"] = str(_required(payload, "name", domain=self.domain))
        if create:
            field_name = self.account_field(ctx)
            if field_name:
                vals[field_name] = ctx.resolver.get("analytic", payload["code"])
        if "description" in payload:
            vals["description"] = _optional_text(payload["description"])
        if payload.get("start_date"):
            vals["date_start"] = to_odoo_date(payload["start_date"], field="start_date")
        if payload.get("end_date"):
            vals["date"] = to_odoo_date(payload["end_date"], field="end_date")
        if "active" in payload:
            vals["active"] = bool(payload["active"])
        return vals

    def describe(self, ctx, items):
        for item in items:
            account = ctx.resolver.known("analytic", item.payload.get("code"))
            if account is not None:
                item.response["analytic_account_id"] = account
        super().describe(ctx, items)

    def describe_fields(self):
        return ["name"]

    def pull_related(self, ctx, records):
        field_name = self.account_field(ctx)
        account_ids = sorted(
            {many2one_id(r.get(field_name)) for r in records if field_name} - {None}
        )
        if not account_ids:
            return {"accounts": {}}
        rows = ctx.read("account.analytic.account", account_ids, ["code", "name"])
        return {"accounts": {row["id"]: row for row in rows}, "account_field": field_name}

    def to_canonical(self, record, related):
        account_id = many2one_id(record.get(related.get("account_field") or "account_id"))
        account = related.get("accounts", {}).get(account_id, {})
        return {
            "code": from_odoo_text(account.get("code")),
            "name": from_odoo_text(record.get("name")),
            "description": from_odoo_text(record.get("description")),
            "start_date": from_odoo_date(record.get("date_start")),
            "end_date": from_odoo_date(record.get("date")),
            "analytic_account_id": account_id,
            "customer": many2one_name(record.get("partner_id")),
            "active": record.get("active", True) is not False,
        }


# --- budget_line → budget.analytic + budget.line (Odoo 18+) ---------------------------------------
class BudgetLineSpec(DomainSpec):
    """A budget line is found again by (budget, its analytic accounts): Odoo 18 keeps one
    column per analytic plan on budget.line (`account_id` for the project plan, `x_plan<id>_id`
    for the others, analytic.plan.fields.mixin), so the cost code lands in its plan's column."""

    domain = "budget_line"
    model = "budget.line"
    budget_model = "budget.analytic"
    pull_fields = [
        "budget_analytic_id", "account_id", "budget_amount", "achieved_amount",
        "committed_amount", "date_from", "date_to", "currency_id", "write_date",
    ]  # fmt: skip

    def references(self, ctx, payload):
        ctx.resolver.want("analytic", payload.get("cost_code"))
        ctx.resolver.want("analytic", payload.get("project_code"))

    def prepare(self, ctx, items):
        """Find or create the budgets (by name) the lines belong to: one search, one create;
        then learn which budget.line column each analytic account goes to (one read)."""
        budgets: dict[str, dict[str, Any]] = {}
        for item in items:
            name = item.payload.get("budget")
            if not name:
                item.error = PermanentError(
                    "budget_line: `budget` (the budget's name) is required",
                    code="invalid_payload",
                )
                continue
            budgets.setdefault(str(name), item.payload)
        known = ctx.batch_cache.setdefault("budget", {})
        if budgets:
            rows = ctx.search_read(
                self.budget_model, [("name", "in", sorted(budgets))], ["name"], order="id"
            )
            for row in rows:
                known.setdefault(row["name"], row["id"])
        missing = [name for name in sorted(budgets) if name not in known]
        creatable = []
        for name in missing:
            payload = budgets[name]
            if not (payload.get("date_from") and payload.get("date_to")):
                for item in items:
                    if item.payload.get("budget") == name:
                        item.error = PermanentError(
                            f"budget_line: Odoo has no budget {name!r}; give date_from and "
                            "date_to to create it",
                            code="unknown_reference",
                        )
                continue
            creatable.append(name)
        if creatable:
            vals_list = []
            for name in creatable:
                budget_vals = {
                    "name": name,
                    "date_from": to_odoo_date(budgets[name]["date_from"], field="date_from"),
                    "date_to": to_odoo_date(budgets[name]["date_to"], field="date_to"),
                }
                company = _company(budgets[name], domain=self.domain)
                if company:
                    budget_vals["company_id"] = company
                vals_list.append(budget_vals)
            ids = ctx.call(self.budget_model, "create", [vals_list], records=len(vals_list))
            for name, budget_id in zip(creatable, ids, strict=True):
                known[name] = budget_id
        accounts = set()
        for item in items:
            if not item.ok:
                continue
            try:
                accounts.update(self._accounts(ctx, item.payload))
            except PermanentError as exc:
                item.error = exc
        self._columns(ctx, sorted(accounts))

    def _accounts(self, ctx, payload) -> list[int]:
        cost = _reference(
            ctx, payload, id_key="analytic_account_id", ref_key="cost_code", kind="analytic"
        )
        if not cost:
            raise PermanentError(
                "budget_line: `cost_code` or `analytic_account_id` is required",
                code="invalid_payload",
            )
        project = _project_account(ctx, payload)
        return [project, cost] if project else [cost]

    def _columns(self, ctx, account_ids: list[int]) -> dict[int, str]:
        line_fields = ctx.fields(self.model)
        columns = ctx.shared_cache.setdefault("budget_line_column", {})
        missing = [a for a in account_ids if a not in columns]
        if missing:
            wanted = ctx.available_fields("account.analytic.account", ["plan_id", "root_plan_id"])
            for row in ctx.read("account.analytic.account", missing, wanted):
                plan = many2one_id(row.get("root_plan_id")) or many2one_id(row.get("plan_id"))
                column = f"x_plan{plan}_id"
                columns[row["id"]] = column if column in line_fields else "account_id"
        return {a: columns[a] for a in account_ids if a in columns}

    def _key(self, ctx, payload) -> tuple[int, dict[str, int]]:
        budget_id = ctx.batch_cache["budget"][str(payload["budget"])]
        accounts = self._accounts(ctx, payload)
        columns = self._columns(ctx, accounts)
        by_column: dict[str, int] = {}
        for account in accounts:
            column = columns.get(account)
            if column is None:
                raise PermanentError(
                    f"budget_line: analytic account {account} does not exist in Odoo",
                    code="unknown_reference",
                )
            if column in by_column:
                raise PermanentError(
                    f"budget_line: analytic accounts {by_column[column]} and {account} belong "
                    "to the same plan; a budget line takes one account per plan",
                    code="invalid_payload",
                )
            by_column[column] = account
        return budget_id, by_column

    def find(self, ctx, items):
        keyed: list[tuple[PushItem, int, dict[str, int]]] = []
        for item in items:
            try:
                budget_id, by_column = self._key(ctx, item.payload)
            except PermanentError as exc:
                item.error = exc
                continue
            keyed.append((item, budget_id, by_column))
        if not keyed:
            return
        all_columns = sorted({column for _, _, by_column in keyed for column in by_column})
        by_key: dict[str, list[PushItem]] = defaultdict(list)
        for item, budget_id, by_column in keyed:
            by_key[f"{budget_id}:{[by_column.get(c) for c in all_columns]}"].append(item)
        rows = ctx.search_read(
            self.model,
            [("budget_analytic_id", "in", sorted({b for _, b, _ in keyed}))],
            ["budget_analytic_id", *all_columns],
            order="id",
        )
        self._assign_found(
            rows,
            by_key,
            key_of=lambda row: (
                f"{many2one_id(row['budget_analytic_id'])}:"
                f"{[many2one_id(row.get(c)) for c in all_columns]}"
            ),
        )

    def vals(self, ctx, payload, *, create):
        vals: dict[str, Any] = {
            "budget_amount": to_odoo_number(
                _required(payload, "amount", domain=self.domain), field="amount"
            )
        }
        if create:
            budget_id, by_column = self._key(ctx, payload)
            vals["budget_analytic_id"] = budget_id
            vals.update(by_column)
            company = _company(payload, domain=self.domain)
            if company:
                vals["company_id"] = company
        return vals

    def describe_fields(self):
        return ["budget_amount", "budget_analytic_id"]

    def describe_row(self, row):
        return {
            "budget_amount": from_odoo_money(row.get("budget_amount")),
            "budget_id": many2one_id(row.get("budget_analytic_id")),
        }

    def plan_columns(self, ctx) -> list[str]:
        return sorted(name for name in ctx.fields(self.model) if _PLAN_COLUMN.match(name))

    def pull_fields_for(self, ctx):
        return [*self.pull_fields, *self.plan_columns(ctx)]

    def pull_related(self, ctx, records):
        plan_columns = self.plan_columns(ctx)
        account_ids = sorted(
            {
                many2one_id(record.get(column))
                for record in records
                for column in ["account_id", *plan_columns]
            }
            - {None}
        )
        accounts = {
            row["id"]: row
            for row in ctx.read("account.analytic.account", account_ids, ["code", "name"])
        }
        return {"accounts": accounts, "plan_columns": plan_columns}

    def to_canonical(self, record, related):
        accounts = related.get("accounts", {})
        project = accounts.get(many2one_id(record.get("account_id")), {})
        cost_codes = [
            accounts.get(many2one_id(record.get(column)), {})
            for column in related.get("plan_columns", [])
            if many2one_id(record.get(column))
        ]
        cost = cost_codes[0] if cost_codes else {}
        return {
            "budget": many2one_name(record.get("budget_analytic_id")),
            "budget_id": many2one_id(record.get("budget_analytic_id")),
            "project_code": from_odoo_text(project.get("code")),
            "project_analytic_account_id": many2one_id(record.get("account_id")),
            "cost_code": from_odoo_text(cost.get("code")),
            "analytic_account_id": cost.get("id"),
            "amount": from_odoo_money(record.get("budget_amount")),
            "achieved": from_odoo_money(record.get("achieved_amount")),
            "committed": from_odoo_money(record.get("committed_amount")),
            "currency": many2one_name(record.get("currency_id")),
            "date_from": from_odoo_date(record.get("date_from")),
            "date_to": from_odoo_date(record.get("date_to")),
        }


_PLAN_COLUMN = re.compile(r"^x_plan\d+_id$")


# --- commitment → purchase.order (+ lines, + confirmation) ----------------------------------------
def _line_at(line_ids: list[int], line_no: Any) -> int | None:
    """The id of the order line at 1-based `line_no`, or None (a line the order lacks yet)."""
    try:
        position = int(line_no)
    except (TypeError, ValueError):
        return None
    return line_ids[position - 1] if 0 < position <= len(line_ids) else None


class CommitmentSpec(DomainSpec):
    domain = "commitment"
    model = "purchase.order"
    natural_field = "origin"
    natural_payload_key = "number"
    actions = {"confirm": "button_confirm", "cancel": "button_cancel"}
    pull_fields = [
        "name", "origin", "partner_id", "partner_ref", "state", "currency_id", "date_order",
        "date_approve", "date_planned", "amount_untaxed", "amount_tax", "amount_total",
        "invoice_status", "receipt_status", "order_line", "write_date",
    ]  # fmt: skip
    line_fields = [
        "order_id", "name", "product_id", "product_qty", "qty_received", "qty_invoiced",
        "price_unit", "price_subtotal", "analytic_distribution", "date_planned",
    ]  # fmt: skip

    def references(self, ctx, payload):
        ctx.resolver.want("partner", payload.get("vendor_ref"))
        ctx.resolver.want("currency", payload.get("currency"))
        ctx.resolver.want("analytic", payload.get("project_code"))
        for line in payload.get("lines") or []:
            _want_line_references(ctx, line)

    def line_vals(
        self, ctx, line: dict[str, Any], position: int, project_account: int | None = None
    ) -> dict[str, Any]:
        where = f"commitment line {position}"
        product = _reference(ctx, line, id_key="product_id", ref_key="product_code", kind="product")
        vals: dict[str, Any] = {}
        description = line.get("description") or line.get("product_code")
        if description:
            vals["name"] = str(description)
        if product:
            vals["product_id"] = product
        if "quantity" in line:
            vals["product_qty"] = to_odoo_number(line["quantity"], field=f"{where}: quantity")
        if "unit_price" in line:
            vals["price_unit"] = to_odoo_number(line["unit_price"], field=f"{where}: unit_price")
        if line.get("planned_date"):
            vals["date_planned"] = to_odoo_datetime(
                line["planned_date"], field=f"{where}: planned_date"
            )
        distribution = _distribution(
            ctx, line, project_account=_project_account(ctx, line) or project_account
        )
        if distribution:
            vals["analytic_distribution"] = distribution
        return vals

    def vals(self, ctx, payload, *, create):
        vals: dict[str, Any] = {}
        project_account = _project_account(ctx, payload)
        if create:
            vals["origin"] = str(_required(payload, "number", domain=self.domain))
            company = _company(payload, domain=self.domain)
            if company:
                vals["company_id"] = company
            lines = _required(payload, "lines", domain=self.domain)
            if not isinstance(lines, list):
                raise PermanentError("commitment: `lines` must be a list", code="invalid_payload")
            order_lines = []
            for position, line in enumerate(lines, start=1):
                line_vals = self.line_vals(ctx, line, position, project_account)
                for key in ("quantity", "unit_price"):
                    if key not in line:
                        raise PermanentError(
                            f"commitment line {position}: `{key}` is required",
                            code="invalid_payload",
                        )
                if "name" not in line_vals:
                    raise PermanentError(
                        f"commitment line {position}: `description` or `product_code` is required",
                        code="invalid_payload",
                    )
                order_lines.append([0, 0, line_vals])
            vals["order_line"] = order_lines
        vendor = _reference(ctx, payload, id_key="vendor_id", ref_key="vendor_ref", kind="partner")
        if vendor:
            vals["partner_id"] = vendor
        elif create:
            raise PermanentError(
                "commitment: `vendor_id` or `vendor_ref` is required", code="invalid_payload"
            )
        if "vendor_reference" in payload:
            vals["partner_ref"] = _optional_text(payload["vendor_reference"])
        if payload.get("currency"):
            vals["currency_id"] = ctx.resolver.get("currency", payload["currency"])
        if payload.get("order_date"):
            vals["date_order"] = to_odoo_datetime(payload["order_date"], field="order_date")
        if payload.get("planned_date"):
            vals["date_planned"] = to_odoo_datetime(payload["planned_date"], field="planned_date")
        if "notes" in payload:
            vals["note"] = _optional_text(payload["notes"])
        if not create and payload.get("lines"):
            # A change order: lines with an Odoo line id are updated, others are added. Lines
            # are never removed implicitly (a confirmed PO line may already be received). A
            # line sent before the hub knew Odoo's line ids names its position (`line_no`):
            # the order's line at that position is the one it changes, so a change order
            # queued behind the PO's creation (or retried after Odoo committed it) does not
            # add a second line.
            existing = ctx.batch_cache.get("commitment_lines", {}).get(id(payload), [])
            commands = []
            for position, line in enumerate(payload["lines"], start=1):
                line_vals = self.line_vals(ctx, line, position, project_account)
                line_id = line.get("purchase_line_id") or _line_at(existing, line.get("line_no"))
                commands.append([1, int(line_id), line_vals] if line_id else [0, 0, line_vals])
            vals["order_line"] = commands
        return vals

    def located(self, ctx, items, *, operation):
        """For updates whose lines lack Odoo ids: the orders' line ids in Odoo's order (one
        search_read for the batch)."""
        if operation == "create":
            return
        wanted = [
            item
            for item in items
            if item.odoo_id
            and any(
                isinstance(line, dict) and not line.get("purchase_line_id") and line.get("line_no")
                for line in item.payload.get("lines") or []
            )
        ]
        if not wanted:
            return
        lines: dict[int, list[int]] = defaultdict(list)
        for row in ctx.search_read(
            "purchase.order.line",
            [("order_id", "in", sorted({item.odoo_id for item in wanted}))],
            ["order_id"],
            order="order_id, sequence, id",
        ):
            lines[many2one_id(row.get("order_id"))].append(row["id"])
        known = ctx.batch_cache.setdefault("commitment_lines", {})
        for item in wanted:
            known[id(item.payload)] = lines.get(item.odoo_id, [])

    def after_write(self, ctx, items):
        wanted = [item for item in items if item.payload.get("confirmed")]
        if not wanted:
            return
        states = {
            row["id"]: row["state"]
            for row in ctx.read(self.model, [i.odoo_id for i in wanted], ["state"])
        }
        # Only draft/sent orders can be confirmed; a retry finds it already confirmed.
        to_confirm = [i for i in wanted if states.get(i.odoo_id) in ("draft", "sent")]
        ctx.call_per_record(self.model, "button_confirm", to_confirm)

    def describe_fields(self):
        return ["name", "state", "order_line", "amount_total", "currency_id"]

    def describe_row(self, row):
        return {
            "name": row.get("name"),
            "state": row.get("state"),
            "line_ids": list(row.get("order_line") or []),
            "amount_total": from_odoo_money(row.get("amount_total")),
            "currency": many2one_name(row.get("currency_id")),
        }

    def pull_related(self, ctx, records):
        ids = [r["id"] for r in records]
        if not ids:
            return {"lines": {}}
        fields_wanted = ctx.available_fields("purchase.order.line", self.line_fields)
        rows = ctx.search_read(
            "purchase.order.line", [("order_id", "in", ids)], fields_wanted, order="id"
        )
        lines: dict[int, list] = defaultdict(list)
        for row in rows:
            lines[many2one_id(row.get("order_id"))].append(row)
        return {"lines": lines}

    def to_canonical(self, record, related):
        return {
            "number": from_odoo_text(record.get("origin")),
            "odoo_name": from_odoo_text(record.get("name")),
            "vendor_id": many2one_id(record.get("partner_id")),
            "vendor_name": many2one_name(record.get("partner_id")),
            "vendor_reference": from_odoo_text(record.get("partner_ref")),
            "state": from_odoo_text(record.get("state")),
            "currency": many2one_name(record.get("currency_id")),
            "order_date": from_odoo_datetime(record.get("date_order")),
            "approved_at": from_odoo_datetime(record.get("date_approve")),
            "planned_date": from_odoo_datetime(record.get("date_planned")),
            "amount_untaxed": from_odoo_money(record.get("amount_untaxed")),
            "amount_tax": from_odoo_money(record.get("amount_tax")),
            "amount_total": from_odoo_money(record.get("amount_total")),
            "invoice_status": from_odoo_text(record.get("invoice_status")),
            "receipt_status": from_odoo_text(record.get("receipt_status")),
            "lines": [
                {
                    "purchase_line_id": line["id"],
                    "description": from_odoo_text(line.get("name")),
                    "product_id": many2one_id(line.get("product_id")),
                    "product": many2one_name(line.get("product_id")),
                    "quantity": from_odoo_quantity(line.get("product_qty")),
                    "quantity_received": from_odoo_quantity(line.get("qty_received")),
                    "quantity_invoiced": from_odoo_quantity(line.get("qty_invoiced")),
                    "unit_price": from_odoo_money(line.get("price_unit")),
                    "subtotal": from_odoo_money(line.get("price_subtotal")),
                    "analytic_distribution": analytic_distribution_from_odoo(
                        line.get("analytic_distribution")
                    ),
                }
                for line in related.get("lines", {}).get(record["id"], [])
            ],
        }


def _purchase_order_id(ctx: PushContext, payload: dict[str, Any], *, domain: str) -> int | None:
    if payload.get("commitment_id"):
        return int(payload["commitment_id"])
    if payload.get("commitment_number"):
        return ctx.resolver.get("commitment", payload["commitment_number"])
    if payload.get("purchase_order_name"):
        return ctx.resolver.get("purchase_order", payload["purchase_order_name"])
    return None


def _want_purchase_order(ctx: PushContext, payload: dict[str, Any]) -> None:
    ctx.resolver.want("commitment", payload.get("commitment_number"))
    ctx.resolver.want("purchase_order", payload.get("purchase_order_name"))


def _purchase_lines(ctx: PushContext, order_ids: Iterable[int]) -> dict[int, list[dict]]:
    """The lines of several purchase orders, in one search."""
    order_ids = sorted(set(order_ids))
    cache = ctx.batch_cache.setdefault("purchase_lines", {})
    missing = [o for o in order_ids if o not in cache]
    if missing:
        fields_wanted = ctx.available_fields(
            "purchase.order.line",
            ["order_id", "product_id", "name", "product_qty", "qty_received", "qty_invoiced",
             "price_unit", "analytic_distribution"],
        )  # fmt: skip
        rows = ctx.search_read(
            "purchase.order.line", [("order_id", "in", missing)], fields_wanted, order="id"
        )
        for order_id in missing:
            cache[order_id] = []
        for row in rows:
            cache[many2one_id(row["order_id"])].append(row)
    return {o: cache.get(o, []) for o in order_ids}


def _match_purchase_line(
    line: dict[str, Any], product_id: int | None, po_lines: list[dict], *, where: str
) -> dict | None:
    if line.get("purchase_line_id"):
        wanted = int(line["purchase_line_id"])
        for po_line in po_lines:
            if po_line["id"] == wanted:
                return po_line
        if po_lines:
            raise PermanentError(
                f"{where}: purchase order line {wanted} is not on that purchase order",
                code="unknown_reference",
            )
        return {"id": wanted}
    if product_id is None:
        return None
    candidates = [p for p in po_lines if many2one_id(p.get("product_id")) == product_id]
    if len(candidates) > 1:
        raise PermanentError(
            f"{where}: the purchase order has several lines for that product; give "
            "`purchase_line_id`",
            code="ambiguous_reference",
        )
    return candidates[0] if candidates else None


# --- receipt → validate the incoming stock.picking of a PO ----------------------------------------
class ReceiptSpec(DomainSpec):
    """A receipt sets the received quantities on the PO's open incoming picking and validates
    it. The xmlid is attached to the picking *before* validation, so a retry after a lost
    response finds the picking, sees it is done, and does nothing twice."""

    domain = "receipt"
    model = "stock.picking"
    creates = False  # a receipt validates the picking Odoo made when the PO was confirmed
    pull_domain = [("picking_type_code", "=", "incoming")]
    pull_fields = [
        "name", "origin", "state", "partner_id", "scheduled_date", "date_done", "purchase_id",
        "picking_type_code", "move_ids", "write_date",
    ]  # fmt: skip
    move_fields = ["picking_id", "product_id", "product_uom_qty", "quantity", "quantity_done",
                   "purchase_line_id", "state"]  # fmt: skip

    def references(self, ctx, payload):
        _want_purchase_order(ctx, payload)
        for line in payload.get("lines") or []:
            ctx.resolver.want("product", line.get("product_code"))

    def quantity_field(self, ctx) -> str:
        return ctx.field_name("stock.move", ["quantity", "quantity_done"]) or "quantity"

    def find(self, ctx, items):
        """Locate the open incoming picking of each receipt's purchase order (one search)."""
        order_of: dict[int, int] = {}
        for item in items:
            if item.odoo_id is not None or not item.ok:
                continue
            try:
                order_id = _purchase_order_id(ctx, item.payload, domain=self.domain)
                if order_id is None:
                    raise PermanentError(
                        "receipt: `commitment_id`, `commitment_number` or "
                        "`purchase_order_name` is required",
                        code="invalid_payload",
                    )
                _required(item.payload, "lines", domain=self.domain)
            except PermanentError as exc:
                item.error = exc
                continue
            order_of[item.index] = order_id
        if not order_of:
            return
        link = ctx.field_name(self.model, ["purchase_id"])
        if link:
            domain = [(link, "in", sorted(set(order_of.values())))]
        else:  # older data: pickings point at the PO by its name in origin
            names = {
                r["id"]: r["name"]
                for r in ctx.read("purchase.order", sorted(set(order_of.values())), ["name"])
            }
            domain = [("origin", "in", sorted(names.values()))]
        rows = ctx.search_read(
            self.model,
            [
                *domain,
                ("picking_type_code", "=", "incoming"),
                ("state", "not in", ["done", "cancel"]),
            ],
            ["state", "origin", *([link] if link else [])],
            order="id",
        )
        open_by_order: dict[int, list[int]] = defaultdict(list)
        if link:
            for row in rows:
                open_by_order[many2one_id(row[link])].append(row["id"])
        else:
            for order_id, name in names.items():
                open_by_order[order_id] = [r["id"] for r in rows if r["origin"] == name]
        for item in items:
            order_id = order_of.get(item.index)
            if order_id is None:
                continue
            pickings = open_by_order.get(order_id, [])
            if not pickings:
                item.error = PermanentError(
                    f"receipt: purchase order {order_id} has no open incoming receipt in Odoo "
                    "(not confirmed, already fully received, or cancelled)",
                    code="no_open_receipt",
                )
                continue
            item.odoo_id = pickings[0]  # the oldest open one; backorders come after it
            item.found_by = "open_picking"
        # The xmlid goes on before anything is changed: it is what makes the retry safe.
        ctx.xmlids_attach([i for i in items if i.ok and i.found_by == "open_picking"], self.model)

    def vals(self, ctx, payload, *, create):
        return {}

    def after_write(self, ctx, items):
        todo = [item for item in items if item.found_by in ("open_picking", "xmlid", "external_id")]
        if not todo:
            return
        states = {
            row["id"]: row["state"]
            for row in ctx.read(self.model, [i.odoo_id for i in todo], ["state"])
        }
        todo = [i for i in todo if states.get(i.odoo_id) not in ("done", "cancel")]
        for item in todo:
            item.created = True  # this delivery is the one that received the goods
        if not todo:
            return
        quantity_field = self.quantity_field(ctx)
        move_fields = ctx.available_fields("stock.move", self.move_fields)
        moves = ctx.search_read(
            "stock.move",
            [("picking_id", "in", [i.odoo_id for i in todo])],
            move_fields,
            order="id",
        )
        moves_by_picking: dict[int, list[dict]] = defaultdict(list)
        for move in moves:
            moves_by_picking[many2one_id(move["picking_id"])].append(move)
        picked = ctx.has_field("stock.move", "picked")
        ready = []
        for item in todo:
            picking_moves = moves_by_picking.get(item.odoo_id, [])
            try:
                quantities = self._move_quantities(ctx, item, picking_moves)
            except PermanentError as exc:
                item.error = exc
                continue
            commands = []
            for move in picking_moves:
                if move.get("state") in ("done", "cancel"):
                    continue
                quantity = quantities.get(move["id"], 0.0)
                # Odoo 17+ pre-fills the quantity of reserved moves with the demand: a move the
                # receipt does not mention must be set to 0 or it would be received in full.
                if quantity == (move.get(quantity_field) or 0.0) and not picked:
                    continue
                values: dict[str, Any] = {quantity_field: quantity}
                if picked:
                    values["picked"] = quantity > 0
                commands.append([1, move["id"], values])
            if commands:
                ctx.call(self.model, "write", [[item.odoo_id], {"move_ids": commands}], records=1)
            ready.append(item)
        # Partial receipts keep the rest open as a backorder instead of asking a wizard.
        ctx.call_per_record(
            self.model,
            "button_validate",
            ready,
            context={"skip_backorder": True, "skip_immediate": True, "skip_sms": True},
        )

    def _move_quantities(self, ctx, item, moves) -> dict[int, float]:
        quantities: dict[int, float] = defaultdict(float)
        for position, line in enumerate(item.payload.get("lines") or [], start=1):
            where = f"receipt line {position}"
            quantity = to_odoo_number(
                _required(line, "quantity", domain=where), field=f"{where}: quantity"
            )
            if quantity < 0:
                raise PermanentError(
                    f"{where}: a received quantity cannot be negative (returns are not receipts)",
                    code="invalid_payload",
                )
            product = _reference(
                ctx, line, id_key="product_id", ref_key="product_code", kind="product"
            )
            open_moves = [m for m in moves if m.get("state") not in ("done", "cancel")]
            if line.get("purchase_line_id"):
                wanted = int(line["purchase_line_id"])
                match = [m for m in open_moves if many2one_id(m.get("purchase_line_id")) == wanted]
            elif product is not None:
                match = [m for m in open_moves if many2one_id(m.get("product_id")) == product]
            else:
                raise PermanentError(
                    f"{where}: `purchase_line_id`, `product_id` or `product_code` is required",
                    code="invalid_payload",
                )
            if not match:
                raise PermanentError(
                    f"{where}: no open move on receipt {item.odoo_id} for that purchase "
                    "line/product",
                    code="unknown_reference",
                )
            quantities[match[0]["id"]] += quantity
        return quantities

    def describe_fields(self):
        return ["name", "state", "origin"]

    def pull_related(self, ctx, records):
        ids = [r["id"] for r in records]
        if not ids:
            return {"moves": {}}
        move_fields = ctx.available_fields("stock.move", self.move_fields)
        rows = ctx.search_read("stock.move", [("picking_id", "in", ids)], move_fields, order="id")
        moves: dict[int, list] = defaultdict(list)
        for row in rows:
            moves[many2one_id(row.get("picking_id"))].append(row)
        return {"moves": moves}

    def to_canonical(self, record, related):
        return {
            "odoo_name": from_odoo_text(record.get("name")),
            "commitment_odoo_name": from_odoo_text(record.get("origin")),
            "commitment_id": many2one_id(record.get("purchase_id")),
            "state": from_odoo_text(record.get("state")),
            "vendor_id": many2one_id(record.get("partner_id")),
            "scheduled_date": from_odoo_datetime(record.get("scheduled_date")),
            "received_at": from_odoo_datetime(record.get("date_done")),
            "lines": [
                {
                    "move_id": move["id"],
                    "purchase_line_id": many2one_id(move.get("purchase_line_id")),
                    "product_id": many2one_id(move.get("product_id")),
                    "product": many2one_name(move.get("product_id")),
                    "quantity_expected": from_odoo_quantity(move.get("product_uom_qty")),
                    "quantity": from_odoo_quantity(move.get("quantity", move.get("quantity_done"))),
                }
                for move in related.get("moves", {}).get(record["id"], [])
            ],
        }


# --- invoice → account.move (vendor bill) ---------------------------------------------------------
class InvoiceSpec(DomainSpec):
    domain = "invoice"
    model = "account.move"
    actions = {"post": "action_post", "cancel": "button_cancel", "draft": "button_draft"}
    pull_domain = [("move_type", "in", ["in_invoice", "in_refund"])]
    pull_fields = [
        "name", "ref", "move_type", "state", "payment_state", "partner_id", "invoice_date",
        "invoice_date_due", "currency_id", "invoice_origin", "amount_untaxed", "amount_tax",
        "amount_total", "amount_residual", "release_to_pay_manual", "write_date",
    ]  # fmt: skip
    line_fields = ["move_id", "name", "product_id", "quantity", "price_unit", "price_subtotal",
                   "purchase_line_id", "analytic_distribution", "display_type"]  # fmt: skip
    move_types = {"bill": "in_invoice", "credit_note": "in_refund"}

    def move_type(self, payload) -> str:
        kind = payload.get("kind") or "bill"
        if kind not in self.move_types:
            raise PermanentError(
                f"invoice: `kind` must be bill or credit_note, not {kind!r}",
                code="invalid_payload",
            )
        return self.move_types[kind]

    def references(self, ctx, payload):
        ctx.resolver.want("partner", payload.get("vendor_ref"))
        ctx.resolver.want("currency", payload.get("currency"))
        ctx.resolver.want("analytic", payload.get("project_code"))
        _want_purchase_order(ctx, payload)
        for line in payload.get("lines") or []:
            _want_line_references(ctx, line)

    def prepare(self, ctx, items):
        order_ids = []
        for item in items:
            try:
                order_id = _purchase_order_id(ctx, item.payload, domain=self.domain)
            except PermanentError as exc:
                item.error = exc
                continue
            if order_id:
                order_ids.append(order_id)
        if order_ids:
            _purchase_lines(ctx, order_ids)
            names = ctx.batch_cache.setdefault("purchase_order_names", {})
            for row in ctx.read("purchase.order", sorted(set(order_ids)), ["name", "partner_id"]):
                names[row["id"]] = row

    def find(self, ctx, items):
        """A bill is the same bill when vendor, type and vendor bill number (ref) agree."""
        by_key: dict[str, list[PushItem]] = defaultdict(list)
        for item in items:
            payload = item.payload
            if not payload.get("number"):
                continue
            try:
                partner = self._partner(ctx, payload)
                move_type = self.move_type(payload)
            except PermanentError as exc:
                item.error = exc
                continue
            by_key[f"{partner}|{move_type}|{payload['number']}"].append(item)
        if not by_key:
            return
        refs = sorted({key.split("|", 2)[2] for key in by_key})
        rows = ctx.search_read(
            self.model,
            [("ref", "in", refs), ("move_type", "in", ["in_invoice", "in_refund"])],
            ["ref", "partner_id", "move_type"],
            order="id",
        )
        # Odoo may hold cancelled duplicates of a bill; prefer the live one.
        self._assign_found(
            rows,
            by_key,
            key_of=lambda r: f"{many2one_id(r['partner_id'])}|{r['move_type']}|{r['ref']}",
        )

    def _partner(self, ctx, payload) -> int:
        partner = _reference(ctx, payload, id_key="vendor_id", ref_key="vendor_ref", kind="partner")
        if partner:
            return partner
        order_id = _purchase_order_id(ctx, payload, domain=self.domain)
        if order_id:
            names = ctx.batch_cache.setdefault("purchase_order_names", {})
            if order_id not in names:  # an action on a bill skips prepare(): read it now
                for row in ctx.read("purchase.order", [order_id], ["name", "partner_id"]):
                    names[row["id"]] = row
            order = names.get(order_id)
            if order:
                return many2one_id(order["partner_id"])
        raise PermanentError(
            "invoice: `vendor_id`, `vendor_ref` or a purchase order is required",
            code="invalid_payload",
        )

    def line_vals(self, ctx, line, position, po_lines, project_account=None) -> dict[str, Any]:
        where = f"invoice line {position}"
        product = _reference(ctx, line, id_key="product_id", ref_key="product_code", kind="product")
        po_line = _match_purchase_line(line, product, po_lines, where=where)
        vals: dict[str, Any] = {}
        if po_line:
            vals["purchase_line_id"] = po_line["id"]
            if product is None and po_line.get("product_id"):
                product = many2one_id(po_line["product_id"])
        if product:
            vals["product_id"] = product
        description = line.get("description") or (po_line or {}).get("name")
        if description:
            vals["name"] = str(description)
        if "quantity" in line:
            vals["quantity"] = to_odoo_number(line["quantity"], field=f"{where}: quantity")
        elif po_line and "product_qty" in po_line:
            open_quantity = float(po_line.get("qty_received") or po_line["product_qty"]) - float(
                po_line.get("qty_invoiced") or 0
            )
            vals["quantity"] = max(open_quantity, 0.0)
        else:
            raise PermanentError(f"{where}: `quantity` is required", code="invalid_payload")
        if "unit_price" in line:
            vals["price_unit"] = to_odoo_number(line["unit_price"], field=f"{where}: unit_price")
        elif po_line and "price_unit" in po_line:
            vals["price_unit"] = po_line["price_unit"]
        else:
            raise PermanentError(f"{where}: `unit_price` is required", code="invalid_payload")
        explicit = any(key in line for key in _ANALYTIC_KEYS)
        if not explicit and po_line and po_line.get("analytic_distribution"):
            # The bill line books where the order line booked, unless told otherwise.
            vals["analytic_distribution"] = po_line["analytic_distribution"]
        else:
            distribution = _distribution(
                ctx, line, project_account=_project_account(ctx, line) or project_account
            )
            if distribution:
                vals["analytic_distribution"] = distribution
        return vals

    def vals(self, ctx, payload, *, create):
        vals: dict[str, Any] = {}
        order_id = _purchase_order_id(ctx, payload, domain=self.domain)
        po_lines = _purchase_lines(ctx, [order_id])[order_id] if order_id else []
        if create:
            vals["move_type"] = self.move_type(payload)
            company = _company(payload, domain=self.domain)
            if company:
                vals["company_id"] = company
            vals["ref"] = str(_required(payload, "number", domain=self.domain))
            vals["partner_id"] = self._partner(ctx, payload)
            lines = _required(payload, "lines", domain=self.domain)
            vals["invoice_line_ids"] = [
                [
                    0,
                    0,
                    self.line_vals(ctx, line, position, po_lines, _project_account(ctx, payload)),
                ]
                for position, line in enumerate(lines, start=1)
            ]
            if order_id:
                order = ctx.batch_cache.get("purchase_order_names", {}).get(order_id)
                if order:
                    vals["invoice_origin"] = order["name"]
        if payload.get("invoice_date"):
            vals["invoice_date"] = to_odoo_date(payload["invoice_date"], field="invoice_date")
        if payload.get("due_date"):
            vals["invoice_date_due"] = to_odoo_date(payload["due_date"], field="due_date")
        if payload.get("currency"):
            vals["currency_id"] = ctx.resolver.get("currency", payload["currency"])
        if "notes" in payload:
            vals["narration"] = _optional_text(payload["notes"])
        return vals

    def after_write(self, ctx, items):
        wanted = [item for item in items if item.payload.get("post")]
        if not wanted:
            return
        states = {
            row["id"]: row["state"]
            for row in ctx.read(self.model, [i.odoo_id for i in wanted], ["state"])
        }
        ctx.call_per_record(
            self.model, "action_post", [i for i in wanted if states.get(i.odoo_id) == "draft"]
        )

    def hold_field(self, ctx) -> str:
        # The 3-way-match "Should Be Paid" switch (reference §3, account.move): the hub's
        # match result and hold/release land there.
        name = ctx.field_name(self.model, ["release_to_pay_manual"])
        if not name:
            raise PermanentError(
                "This Odoo has no release_to_pay_manual on account.move (3-way match module "
                "not installed): bills cannot be held from the hub",
                code="unsupported",
            )
        return name

    def describe_fields(self):
        return ["name", "state", "payment_state", "amount_total", "invoice_line_ids"]

    def describe_row(self, row):
        return {
            "name": row.get("name"),
            "state": row.get("state"),
            "payment_state": row.get("payment_state"),
            "amount_total": from_odoo_money(row.get("amount_total")),
            "line_ids": list(row.get("invoice_line_ids") or []),
        }

    def pull_related(self, ctx, records):
        ids = [r["id"] for r in records]
        if not ids:
            return {"lines": {}}
        fields_wanted = ctx.available_fields("account.move.line", self.line_fields)
        rows = ctx.search_read(
            "account.move.line", [("move_id", "in", ids)], fields_wanted, order="id"
        )
        lines: dict[int, list] = defaultdict(list)
        for row in rows:
            # Tax, payment-term and section lines are Odoo's bookkeeping, not bill lines.
            if row.get("display_type") not in (None, False, "product"):
                continue
            lines[many2one_id(row.get("move_id"))].append(row)
        return {"lines": lines}

    def to_canonical(self, record, related):
        kinds = {v: k for k, v in self.move_types.items()}
        return {
            "number": from_odoo_text(record.get("ref")),
            "odoo_name": from_odoo_text(record.get("name")),
            "kind": kinds.get(record.get("move_type"), from_odoo_text(record.get("move_type"))),
            "state": from_odoo_text(record.get("state")),
            "payment_state": from_odoo_text(record.get("payment_state")),
            "release_to_pay": from_odoo_text(record.get("release_to_pay_manual")),
            "vendor_id": many2one_id(record.get("partner_id")),
            "vendor_name": many2one_name(record.get("partner_id")),
            "invoice_date": from_odoo_date(record.get("invoice_date")),
            "due_date": from_odoo_date(record.get("invoice_date_due")),
            "currency": many2one_name(record.get("currency_id")),
            "commitment_odoo_name": from_odoo_text(record.get("invoice_origin")),
            "amount_untaxed": from_odoo_money(record.get("amount_untaxed")),
            "amount_tax": from_odoo_money(record.get("amount_tax")),
            "amount_total": from_odoo_money(record.get("amount_total")),
            "amount_residual": from_odoo_money(record.get("amount_residual")),
            "lines": [
                {
                    "line_id": line["id"],
                    "purchase_line_id": many2one_id(line.get("purchase_line_id")),
                    "description": from_odoo_text(line.get("name")),
                    "product_id": many2one_id(line.get("product_id")),
                    "quantity": from_odoo_quantity(line.get("quantity")),
                    "unit_price": from_odoo_money(line.get("price_unit")),
                    "subtotal": from_odoo_money(line.get("price_subtotal")),
                    "analytic_distribution": analytic_distribution_from_odoo(
                        line.get("analytic_distribution")
                    ),
                }
                for line in related.get("lines", {}).get(record["id"], [])
            ],
        }


# --- payment → account.payment --------------------------------------------------------------------
class PaymentSpec(DomainSpec):
    domain = "payment"
    model = "account.payment"
    natural_payload_key = "reference"
    actions = {"post": "action_post", "cancel": "action_cancel"}
    pull_domain = [("partner_type", "=", "supplier")]
    pull_fields = [
        "name", "memo", "ref", "payment_type", "partner_type", "partner_id", "amount",
        "currency_id", "date", "state", "journal_id", "write_date",
    ]  # fmt: skip

    def memo_field(self, ctx) -> str:
        # 18+: memo; ≤17: ref (reference §3, account.payment).
        return ctx.field_name(self.model, ["memo", "ref"]) or "ref"

    def natural_field_for(self, ctx):
        return self.memo_field(ctx)

    def find_scope(self):
        return [("partner_type", "=", "supplier")]

    def references(self, ctx, payload):
        ctx.resolver.want("partner", payload.get("vendor_ref"))
        ctx.resolver.want("currency", payload.get("currency"))
        ctx.resolver.want("journal", payload.get("journal_code"))

    def prepare(self, ctx, items):
        """Resolve the bills a payment settles (`invoice_ids`, or `invoice_numbers` = the
        vendor's bill numbers) in one search."""
        wanted: dict[str, list[PushItem]] = defaultdict(list)
        for item in items:
            for number in item.payload.get("invoice_numbers") or []:
                wanted[str(number)].append(item)
        if not wanted:
            return
        rows = ctx.search_read(
            "account.move",
            [("ref", "in", sorted(wanted)), ("move_type", "in", ["in_invoice", "in_refund"])],
            ["ref", "partner_id", "state"],
            order="id",
        )
        bills = ctx.batch_cache.setdefault("bills_by_ref", defaultdict(list))
        for row in rows:
            if row.get("state") != "cancel":
                bills[(str(row["ref"]), many2one_id(row["partner_id"]))].append(row["id"])

    def bills(self, ctx, payload) -> list[int]:
        ids = [int(i) for i in payload.get("invoice_ids") or []]
        numbers = payload.get("invoice_numbers") or []
        if numbers:
            partner = self._partner(ctx, payload)
            found = ctx.batch_cache.get("bills_by_ref", {})
            for number in numbers:
                matches = found.get((str(number), partner), [])
                if len(matches) != 1:
                    raise PermanentError(
                        f"payment: {'no' if not matches else 'more than one'} open vendor "
                        f"bill {number!r} for vendor {partner} in Odoo",
                        code="unknown_reference" if not matches else "ambiguous_reference",
                    )
                ids.append(matches[0])
        return ids

    def _partner(self, ctx, payload) -> int:
        partner = _reference(ctx, payload, id_key="vendor_id", ref_key="vendor_ref", kind="partner")
        if not partner:
            raise PermanentError(
                "payment: `vendor_id` or `vendor_ref` is required", code="invalid_payload"
            )
        return partner

    def vals(self, ctx, payload, *, create):
        vals: dict[str, Any] = {}
        if create:
            vals["payment_type"] = "outbound"
            vals["partner_type"] = "supplier"
            vals[self.memo_field(ctx)] = str(_required(payload, "reference", domain=self.domain))
            vals["partner_id"] = self._partner(ctx, payload)
            if not self.bills(ctx, payload):  # the register wizard defaults to the amount due
                vals["amount"] = to_odoo_number(
                    _required(payload, "amount", domain=self.domain), field="amount"
                )
        if not create and "amount" in payload or create and payload.get("amount") is not None:
            vals["amount"] = to_odoo_number(payload["amount"], field="amount")
        if payload.get("currency"):
            vals["currency_id"] = ctx.resolver.get("currency", payload["currency"])
        if payload.get("date"):
            vals["date"] = to_odoo_date(payload["date"], field="date")
        if payload.get("journal_code"):
            vals["journal_id"] = ctx.resolver.get("journal", payload["journal_code"])
        return vals

    def create_custom(self, ctx, items):
        """Payments of bills go through Odoo's register wizard (account.payment.register with
        active_ids), which creates, posts and reconciles the payment as a user would; the
        memo carries our reference so a retry finds it."""
        plain = []
        memo = self.memo_field(ctx)
        for item in items:
            bills = self.bills(ctx, item.payload)
            if not bills:
                plain.append(item)
                continue
            context = {"active_model": "account.move", "active_ids": bills}
            wizard = {"communication": item.vals[memo], "group_payment": True}
            if "amount" in item.vals:
                wizard["amount"] = item.vals["amount"]
            if "date" in item.vals:
                wizard["payment_date"] = item.vals["date"]
            for key in ("journal_id", "currency_id"):
                if key in item.vals:
                    wizard[key] = item.vals[key]
            try:
                wizard_ids = ctx.call(
                    "account.payment.register", "create", [[wizard]], records=1, context=context
                )
                ctx.call(
                    "account.payment.register",
                    "action_create_payments",
                    [wizard_ids],
                    context=context,
                )
            except PermanentError as exc:
                item.error = exc
                continue
            found = ctx.search_read(
                self.model,
                [(memo, "=", item.vals[memo]), ("partner_type", "=", "supplier")],
                ["id"],
                order="id desc",
                limit=1,
            )
            if not found:
                raise TransientError(
                    f"Odoo registered the payment {item.vals[memo]!r} but it cannot be found",
                    code="invalid_response",
                )
            item.odoo_id = found[0]["id"]
            item.created = True
        return plain

    def after_write(self, ctx, items):
        wanted = [item for item in items if item.payload.get("post", True)]
        if not wanted:
            return
        states = {
            row["id"]: row["state"]
            for row in ctx.read(self.model, [i.odoo_id for i in wanted], ["state"])
        }
        ctx.call_per_record(
            self.model, "action_post", [i for i in wanted if states.get(i.odoo_id) == "draft"]
        )

    def describe_fields(self):
        return ["name", "state", "amount"]

    def describe_row(self, row):
        return {
            "name": row.get("name"),
            "state": row.get("state"),
            "amount": from_odoo_money(row.get("amount")),
        }

    def to_canonical(self, record, related):
        return {
            "reference": from_odoo_text(record.get("memo") or record.get("ref")),
            "odoo_name": from_odoo_text(record.get("name")),
            "direction": from_odoo_text(record.get("payment_type")),
            "vendor_id": many2one_id(record.get("partner_id")),
            "vendor_name": many2one_name(record.get("partner_id")),
            "amount": from_odoo_money(record.get("amount")),
            "currency": many2one_name(record.get("currency_id")),
            "date": from_odoo_date(record.get("date")),
            "state": from_odoo_text(record.get("state")),
            "journal": many2one_name(record.get("journal_id")),
        }


# --- product → product.product (a reference catalogue) -------------------------------------------
class ProductSpec(DomainSpec):
    domain = "product"
    model = "product.product"
    natural_field = "default_code"
    natural_payload_key = "code"
    pull_fields = [
        "name", "default_code", "type", "detailed_type", "purchase_method", "uom_id",
        "standard_price", "active", "write_date",
    ]  # fmt: skip

    product_types = {"goods": "consu", "consu": "consu", "service": "service"}

    def references(self, ctx, payload):
        ctx.resolver.want("uom", payload.get("unit"))

    def vals(self, ctx, payload, *, create):
        vals: dict[str, Any] = {}
        if create:
            vals["default_code"] = str(_required(payload, "code", domain=self.domain))
            vals["name"] = str(_required(payload, "name", domain=self.domain))
        elif payload.get("name"):
            vals["name"] = str(payload["name"])
        if payload.get("type"):
            if payload["type"] not in self.product_types:
                raise PermanentError(
                    f"product: `type` must be goods or service, not {payload['type']!r}",
                    code="invalid_payload",
                )
            vals["type"] = self.product_types[payload["type"]]
        if payload.get("unit"):
            vals["uom_id"] = ctx.resolver.get("uom", payload["unit"])
        if "standard_price" in payload:
            vals["standard_price"] = to_odoo_number(
                payload["standard_price"], field="standard_price"
            )
        if payload.get("purchase_method") and ctx.has_field(self.model, "purchase_method"):
            vals["purchase_method"] = str(payload["purchase_method"])
        if "active" in payload:
            vals["active"] = bool(payload["active"])
        return vals

    def to_canonical(self, record, related):
        return {
            "code": from_odoo_text(record.get("default_code")),
            "name": from_odoo_text(record.get("name")),
            "type": from_odoo_text(record.get("detailed_type") or record.get("type")),
            "purchase_method": from_odoo_text(record.get("purchase_method")),
            "unit": many2one_name(record.get("uom_id")),
            "standard_price": from_odoo_money(record.get("standard_price")),
            "active": record.get("active", True) is not False,
        }


# --- customer_invoice → account.move (out_invoice: owner progress billing) ----------------------
class CustomerInvoiceSpec(InvoiceSpec):
    """Customer invoices (a pay application billed to the owner). The customer is found by its
    reference (res.partner.ref = payload.customer_ref) and created as a customer when missing
    and a name is given; the invoice is the same invoice when customer, type and ref agree."""

    domain = "customer_invoice"
    pull_domain = [("move_type", "in", ["out_invoice", "out_refund"])]
    move_types = {"invoice": "out_invoice", "credit_note": "out_refund"}

    def move_type(self, payload) -> str:
        kind = payload.get("kind") or "invoice"
        if kind not in self.move_types:
            raise PermanentError(
                f"customer_invoice: `kind` must be invoice or credit_note, not {kind!r}",
                code="invalid_payload",
            )
        return self.move_types[kind]

    def references(self, ctx, payload):
        ctx.resolver.want("partner", payload.get("customer_ref"))
        ctx.resolver.want("currency", payload.get("currency"))
        ctx.resolver.want("analytic", payload.get("project_code"))
        for line in payload.get("lines") or []:
            _want_line_references(ctx, line)

    def prepare(self, ctx, items):
        _customers_ensure(ctx, items)

    def _partner(self, ctx, payload) -> int:
        partner = _reference(
            ctx, payload, id_key="customer_id", ref_key="customer_ref", kind="partner"
        )
        if partner:
            return partner
        raise PermanentError(
            "customer_invoice: `customer_id` or `customer_ref` is required",
            code="invalid_payload",
        )

    def find(self, ctx, items):
        by_key: dict[str, list[PushItem]] = defaultdict(list)
        for item in items:
            payload = item.payload
            if not payload.get("number"):
                continue
            try:
                key = f"{self._partner(ctx, payload)}|{self.move_type(payload)}|{payload['number']}"
            except PermanentError as exc:
                item.error = exc
                continue
            by_key[key].append(item)
        if not by_key:
            return
        refs = sorted({key.split("|", 2)[2] for key in by_key})
        rows = ctx.search_read(
            self.model,
            [("ref", "in", refs), ("move_type", "in", list(self.move_types.values()))],
            ["ref", "partner_id", "move_type"],
            order="id",
        )
        self._assign_found(
            rows,
            by_key,
            key_of=lambda r: f"{many2one_id(r['partner_id'])}|{r['move_type']}|{r['ref']}",
        )

    def to_canonical(self, record, related):
        canonical = super().to_canonical(record, related)
        canonical["customer_id"] = canonical.pop("vendor_id")
        canonical["customer_name"] = canonical.pop("vendor_name")
        canonical.pop("release_to_pay", None)
        canonical.pop("commitment_odoo_name", None)
        return canonical


# --- sale_order → sale.order (the seller's side of an intercompany commitment, issue #13) ---------
def _customers_ensure(ctx: PushContext, items: list[PushItem]) -> None:
    """A customer seen for the first time is created once per batch, as a company customer with
    its reference (res.partner.ref = payload.customer_ref), so the next push finds it."""
    for item in items:
        ref = item.payload.get("customer_ref")
        if item.payload.get("customer_id") or not ref or ctx.resolver.known("partner", ref):
            continue
        name = item.payload.get("customer_name")
        if not name:
            continue
        partner_id = ctx.call(
            "res.partner",
            "create",
            [{"name": str(name), "ref": str(ref), "is_company": True, "customer_rank": 1}],
            records=1,
        )
        if isinstance(partner_id, list):
            partner_id = partner_id[0]
        ctx.resolver.remember("partner", str(ref), int(partner_id))


def _sale_company(payload: dict[str, Any]) -> int | None:
    value = payload.get("company_id")
    if value in (None, "", False):
        return None
    if isinstance(value, bool) or not str(value).isdigit() or int(value) <= 0:
        raise PermanentError(
            f"sale_order: `company_id` must be an Odoo company id, not {value!r}",
            code="invalid_payload",
        )
    return int(value)


def _sale_order_pick(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Of the orders carrying one reference, the live one (a cancelled order may have been
    replaced); None when two live ones make the reference ambiguous."""
    live = [row for row in rows if row.get("state") != "cancel"]
    if len(live) > 1:
        return None
    return live[0] if live else (max(rows, key=lambda row: row["id"]) if rows else None)


class SaleOrderSpec(DomainSpec):
    """The seller's sales order for an intercompany commitment, in the seller's Odoo company.
    Its natural key is (client_order_ref = payload.number, company_id); the customer is the
    buying entity, found by res.partner.ref = customer_ref or created as a company customer."""

    domain = "sale_order"
    model = "sale.order"
    natural_field = "client_order_ref"
    natural_payload_key = "number"
    actions = {"confirm": "action_confirm", "cancel": "action_cancel", "draft": "action_draft"}
    # Over RPC, Odoo 17's action_cancel on a confirmed order answers with the sale.order.cancel
    # wizard and cancels nothing, unless the context says disable_cancel_warning.
    action_context = {"cancel": {"disable_cancel_warning": True}}
    pull_fields = [
        "name", "client_order_ref", "state", "partner_id", "company_id", "currency_id",
        "date_order", "origin", "amount_untaxed", "amount_tax", "amount_total", "write_date",
    ]  # fmt: skip
    line_fields = ["order_id", "display_type", "product_id", "name", "product_uom_qty",
                   "price_unit"]  # fmt: skip

    # --- push --------------------------------------------------------------------------
    def references(self, ctx, payload):
        ctx.resolver.want("partner", payload.get("customer_ref"))
        ctx.resolver.want("currency", payload.get("currency"))
        ctx.resolver.want("product", ctx.options.get("sale_line_product"))
        for line in payload.get("lines") or []:
            ctx.resolver.want("product", line.get("product_code"))

    def prepare(self, ctx, items):
        _customers_ensure(ctx, items)

    def find(self, ctx, items):
        """Same order = same client_order_ref in the same company (any company when the payload
        names none)."""
        by_company: dict[int | None, dict[str, list[PushItem]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for item in items:
            key = self.natural_value(item.payload)
            if key is None:
                continue
            try:
                company = _sale_company(item.payload)
            except PermanentError as exc:
                item.error = exc
                continue
            by_company[company][key].append(item)
        for company, by_key in by_company.items():
            search = [("client_order_ref", "in", sorted(by_key))]
            if company:
                search.append(("company_id", "=", company))
            rows = ctx.search_read(
                self.model, search, ["client_order_ref", "state", "company_id"], order="id"
            )
            grouped: dict[str, list[dict]] = defaultdict(list)
            for row in rows:
                grouped[str(row["client_order_ref"])].append(row)
            for key, found in grouped.items():
                chosen = _sale_order_pick(found)
                for item in by_key.get(key, []):
                    if item.odoo_id is not None or not item.ok:
                        continue
                    if chosen is None:
                        item.error = PermanentError(
                            f"More than one live sale.order carries the customer reference "
                            f"{key!r} (ids {', '.join(str(r['id']) for r in found)}); cancel "
                            "the duplicate in Odoo",
                            code="ambiguous_reference",
                        )
                        continue
                    item.odoo_id = chosen["id"]
                    item.found_by = "reference"

    def located(self, ctx, items, *, operation):
        """For updates: each order's state and lines, read once for the batch (one read, one
        search_read), so vals() can decide what Odoo allows to change."""
        if operation == "create":
            return
        ids = sorted({item.odoo_id for item in items if item.odoo_id})
        if not ids:
            return
        orders = {row["id"]: row for row in ctx.read(self.model, ids, ["name", "state"])}
        lines: dict[int, list[dict]] = defaultdict(list)
        for row in ctx.search_read(
            "sale.order.line",
            [("order_id", "in", ids)],
            ctx.available_fields("sale.order.line", self.line_fields),
            order="order_id, sequence, id",
        ):
            lines[many2one_id(row.get("order_id"))].append(row)
        known = ctx.batch_cache.setdefault("sale_orders", {})
        for item in items:
            if item.odoo_id in orders:
                known[id(item.payload)] = {
                    **orders[item.odoo_id],
                    "lines": lines.get(item.odoo_id, []),
                }

    def _partner(self, ctx, payload) -> int:
        partner = _reference(
            ctx, payload, id_key="customer_id", ref_key="customer_ref", kind="partner"
        )
        if partner:
            return partner
        raise PermanentError(
            "sale_order: `customer_ref` (with `customer_name` to create the customer) or "
            "`customer_id` is required",
            code="invalid_payload",
        )

    def line_vals(self, ctx, line: dict[str, Any], position: int) -> dict[str, Any]:
        where = f"sale_order line {position}"
        if not isinstance(line, dict):
            raise PermanentError(f"{where}: expected an object", code="invalid_payload")
        for key in ("quantity", "unit_price"):
            if line.get(key) in (None, ""):
                raise PermanentError(f"{where}: `{key}` is required", code="invalid_payload")
        product = _reference(ctx, line, id_key="product_id", ref_key="product_code", kind="product")
        if product is None and ctx.options.get("sale_line_product"):
            product = ctx.resolver.get("product", ctx.options["sale_line_product"])
        if product is None:
            # Odoo's SQL constraint accountable_required_fields: no product, no sales line.
            raise PermanentError(
                f"{where}: `product_code` is required: Odoo refuses a sales order line without "
                "a product (or set the System option sale_line_product to the default_code of "
                "the product to use for lines without one)",
                code="invalid_payload",
            )
        vals: dict[str, Any] = {
            "product_id": product,
            "product_uom_qty": to_odoo_number(line["quantity"], field=f"{where}: quantity"),
            "price_unit": to_odoo_number(line["unit_price"], field=f"{where}: unit_price"),
        }
        description = line.get("description") or line.get("product_code")
        if description:
            vals["name"] = str(description)
        return vals

    def _lines(self, ctx, payload) -> list[dict[str, Any]]:
        lines = payload.get("lines")
        if not isinstance(lines, list) or not lines:
            raise PermanentError(
                "sale_order: `lines` must be a non-empty list of "
                "{description, quantity, unit_price, product_code}",
                code="invalid_payload",
            )
        return [self.line_vals(ctx, line, position) for position, line in enumerate(lines, 1)]

    def _header(self, ctx, payload, *, create: bool) -> dict[str, Any]:
        vals: dict[str, Any] = {}
        if create or payload.get("customer_ref") or payload.get("customer_id"):
            vals["partner_id"] = self._partner(ctx, payload)
        if payload.get("currency"):
            vals["currency_id"] = ctx.resolver.get("currency", payload["currency"])
        elif create:
            # The buyer's commitment has a currency; Odoo's default (the seller company's)
            # could silently differ from it.
            raise PermanentError(
                "sale_order: `currency` is required (the commitment's ISO code, e.g. EUR)",
                code="invalid_payload",
            )
        if payload.get("date_order"):
            vals["date_order"] = to_odoo_datetime(payload["date_order"], field="date_order")
        return vals

    def vals(self, ctx, payload, *, create):
        if create:
            vals = {"client_order_ref": str(_required(payload, "number", domain=self.domain))}
            company = _sale_company(payload)
            if company:
                vals["company_id"] = company
            vals.update(self._header(ctx, payload, create=True))
            if payload.get("origin"):
                vals["origin"] = str(payload["origin"])
            if payload.get("notes"):
                vals["note"] = str(payload["notes"])
            vals["order_line"] = [[0, 0, line] for line in self._lines(ctx, payload)]
            return vals
        order = ctx.batch_cache.get("sale_orders", {}).get(id(payload))
        if order is None:  # not read back (an external_id Odoo no longer has): Odoo will say
            return self._header(ctx, payload, create=False)
        if order.get("state") == "cancel":
            raise PermanentError(
                f"sale_order: {order.get('name')} is cancelled in Odoo and cannot be updated; "
                "set it back to draft first",
                code="invalid_state",
            )
        vals = {}
        if order.get("state") in ("draft", "sent"):
            vals.update(self._header(ctx, payload, create=False))
        if "origin" in payload:
            vals["origin"] = _optional_text(payload["origin"])
        if "notes" in payload:
            vals["note"] = _optional_text(payload["notes"])
        if payload.get("lines"):
            wanted = self._lines(ctx, payload)
            current = [line for line in order["lines"] if not line.get("display_type")]
            if order.get("state") in ("draft", "sent"):
                # A quotation is rewritten: its lines are replaced by the payload's.
                commands = [[2, line["id"], 0] for line in current]
                commands += [[0, 0, line] for line in wanted]
            else:
                # A confirmed order keeps its lines (Odoo refuses to delete them): lines are
                # matched by position, changed values written, new lines added, lines no longer
                # wanted set to quantity 0 (Odoo's own advice).
                commands = []
                for position, line in enumerate(wanted):
                    if position >= len(current):
                        commands.append([0, 0, line])
                        continue
                    changed = _sale_line_changes(current[position], line)
                    if changed:
                        commands.append([1, current[position]["id"], changed])
                commands += [
                    [1, line["id"], {"product_uom_qty": 0.0}]
                    for line in current[len(wanted) :]
                    if float(line.get("product_uom_qty") or 0.0) != 0.0
                ]
            if commands:
                vals["order_line"] = commands
        return vals

    def after_write(self, ctx, items):
        wanted = [item for item in items if item.payload.get("confirm", True)]
        if not wanted:
            return
        states = {
            row["id"]: row["state"]
            for row in ctx.read(self.model, [i.odoo_id for i in wanted], ["state"])
        }
        # A retried push finds the order confirmed already and leaves it alone.
        to_confirm = [i for i in wanted if states.get(i.odoo_id) in ("draft", "sent")]
        ctx.call_per_record(self.model, "action_confirm", to_confirm)

    def describe_fields(self):
        return [
            "name", "client_order_ref", "state", "amount_untaxed", "amount_total",
            "currency_id", "company_id", "order_line",
        ]  # fmt: skip

    def describe_row(self, row):
        return {
            "name": row.get("name"),
            "number": from_odoo_text(row.get("client_order_ref")),
            "state": row.get("state"),
            "amount_untaxed": from_odoo_money(row.get("amount_untaxed")),
            "amount_total": from_odoo_money(row.get("amount_total")),
            "currency": many2one_name(row.get("currency_id")),
            "company_id": many2one_id(row.get("company_id")),
            "line_ids": list(row.get("order_line") or []),
        }

    # --- pull --------------------------------------------------------------------------
    def pull_related(self, ctx, records):
        return {"customer_refs": _partner_refs(ctx.read, records)}

    def to_canonical(self, record, related):
        partner = many2one_id(record.get("partner_id"))
        return {
            "name": from_odoo_text(record.get("name")),
            "number": from_odoo_text(record.get("client_order_ref")),
            "state": from_odoo_text(record.get("state")),
            "amount_untaxed": from_odoo_money(record.get("amount_untaxed")),
            "amount_tax": from_odoo_money(record.get("amount_tax")),
            "amount_total": from_odoo_money(record.get("amount_total")),
            "currency": many2one_name(record.get("currency_id")),
            "company_id": many2one_id(record.get("company_id")),
            "customer_id": partner,
            "customer_ref": related.get("customer_refs", {}).get(partner, ""),
            "customer_name": many2one_name(record.get("partner_id")),
            "date_order": from_odoo_datetime(record.get("date_order")),
            "origin": from_odoo_text(record.get("origin")),
        }


def _sale_line_changes(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """The values of `wanted` that differ from the line as Odoo holds it."""
    changes = {}
    for key, value in wanted.items():
        held = current.get(key)
        if key == "product_id":
            held = many2one_id(held)
        if isinstance(value, float):
            if held is None or abs(float(held or 0.0) - value) > 1e-9:
                changes[key] = value
        elif held != value:
            changes[key] = value
    return changes


def _partner_refs(read, records: list[dict[str, Any]]) -> dict[int, str]:
    ids = sorted({p for r in records if (p := many2one_id(r.get("partner_id")))})
    if not ids:
        return {}
    return {row["id"]: from_odoo_text(row.get("ref")) for row in read("res.partner", ids, ["ref"])}


SALE_ORDER_SPEC = SaleOrderSpec()


def sale_orders_by_reference(
    connector_or_client: Any, references: list[str], company_id: int | None
) -> dict[str, dict[str, Any]]:
    """The sale orders carrying these client_order_refs (hub commitment numbers), as canonical
    records keyed by number: one search_read (per 1,000 references) and one read of the
    customers' refs. In a company when company_id is given. Of several orders with one
    reference the live one wins (a cancelled one only when it is the only one); two live ones
    are reported under the reference with "ambiguous": [ids]. A reference Odoo does not hold
    is absent from the result. For reconciliation jobs (apps/entities/intercompany.py)."""
    wanted = sorted({str(ref) for ref in references if ref not in (None, "")})
    if not wanted:
        return {}
    spec = SALE_ORDER_SPEC

    def call(model, method, args, kwargs=None):
        return connector_or_client.call(model, method, args, kwargs)

    def read(model, ids, fields_wanted):
        return call(model, "read", [list(ids)], {"fields": fields_wanted}) or []

    rows: list[dict[str, Any]] = []
    for start in range(0, len(wanted), 1000):
        search: list[Any] = [("client_order_ref", "in", wanted[start : start + 1000])]
        if company_id:
            search.append(("company_id", "=", int(company_id)))
        rows += (
            call(spec.model, "search_read", [search], {"fields": spec.pull_fields, "order": "id"})
            or []
        )
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[str(row.get("client_order_ref"))].append(row)
    related = {"customer_refs": _partner_refs(read, rows)}
    result: dict[str, dict[str, Any]] = {}
    for number, found in grouped.items():
        chosen = _sale_order_pick(found)
        if chosen is None:
            live = [row["id"] for row in found if row.get("state") != "cancel"]
            result[number] = {"number": number, "ambiguous": live}
            continue
        result[number] = {
            "domain": spec.domain,
            "external_id": str(chosen["id"]),
            "odoo_model": spec.model,
            "write_date": from_odoo_datetime(chosen.get("write_date")),
            **spec.to_canonical(chosen, related),
        }
    return result


DOMAIN_SPECS: dict[str, DomainSpec] = {
    spec.domain: spec
    for spec in (
        VendorSpec(),
        ProjectSpec(),
        CostCodeSpec(),
        BudgetLineSpec(),
        CommitmentSpec(),
        ReceiptSpec(),
        InvoiceSpec(),
        PaymentSpec(),
        ProductSpec(),
        CustomerInvoiceSpec(),
        SALE_ORDER_SPEC,
    )
}
