"""Per-domain handlers: how the pipeline validates, maps, applies and routes one domain.

The pipeline (apps/sync/pipeline.py) is the same for every domain; what differs lives in a
handler registered for the domain. Other apps plug theirs in without touching the pipeline:

    # apps/procurement/sync_handlers.py   (imported automatically on first use)
    from apps.sync.handlers import ApplyResult, DomainHandler, Field, register_handler

    @register_handler("commitment")
    class CommitmentHandler(DomainHandler):
        schemas = {"1": {"number": Field("str", required=True), "lines": Field("list")}}
        financial = True

        def map(self, ctx):                      # translate values (raises MappingMiss)
            canonical = super().map(ctx)         # project, cost codes, vendor, units
            ...
            return canonical

        def apply(self, ctx) -> ApplyResult:     # write the canonical store via your services
            po = commitment_upsert(...)
            return ApplyResult(subject_id=po.number, created=True)

    @register_control("commitment")             # budget / match / approval checks
    def budget_check(ctx):
        if over_budget:
            raise ControlHold("Over budget by …", category="budget_exceeded", trace_key=…)

Handler hooks (all take the ProcessingContext `ctx`; override what you need):
    record(transaction) -> dict          the domain data inside the payload (envelope unwrapped)
    validate(ctx) -> list[str]           problems against `schemas[ctx.schema_version]`
    map(ctx) -> dict                     canonical values (ctx.mapper translates; sets project)
    subject(ctx) -> str                  the canonical id (ordering, bindings, lineage)
    source_time(ctx) -> datetime|None    the source's time of the change (stale detection)
    apply(ctx) -> ApplyResult            write the canonical store (inside the stage's DB txn)
    routes(ctx, result) -> list[Route]|None   None = the sync policies decide the targets
    outbound_payload(ctx, target) -> dict     what a target receives (values mapped for it)
    amount(ctx) -> (Decimal|None, currency)   money at risk when the transaction is held
    references(ctx) -> dict              business references for the ledger search

Modules named `apps.<app>.sync_handlers` are imported on first lookup, so registering there
needs no other wiring. A later registration for the same domain replaces an earlier one (an
app's own handler overrides the fallback shipped here).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from importlib import import_module
from typing import Any

from django.apps import apps as django_apps
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from apps.sync.choices import FINANCIAL_DOMAINS, MappingKind
from apps.sync.errors import MappingMiss

logger = logging.getLogger(__name__)

# --- schemas -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One field of a domain schema. type: str, int, decimal, date, datetime, bool, list, dict,
    any."""

    type: str = "any"
    required: bool = False
    max_length: int | None = None
    choices: tuple = ()


def _check_value(name: str, spec: Field, value: Any) -> str | None:
    kind = spec.type
    if kind == "str":
        if not isinstance(value, str | int) or isinstance(value, bool):
            return f"{name}: expected text, got {type(value).__name__}"
        if spec.max_length and len(str(value)) > spec.max_length:
            return f"{name}: longer than {spec.max_length} characters"
    elif kind == "int":
        if isinstance(value, bool) or not isinstance(value, int | str):
            return f"{name}: expected an integer"
        try:
            int(value)
        except (TypeError, ValueError):
            return f"{name}: {value!r} is not an integer"
    elif kind == "decimal":
        if isinstance(value, bool | float):
            # Floats lose cents: money must arrive as a string or an integer.
            return f'{name}: send amounts as strings (e.g. "1250.00"), not floating point'
        try:
            Decimal(str(value))
        except (InvalidOperation, ValueError):
            return f"{name}: {value!r} is not a number"
    elif kind == "date":
        if not isinstance(value, str) or parse_date(value[:10]) is None:
            return f"{name}: {value!r} is not a date (YYYY-MM-DD)"
    elif kind == "datetime":
        if not isinstance(value, str) or _parse_when(value) is None:
            return f"{name}: {value!r} is not an ISO 8601 date-time"
    elif kind == "bool":
        if not isinstance(value, bool):
            return f"{name}: expected true or false"
    elif kind == "list":
        if not isinstance(value, list):
            return f"{name}: expected a list"
    elif kind == "dict" and not isinstance(value, dict):
        return f"{name}: expected an object"
    if spec.choices and value not in spec.choices:
        return f"{name}: {value!r} is not one of {', '.join(map(str, spec.choices))}"
    return None


