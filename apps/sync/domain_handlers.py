"""The handlers the sync engine ships: project, cost_code and vendor (master data). Other
domains use the generic handler until their app registers its own (see apps/sync/handlers.py).

Canonical shapes (the same keys the Odoo connector reads and writes):
    project    {code, name, status, currency, description, start_date, end_date, active}
    cost_code  {code, name, parent, level, plan, active}
    vendor     {ref, name, vat, email, phone, street, city, zip, country, currency, is_company,
                active}
"""

from __future__ import annotations

from apps.sync.choices import MappingKind
from apps.sync.handlers import (
    ApplyResult,
    DomainHandler,
    Field,
    ProcessingContext,
    register_handler,
)

_KEEP_TEXT = ("description", "start_date", "end_date")


def _masterformat_level(code: str) -> int:
    """ "03 00 00" → 1 (division), "03 30 00" → 2, "03 31 00" → 3, "03 31 13" → 4; else 1."""
    parts = code.split()
    if len(parts) != 3 or not all(p.isdigit() and len(p) == 2 for p in parts):
        return 1
    if parts[1] == "00":
        return 1
    if parts[2] == "00":
        return 2 if parts[1][1] == "0" else 3
    return 4


@register_handler("project")
class ProjectHandler(DomainHandler):
    """Projects: a system's project id maps to the hub's project code (Configuration →
    Mappings, kind "project reference"); unknown codes create the project."""

    schemas = {
        "1": {
            "code": Field("str", required=True, max_length=40),
            "name": Field("str", required=True, max_length=200),
            "status": Field("str"),
            "currency": Field("str", max_length=3),
            "start_date": Field("date"),
            "end_date": Field("date"),
            "description": Field("str"),
            "active": Field("bool"),
        }
    }
    subject_keys = ("code",)
    reconcile_fields = ("code", "name")

    def map(self, ctx: ProcessingContext) -> dict:
        from apps.projects.choices import ProjectStatus
        from apps.projects.models import Project

        record = ctx.record
        code = ctx.mapper.translate(MappingKind.PROJECT, record["code"], required=False)
        canonical = {"code": code, "name": str(record["name"]).strip()}
        status = record.get("status")
        if status not in (None, ""):
            canonical["status"] = (
                status
                if status in ProjectStatus.values
                else ctx.mapper.status(status, scope="project_status")
            )
        for key in ("currency", *_KEEP_TEXT, "active"):
            if key in record and record[key] not in (None, ""):
                canonical[key] = record[key]
        ctx.project = Project.objects.filter(code=code).first()
        return canonical

    def apply(self, ctx: ProcessingContext) -> ApplyResult:
        from apps.projects.models import Project
        from apps.projects.services import project_create

        canonical = ctx.canonical
        project = Project.objects.filter(code=canonical["code"]).first()
        if project is None:
            project = project_create(
                code=canonical["code"],
                name=canonical["name"],
                currency=canonical.get("currency") or "EUR",
            )
            if canonical.get("status"):
                project.status = canonical["status"]
                project.save(update_fields=["status", "updated_at"])
            ctx.project = project
            return ApplyResult(subject_id=project.code, created=True)
        # apps.projects has no update service yet: master-data fields are set here directly.
        changed = []
        for field_name in ("name", "status", "currency"):
            value = canonical.get(field_name)
            if value and getattr(project, field_name) != value:
                setattr(project, field_name, value)
                changed.append(field_name)
        if changed:
            project.save(update_fields=[*changed, "updated_at"])
        ctx.project = project
        return ApplyResult(
            subject_id=project.code, changed=bool(changed), detail={"changed": changed}
        )

    def outbound_payload(self, ctx: ProcessingContext, target) -> dict:
        keys = ("code", "name", "description", "start_date", "end_date", "active")
        return {k: ctx.canonical[k] for k in keys if k in ctx.canonical}


@register_handler("cost_code")
class CostCodeHandler(DomainHandler):
    """Cost codes: a platform's code maps to the canonical (MasterFormat-style) code when a
    mapping exists; otherwise the code is taken as it comes. Stored in the cost-code
    structure (apps.projects)."""

    schemas = {
        "1": {
            "code": Field("str", required=True, max_length=20),
            "name": Field("str", max_length=255),
            "title": Field("str", max_length=255),
            "parent": Field("str", max_length=20),
            "level": Field("int"),
            "active": Field("bool"),
        }
    }
    subject_keys = ("code",)
    reconcile_fields = ("code", "name")

    def validate(self, ctx: ProcessingContext) -> list[str]:
        problems = super().validate(ctx)
        if not problems and not (ctx.record.get("name") or ctx.record.get("title")):
            problems.append("name: required (or title)")
        return problems

    def map(self, ctx: ProcessingContext) -> dict:
        ctx.project = self.map_project(ctx)
        record = ctx.record
        code = ctx.mapper.translate(MappingKind.COST_CODE, record["code"], required=False)
        canonical = {"code": code, "name": str(record.get("name") or record.get("title")).strip()}
        if record.get("parent"):
            canonical["parent"] = ctx.mapper.translate(
                MappingKind.COST_CODE, record["parent"], required=False
            )
        for key in ("level", "plan", "active"):
            if record.get(key) not in (None, ""):
                canonical[key] = record[key]
        if ctx.project is not None:
            canonical["project_code"] = ctx.project.code
        return canonical

    def apply(self, ctx: ProcessingContext) -> ApplyResult:
        from apps.projects.models import CostCode
        from apps.projects.services import cost_codes_load

        canonical = ctx.canonical
        existed = CostCode.objects.filter(code=canonical["code"]).exists()
        level = canonical.get("level") or _masterformat_level(str(canonical["code"]))
        changed = cost_codes_load(
            rows=[
                {
                    "code": canonical["code"],
                    "title": canonical["name"],
                    "level": int(level),
                    "parent": canonical.get("parent", ""),
                }
            ]
        )
        return ApplyResult(subject_id=canonical["code"], created=not existed, changed=bool(changed))

    def outbound_payload(self, ctx: ProcessingContext, target) -> dict:
        payload = {
            "code": ctx.mapper.to_external(
                MappingKind.COST_CODE, ctx.canonical["code"], target=target
            ),
            "name": ctx.canonical["name"],
        }
        for key in ("plan", "active"):
            if key in ctx.canonical:
                payload[key] = ctx.canonical[key]
        return payload


