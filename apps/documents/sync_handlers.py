"""The pipeline's handler for the `document` domain (apps/sync/handlers.py registry).

Procore and ACC deliveries carry ids only: mapping makes the follow-up GET through the system's
connector (`event_details`; a platform outage is a TransientError → the transaction retries, a
404 is permanent → failed with an item), resolves the project (the system's project-reference
mapping, else the platform project's number when it is a hub project code; neither → held,
invalid_project_reference) and keeps the fetched resource as the canonical payload, so the ledger
shows what was applied. Applying writes the document register (apps.documents.services); a
status code the project's status set does not know opens a `document_hold` item for the PMO.
"""

from __future__ import annotations

from datetime import datetime

from apps.connectors.registry import connector_for
from apps.documents.services import (
    aware_datetime,
    document_apply_resource,
    document_mark_deleted,
    document_review_hold_resolve,
)
from apps.exceptions.choices import ExceptionCategory
from apps.exceptions.services import exception_open
from apps.sync.errors import MappingMiss
from apps.sync.handlers import ApplyResult, DomainHandler, ProcessingContext, register_handler


@register_handler("document")
class DocumentHandler(DomainHandler):
    # The register itself is the canonical store of documents.
    keep_canonical_record = False

    def validate(self, ctx: ProcessingContext) -> list[str]:
        problems = []
        if not ctx.record.get("resource_id"):
            problems.append("resource_id: required")
        if not ctx.record.get("project_ref") and not ctx.record.get("project_id"):
            problems.append("project_ref: required")
        return problems

    def map(self, ctx: ProcessingContext) -> dict:
        record = ctx.record
        details = record
        if "resource" not in record:
            connector = connector_for(ctx.system)
            try:
                details = connector.event_details(
                    domain=ctx.domain, operation=ctx.operation, payload=record
                )
            finally:
                connector.close()
        resource = details.get("resource")
        reference = record.get("project_ref") or record.get("project_id")
        try:
            ctx.project = ctx.mapper.project(reference)
        except MappingMiss:
            number = (resource or {}).get("project_number") or ""
            from apps.projects.models import Project

            project = Project.objects.filter(code=number).first() if number else None
            if project is None:
                raise
            # Platforms carry the firm's project number: a safe way to find an unmapped project.
            ctx.project = project
            ctx.notes["project_resolved_by"] = f"project number {number}"
        return {**details, "project_code": ctx.project.code}

    def subject(self, ctx: ProcessingContext) -> str:
        resource = ctx.canonical.get("resource") or {}
        key = resource.get("document_external_id") or ctx.canonical.get("resource_id") or ""
        kind = resource.get("kind") or ctx.canonical.get("resource_kind") or "document"
        return f"{ctx.system.code}:{kind}:{key}"[:100]

    def source_time(self, ctx: ProcessingContext) -> datetime | None:
        # The state applied is the platform's current one (fetched), so its own change time
        # orders updates, not when the delivery happened to be sent.
        resource = ctx.canonical.get("resource") or {}
        return aware_datetime(resource.get("updated_at")) or super().source_time(ctx)

    def apply(self, ctx: ProcessingContext) -> ApplyResult:
        tx = ctx.transaction
        resource = ctx.canonical.get("resource")
        if resource is None:
            document = document_mark_deleted(
                system=ctx.system,
                resource_kind=ctx.canonical.get("resource_kind", ""),
                external_id=str(ctx.canonical.get("resource_id", "")),
                transaction_id=tx.pk,
                at=tx.occurred_at,
            )
            return ApplyResult(
                subject_id=ctx.subject_id,
                changed=document is not None,
                detail={"deleted": True, "document": document.pk if document else None},
            )
        if resource.get("kind") == "rfi":
            return self.apply_rfi(ctx, resource)
        result = document_apply_resource(
            project=ctx.project,
            system=ctx.system,
            resource=resource,
            transaction_id=tx.pk,
            occurred_at=tx.occurred_at,
        )
        if result.document is not None:
            document_review_hold_resolve(document=result.document, transaction=tx)
        if result.events:
            # Document-driven procurement: a submittal response releases or holds the
            # procurement lines it gates, in this transaction (the PO descends from it).
            from apps.workflows.services import document_events_release

            document_events_release(events=result.events, transaction=tx, project=ctx.project)
        for warning in result.warnings:
            if warning["code"] != "unknown_status":
                continue
            exception_open(
                category=ExceptionCategory.DOCUMENT_HOLD,
                title=f"Unknown document status {warning['status']} from {ctx.system.code}",
                reason=warning["message"],
                trace_key=f"doc_status:{ctx.system.code}:{warning['status_set']}:{warning['status']}",
                transaction=tx,
                project=ctx.project,
                system=ctx.system,
                details={"document": result.document.pk if result.document else None},
            )
        return ApplyResult(
            subject_id=ctx.subject_id,
            created=result.created,
            changed=result.changed,
            detail={
                "document": result.document.pk if result.document else None,
                "events": [event.kind for event in result.events],
                "warnings": [warning["code"] for warning in result.warnings],
                "stale_snapshot": result.stale,
            },
        )

    def apply_rfi(self, ctx: ProcessingContext, resource: dict) -> ApplyResult:
        """RFIs keep their own fields (apps/documents/rfis.py); cost impact opens a potential
        change once."""
        from apps.documents.rfis import rfi_apply_resource

        result = rfi_apply_resource(
            project=ctx.project,
            system=ctx.system,
            resource=resource,
            transaction_id=ctx.transaction.pk,
        )
        change = result.potential_change
        return ApplyResult(
            subject_id=ctx.subject_id,
            created=result.created,
            changed=result.changed or result.potential_change_created,
            detail={
                "document": result.document.pk,
                "rfi": result.rfi.pk,
                "potential_change": change.pk if change else None,
                "potential_change_created": result.potential_change_created,
                "stale_snapshot": result.stale,
            },
        )

    def references(self, ctx: ProcessingContext) -> dict:
        resource = ctx.canonical.get("resource") or {}
        refs = {}
        if resource.get("number"):
            refs["number"] = str(resource["number"])
        if resource.get("revision"):
            refs["revision"] = str(resource["revision"])
        return refs