def schema_problems(schema: dict[str, Field], record: dict) -> list[str]:
    """Every problem of a record against a schema (missing required fields, wrong types)."""
    problems = []
    for name, spec in schema.items():
        value = record.get(name)
        if value in (None, ""):
            if spec.required:
                problems.append(f"{name}: required")
            continue
        problem = _check_value(name, spec, value)
        if problem:
            problems.append(problem)
    return problems


def _parse_when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value:
        text = value.strip().replace(" ", "T", 1) if len(value) > 10 else value.strip()
        parsed = parse_datetime(text)
        if parsed is None:
            day = parse_date(text[:10])
            parsed = datetime(day.year, day.month, day.day) if day else None
    else:
        return None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.utc)
    return parsed


# --- mapping -------------------------------------------------------------------------------------


class Mapper:
    """Translates a system's values to canonical ones for one transaction (memoised per batch).

    A miss raises MappingMiss (the transaction is held; its trace key groups every transaction
    waiting for the same value). Values that already are canonical pass (a project code the hub
    knows, a cost code in the cost-code structure, a vendor code).
    """

    def __init__(self, system, *, memo: dict | None = None):
        self.system = system
        self.memo = memo if memo is not None else {}

    # Up to this many mappings of one kind for a system are read in one query per batch.
    PRELOAD_LIMIT = 5000

    def _table(self, kind: str, scope: str) -> dict | None:
        """All active mappings of (system, kind, scope) as {(value, "p"|"e"|None, project or
        entity id): canonical}, or None when there are too many to hold (then each value is
        looked up)."""
        from apps.sync.models import Mapping

        key = ("table", self.system.pk, kind, scope)
        if key not in self.memo:
            rows = list(
                Mapping.objects.filter(
                    kind=kind, system=self.system, scope=scope, active=True
                ).values_list("external_value", "project_id", "entity_id", "canonical_value")[
                    : self.PRELOAD_LIMIT + 1
                ]
            )
            if len(rows) > self.PRELOAD_LIMIT:
                self.memo[key] = None
            else:
                table = {}
                for value, project, entity, canonical in rows:
                    if project is not None:
                        table[(value, "p", project)] = canonical
                    elif entity is not None:
                        table[(value, "e", entity)] = canonical
                        table["has_entity_rows"] = True
                    else:
                        table[(value, None, None)] = canonical
                self.memo[key] = table
        return self.memo[key]

    def entity_of(self, project_id: int | None) -> int | None:
        """The entity of a project, once per project per batch (the memo is the batch's)."""
        if project_id is None:
            return None
        key = ("project_entity", project_id)
        if key not in self.memo:
            from apps.projects.models import Project

            self.memo[key] = (
                Project.objects.filter(pk=project_id).values_list("entity_id", flat=True).first()
            )
        return self.memo[key]

    def _lookup(self, kind: str, value: str, scope: str, project_id: int | None) -> str | None:
        """Project mapping > the project's entity's mapping > group mapping."""
        from apps.sync.selectors import mapping_lookup

        table = self._table(kind, scope)
        if table is not None:
            if project_id is not None:
                if (value, "p", project_id) in table:
                    return table[(value, "p", project_id)]
                # The project's entity is only looked up when some entity has its own rows.
                if table.get("has_entity_rows"):
                    entity_id = self.entity_of(project_id)
                    if entity_id is not None and (value, "e", entity_id) in table:
                        return table[(value, "e", entity_id)]
            return table.get((value, None, None))
        key = (self.system.pk, kind, scope, value, project_id)
        if key not in self.memo:
            self.memo[key] = mapping_lookup(
                kind=kind,
                system=self.system,
                external_value=value,
                scope=scope,
                project_id=project_id,
                entity_id=self.entity_of(project_id),
            )
        return self.memo[key]

    def _known_canonical(self, kind: str, value: str) -> bool:
        key = ("canonical", kind, value)
        if key in self.memo:
            return self.memo[key]
        known = False
        if kind == MappingKind.COST_CODE:
            model = _optional_model("projects.CostCode")
            known = model is not None and model.objects.filter(code=value).exists()
            if not known:
                from apps.sync.models import CanonicalRecord

                known = CanonicalRecord.objects.filter(
                    domain="cost_code", canonical_id=value
                ).exists()
        elif kind == MappingKind.VENDOR:
            model = _optional_model("procurement.Vendor")
            known = model is not None and model.objects.filter(code=value).exists()
            if not known:
                from apps.sync.models import CanonicalRecord

                known = CanonicalRecord.objects.filter(domain="vendor", canonical_id=value).exists()
        self.memo[key] = known
        return known

    def translate(
        self,
        kind: str,
        value: Any,
        *,
        scope: str = "",
        label: str = "",
        project_id: int | None = None,
        required: bool = True,
    ) -> str | None:
        """The canonical value, or MappingMiss (or None when not required)."""
        if value in (None, ""):
            return None
        value = str(value).strip()
        mapped = self._lookup(kind, value, scope, project_id)
        if mapped is not None:
            return mapped
        if not required or self._known_canonical(kind, value):
            return value
        raise MappingMiss(
            kind=kind, system_code=self.system.code, value=value, label=label, scope=scope
        )

    def project(self, ref: Any, *, label: str = ""):
        """The hub Project for a system's project reference (mapping, else the project code)."""
        from apps.projects.models import Project

        if ref in (None, ""):
            return None
        ref = str(ref).strip()
        key = ("project", self.system.pk, ref)
        if key not in self.memo:
            code = self._lookup(MappingKind.PROJECT, ref, "", None) or ref
            self.memo[key] = Project.objects.filter(code=code).first()
        project = self.memo[key]
        if project is None:
            raise MappingMiss(
                kind=MappingKind.PROJECT, system_code=self.system.code, value=ref, label=label
            )
        return project

    def cost_code(self, value: Any, *, label: str = "", project_id: int | None = None):
        return self.translate(MappingKind.COST_CODE, value, label=label, project_id=project_id)

    def vendor(self, value: Any, *, label: str = "", project_id: int | None = None):
        return self.translate(MappingKind.VENDOR, value, label=label, project_id=project_id)

    def unit(self, value: Any):
        # Units pass through when nobody mapped them: most systems agree on "m3", "ea", "t".
        return self.translate(MappingKind.UNIT, value, required=False)

    def status(self, value: Any, *, scope: str):
        """Status values always need a mapping (each platform has its own vocabulary)."""
        if value in (None, ""):
            return None
        value = str(value).strip()
        mapped = self._lookup(MappingKind.STATUS, value, scope, None)
        if mapped is None:
            raise MappingMiss(
                kind=MappingKind.STATUS, system_code=self.system.code, value=value, scope=scope
            )
        return mapped

    def to_external(
        self,
        kind: str,
        canonical_value: Any,
        *,
        target,
        scope: str = "",
        project_id: int | None = None,
    ) -> Any:
        """The target system's value for a canonical value (its mapping, else unchanged); with
        `project_id`, that project's or its entity's own mapping first."""
        from apps.sync.selectors import mapping_reverse

        if canonical_value in (None, ""):
            return canonical_value
        key = ("reverse", target.pk, kind, scope, str(canonical_value), project_id)
        if key not in self.memo:
            self.memo[key] = mapping_reverse(
                kind=kind,
                system=target,
                canonical_value=str(canonical_value),
                scope=scope,
                project_id=project_id,
                entity_id=self.entity_of(project_id),
            )
        return self.memo[key] if self.memo[key] is not None else canonical_value