def _change_source(system) -> str:
    """Where a vendor change came from, for the verification item (apps.vendors.ChangeSource)."""
    kind = getattr(system, "kind", "")
    if kind == "odoo":
        return "odoo"
    if kind == "procurement_portal" or "portal" in (getattr(system, "code", "") or ""):
        return "portal"
    return "platform"


@register_handler("vendor")
class VendorHandler(DomainHandler):
    """Vendors (Odoo is their system of record by default): stored through apps.procurement's
    vendor_upsert, keeping what the hub manages itself (approval status, insurance)."""

    schemas = {
        "1": {
            "ref": Field("str", max_length=40),
            "code": Field("str", max_length=40),
            "name": Field("str", required=True, max_length=200),
            "vat": Field("str", max_length=40),
            "iban": Field("str", max_length=34),
            "bank_account": Field("str", max_length=40),
            "bank_name": Field("str", max_length=120),
            "email": Field("str", max_length=254),
            "currency": Field("str", max_length=3),
            "active": Field("bool"),
        }
    }
    subject_keys = ("ref",)
    reconcile_fields = ("ref", "name", "vat", "email")
    text_fields = ("vat", "email", "phone", "street", "city", "zip", "country", "currency")
    # Bank details and the tax id are protected: a change waits for a second person (apps.vendors).
    bank_fields = ("iban", "bank_account", "bank_name")

    def validate(self, ctx: ProcessingContext) -> list[str]:
        problems = super().validate(ctx)
        if not (ctx.record.get("ref") or ctx.record.get("code")):
            problems.append("ref: required (the vendor's reference, or code)")
        return problems

    def map(self, ctx: ProcessingContext) -> dict:
        record = ctx.record
        ref = ctx.mapper.translate(
            MappingKind.VENDOR, record.get("ref") or record.get("code"), required=False
        )
        canonical = {"ref": ref, "name": str(record["name"]).strip()}
        for key in (*self.text_fields, *self.bank_fields, "is_company", "active"):
            if key in record and record[key] is not None:
                canonical[key] = record[key]
        ctx.project = None  # vendors are shared by all projects
        return canonical

    def apply(self, ctx: ProcessingContext) -> ApplyResult:
        from apps.procurement.models import Vendor
        from apps.procurement.services.vendors import vendor_upsert

        canonical = ctx.canonical
        existing = Vendor.objects.filter(code=canonical["ref"]).first()
        external_ref = existing.external_ref if existing is not None else ""
        if ctx.system.kind == "odoo" and ctx.transaction.external_id:
            external_ref = ctx.transaction.external_id
        keep = {}
        if existing is not None:
            # vendor_upsert writes every field: keep what the hub itself manages.
            keep = {
                "status": existing.status,
                "insurance_expiry": existing.insurance_expiry,
                "compliance_expiry": existing.compliance_expiry,
            }
        vendor = vendor_upsert(
            code=canonical["ref"],
            name=canonical["name"],
            vat=str(canonical.get("vat") or ""),
            iban=str(canonical.get("iban") or ""),
            bank_account=str(canonical.get("bank_account") or ""),
            bank_name=str(canonical.get("bank_name") or ""),
            email=str(canonical.get("email") or (existing.email if existing else "")),
            currency=str(canonical.get("currency") or (existing.currency if existing else "EUR")),
            external_ref=external_ref,
            change_source=_change_source(ctx.system),
            system=ctx.system,
            ledger_transaction=ctx.transaction,
            entered_by_label=str(ctx.record.get("changed_by") or ctx.record.get("user") or ""),
            **keep,
        )
        return ApplyResult(subject_id=vendor.code, created=existing is None)

    def outbound_payload(self, ctx: ProcessingContext, target) -> dict:
        keys = ("ref", "name", "vat", "email", "phone", "street", "city", "zip", "country")
        payload = {k: ctx.canonical[k] for k in keys if ctx.canonical.get(k) not in (None, "")}
        payload["ref"] = ctx.mapper.to_external(MappingKind.VENDOR, payload["ref"], target=target)
        for key in ("is_company", "active"):
            if key in ctx.canonical:
                payload[key] = ctx.canonical[key]
        return payload
