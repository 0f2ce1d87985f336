"""Compliance documents received through the document connector (domain
"compliance_document"): {vendor_ref, kind, expires_on, reference, project?, document_id?}."""

from __future__ import annotations

from datetime import date

from apps.sync.errors import ValidationProblem
from apps.sync.handlers import ApplyResult, DomainHandler, Field, register_handler


@register_handler("compliance_document")
class ComplianceDocumentHandler(DomainHandler):
    schemas = {
        "1": {
            "vendor_ref": Field("str", required=True, max_length=40),
            "kind": Field("str", required=True, max_length=20),
            "expires_on": Field("date"),
            "valid_from": Field("date"),
            "reference": Field("str", max_length=120),
            "document_id": Field("str", max_length=200),
        }
    }
    subject_keys = ("document_id", "reference")

    def validate(self, ctx) -> list[str]:
        from apps.compliance.choices import DocumentKind

        problems = super().validate(ctx)
        if ctx.record.get("kind") and ctx.record["kind"] not in DocumentKind.values:
            problems.append(f"kind: one of {', '.join(DocumentKind.values)}")
        return problems

    def apply(self, ctx) -> ApplyResult:
        from apps.compliance.choices import DocumentSource
        from apps.compliance.services import compliance_document_record
        from apps.procurement.models import Vendor

        canonical = ctx.canonical
        vendor = Vendor.objects.filter(code=canonical["vendor_ref"]).first()
        if vendor is None:
            raise ValidationProblem(
                f"vendor_ref: unknown vendor {canonical['vendor_ref']!r}",
                category="unknown_vendor",
                trace_key=f"vendor:{ctx.system.code}:{canonical['vendor_ref']}",
            )

        def day(key):
            value = canonical.get(key)
            return date.fromisoformat(str(value)[:10]) if value else None

        document = compliance_document_record(
            vendor=vendor,
            project=ctx.project,
            kind=canonical["kind"],
            expires_on=day("expires_on"),
            valid_from=day("valid_from"),
            reference=str(canonical.get("reference") or ""),
            source=DocumentSource.DOCUMENT_CONNECTOR,
            document_ref=str(canonical.get("document_id") or ctx.transaction.external_id or ""),
        )
        return ApplyResult(subject_id=str(document.pk), created=True)