def _optional_model(label: str):
    try:
        return django_apps.get_model(label)
    except LookupError:
        return None


# --- context and results -------------------------------------------------------------------------


@dataclass
class ProcessingContext:
    """Everything the stages know about one inbound transaction while it is processed."""

    transaction: Any
    system: Any
    handler: DomainHandler
    record: dict
    mapper: Mapper
    schema_version: str = "1"
    canonical: dict = field(default_factory=dict)
    project: Any = None
    subject_id: str = ""
    source_at: datetime | None = None
    # Filled by the stages, written on the transaction's events (what happened and why).
    notes: dict = field(default_factory=dict)
    overrides: set = field(default_factory=set)

    @property
    def domain(self) -> str:
        return self.transaction.domain

    @property
    def operation(self) -> str:
        return self.transaction.operation


@dataclass
class ApplyResult:
    """What `apply` did in the canonical store."""

    subject_id: str
    created: bool = False
    changed: bool = True
    detail: dict = field(default_factory=dict)


@dataclass
class Route:
    """One outbound delivery the pipeline must create for an applied transaction."""

    system: Any
    domain: str
    operation: str
    payload: dict
    subject_id: str = ""
    key_suffix: str = ""  # distinguishes several routes to the same system


# --- handlers ------------------------------------------------------------------------------------

# Well-known keys the generic mapping translates wherever they appear (top level and lines).
COST_CODE_KEYS = ("cost_code",)
VENDOR_KEYS = ("vendor_ref", "vendor_code", "vendor")
UNIT_KEYS = ("unit", "uom")
PROJECT_KEYS = ("project_ref", "project_code", "project")
UPSERT_OPERATIONS = frozenset(
    {"", "event", "create", "created", "update", "updated", "upsert", "changed", "import", "sync"}
)
ARCHIVE_OPERATIONS = frozenset({"delete", "deleted", "archive", "archived", "removed"})


class DomainHandler:
    """Base handler: the generic behaviour every domain gets unless it overrides a hook."""

    domain: str = ""
    # schema version → {field: Field}; an empty dict accepts any version and any record.
    schemas: dict[str, dict[str, Field]] = {}
    default_schema_version = "1"
    # Money domains need a second person to replay an overridden transaction (SoD).
    financial: bool | None = None
    # Keys that identify the record, tried in order for the subject id.
    subject_keys: tuple[str, ...] = ("id", "code", "ref", "number", "external_id")
    # Store the accepted canonical values in sync.CanonicalRecord (the hub's belief).
    keep_canonical_record = True
    # Fields reconciliation compares with what a system holds (empty = every shared key).
    reconcile_fields: tuple[str, ...] = ()

    @property
    def is_financial(self) -> bool:
        return self.domain in FINANCIAL_DOMAINS if self.financial is None else self.financial

    # -- reading the message
    def record(self, transaction) -> dict:
        """The domain data inside the payload: the generic envelope's `data`, else the payload."""
        payload = transaction.payload if isinstance(transaction.payload, dict) else {}
        data = payload.get("data")
        if isinstance(data, dict) and ("type" in payload or "domain" in payload):
            record = dict(data)
            for key in ("project", "project_code"):
                if key in payload and not record.get("project_ref"):
                    record["project_ref"] = payload[key]
            return record
        return dict(payload)

    def schema_version_of(self, transaction, record: dict) -> str:
        return str(
            transaction.schema_version
            or record.get("schema_version")
            or self.default_schema_version
        )

    # -- stages
    def validate(self, ctx: ProcessingContext) -> list[str]:
        if not self.schemas:
            return []
        schema = self.schemas.get(ctx.schema_version)
        if schema is None:
            supported = ", ".join(sorted(self.schemas))
            return [
                f"schema version {ctx.schema_version!r} is not supported for {self.domain} "
                f"(supported: {supported})"
            ]
        return schema_problems(schema, ctx.record)

    def map_project(self, ctx: ProcessingContext):
        """The project: resolved at ingest, else through the project-reference mapping."""
        tx = ctx.transaction
        for key in PROJECT_KEYS:
            ref = ctx.record.get(key)
            if isinstance(ref, str | int) and not isinstance(ref, bool) and str(ref):
                if tx.project_id:
                    from apps.projects.models import Project

                    project = Project.objects.filter(pk=tx.project_id).first()
                    if project is not None and project.code == str(ref):
                        return project
                return ctx.mapper.project(ref, label=str(ctx.record.get("project_name", "")))
        if tx.project_id:
            from apps.projects.models import Project

            return Project.objects.filter(pk=tx.project_id).first()
        return None

    def map_values(self, ctx: ProcessingContext, values: dict) -> dict:
        """Translate the well-known keys of one dict (cost code, vendor, unit)."""
        project_id = ctx.project.pk if ctx.project is not None else None
        out = dict(values)
        for key in COST_CODE_KEYS:
            if values.get(key) not in (None, ""):
                out[key] = ctx.mapper.cost_code(
                    values[key], label=str(values.get("cost_code_name", "")), project_id=project_id
                )
        for key in VENDOR_KEYS:
            if values.get(key) not in (None, "") and isinstance(values[key], str | int):
                out[key] = ctx.mapper.vendor(
                    values[key], label=str(values.get("vendor_name", "")), project_id=project_id
                )
        for key in UNIT_KEYS:
            if values.get(key) not in (None, ""):
                out[key] = ctx.mapper.unit(values[key])
        return out

    def map(self, ctx: ProcessingContext) -> dict:
        ctx.project = self.map_project(ctx)
        canonical = self.map_values(ctx, ctx.record)
        for key in PROJECT_KEYS:
            canonical.pop(key, None)
        if ctx.project is not None:
            canonical["project_code"] = ctx.project.code
        lines = canonical.get("lines")
        if isinstance(lines, list):
            canonical["lines"] = [
                self.map_values(ctx, line) if isinstance(line, dict) else line for line in lines
            ]
        return canonical

    def subject(self, ctx: ProcessingContext) -> str:
        for key in self.subject_keys:
            value = ctx.canonical.get(key)
            if value not in (None, "") and not isinstance(value, dict | list):
                return str(value)
        tx = ctx.transaction
        return str(tx.external_id or tx.subject_id or tx.idempotency_key)[:100]

    def source_time(self, ctx: ProcessingContext) -> datetime | None:
        tx = ctx.transaction
        occurred = getattr(tx, "occurred_at", None)
        if occurred is not None:
            return occurred
        for key in ("updated_at", "write_date", "modified_at", "occurred_at"):
            when = _parse_when(ctx.record.get(key))
            if when is not None:
                return when
        return None

    def apply(self, ctx: ProcessingContext) -> ApplyResult:
        """Generic canonical store: keep the accepted values (CanonicalRecord)."""
        return ApplyResult(subject_id=ctx.subject_id, created=False, changed=True)

    def routes(self, ctx: ProcessingContext, result: ApplyResult) -> list[Route] | None:
        return None  # the sync policies decide

    def outbound_operation(self, ctx: ProcessingContext) -> str:
        """Platform event verbs become connector operations ("updated" → "upsert")."""
        operation = (ctx.operation or "").lower()
        if operation in UPSERT_OPERATIONS:
            return "upsert"
        if operation in ARCHIVE_OPERATIONS:
            return "archive"
        return operation

    def outbound_payload(self, ctx: ProcessingContext, target) -> dict:
        """The canonical values, with cost codes / vendors / units in the target's terms."""
        payload = _map_outbound(ctx, ctx.canonical, target)
        lines = payload.get("lines")
        if isinstance(lines, list):
            payload["lines"] = [
                _map_outbound(ctx, line, target) if isinstance(line, dict) else line
                for line in lines
            ]
        return payload

    def delivered(self, *, transaction, system, response: dict) -> None:
        """After an outbound transaction of this (subject) domain was delivered: keep what the
        target answered that the hub needs later (e.g. Odoo's line ids). Runs after the
        delivery committed; the default keeps nothing."""

    def amount(self, ctx: ProcessingContext) -> tuple[Decimal | None, str]:
        for key in ("amount", "amount_total", "total", "value"):
            value = ctx.canonical.get(key, ctx.record.get(key))
            if value in (None, "") or isinstance(value, bool | float | dict | list):
                continue
            try:
                amount = Decimal(str(value))
            except (InvalidOperation, ValueError):
                continue
            currency = str(
                ctx.canonical.get("currency")
                or ctx.record.get("currency")
                or (ctx.project.currency if ctx.project is not None else "")
            )
            return amount, currency[:3]
        return None, ""

    def references(self, ctx: ProcessingContext) -> dict:
        refs = {}
        for key in ("number", "reference", "ref", "code", "po_number", "invoice_number"):
            value = ctx.canonical.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
                refs[key] = str(value)
        return refs


def _map_outbound(ctx: ProcessingContext, values: dict, target) -> dict:
    out = dict(values)
    # The record's project (and so its entity) picks project/entity mappings over group ones.
    project_id = ctx.project.pk if ctx.project is not None else None
    for key in COST_CODE_KEYS:
        if out.get(key):
            out[key] = ctx.mapper.to_external(
                MappingKind.COST_CODE, out[key], target=target, project_id=project_id
            )
    for key in VENDOR_KEYS:
        if out.get(key) and isinstance(out[key], str | int):
            out[key] = ctx.mapper.to_external(
                MappingKind.VENDOR, out[key], target=target, project_id=project_id
            )
    for key in UNIT_KEYS:
        if out.get(key):
            out[key] = ctx.mapper.to_external(
                MappingKind.UNIT, out[key], target=target, project_id=project_id
            )
    return out


class GenericHandler(DomainHandler):
    """Any domain without a handler of its own: generic mapping, CanonicalRecord store."""


# --- registry ------------------------------------------------------------------------------------

_HANDLERS: dict[str, DomainHandler] = {}
_CONTROLS: dict[str, list[Callable]] = {}
_discovered = False


def register_handler(domain: str):
    """Class decorator: make `cls` the handler for `domain` (replacing any earlier one)."""

    def decorator(cls):
        instance = cls()
        instance.domain = domain
        _HANDLERS[domain] = instance
        return cls

    return decorator


def register_control(domain: str, *, name: str = ""):
    """Function decorator: a control run for `domain` between mapping and apply. It raises
    ControlHold (held + exception item) or ControlFailure (failed + exception item) to stop
    the transaction, or returns None to let it pass. Controls run in registration order."""

    def decorator(func):
        func.control_name = name or func.__name__
        controls = _CONTROLS.setdefault(domain, [])
        controls[:] = [c for c in controls if c.control_name != func.control_name]
        controls.append(func)
        return func

    return decorator


def handlers_discover() -> None:
    """Import `apps.<app>.sync_handlers` for every installed app (once per process)."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    for config in django_apps.get_app_configs():
        if not config.name.startswith("apps."):
            continue
        module = f"{config.name}.sync_handlers"
        try:
            import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def handler_for(domain: str) -> DomainHandler:
    """The handler registered for a domain, else the generic one."""
    handlers_discover()
    handler = _HANDLERS.get(domain)
    if handler is None:
        handler = GenericHandler()
        handler.domain = domain
    return handler


def controls_for(domain: str) -> list[Callable]:
    handlers_discover()
    return list(_CONTROLS.get(domain, []))


def handler_domains() -> list[str]:
    handlers_discover()
    return sorted(_HANDLERS)


# The handlers shipped with the sync engine (project, cost_code, vendor) register on import.
import_module("apps.sync.domain_handlers")

__all__ = [
    "ApplyResult",
    "DomainHandler",
    "Field",
    "GenericHandler",
    "Mapper",
    "ProcessingContext",
    "Route",
    "controls_for",
    "handler_for",
    "register_control",
    "register_handler",
]
