"""Pipeline handlers for the workflow events no other app applies (apps/sync/handlers.py registry):

- `milestone` / `slipped` (emitted by apps/schedule when an update slips a milestone past its
  threshold): schedule-driven procurement (apps.workflows.services.milestone_slip_carry). Other
  milestone operations (a scheduling platform's `milestone.updated`) keep the generic behaviour.
- `change_order` from document-control platforms (Procore change events, domain change_order,
  operation `change_event.<verb>` / `change_event_line_item.<verb>`): change management
  (change_event_carry). The follow-up GET and the project resolution are the document handler's.
"""

from __future__ import annotations

from apps.core.errors import ApplicationError
from apps.documents.sync_handlers import DocumentHandler
from apps.exceptions.choices import ExceptionCategory
from apps.schedule.services import SLIP_EVENT_DOMAIN, SLIP_EVENT_OPERATION
from apps.sync.errors import ControlHold
from apps.sync.handlers import ApplyResult, DomainHandler, ProcessingContext, register_handler


@register_handler(SLIP_EVENT_DOMAIN)
class MilestoneHandler(DomainHandler):
    def _is_slip(self, ctx: ProcessingContext) -> bool:
        return ctx.operation == SLIP_EVENT_OPERATION

    def validate(self, ctx: ProcessingContext) -> list[str]:
        if not self._is_slip(ctx):
            return super().validate(ctx)
        return [
            f"{name}: required"
            for name in ("project", "task_code", "current_date")
            if not ctx.record.get(name)
        ]

    def apply(self, ctx: ProcessingContext) -> ApplyResult:
        if not self._is_slip(ctx):
            return super().apply(ctx)
        from apps.workflows.services import milestone_slip_carry

        instance = milestone_slip_carry(
            payload=ctx.canonical, transaction=ctx.transaction, project=ctx.project
        )
        return ApplyResult(
            subject_id=ctx.subject_id,
            changed=True,
            detail={
                "workflow": instance.workflow,
                "step": instance.current_step,
                "commitments": instance.detail.get("commitments", []),
            },
        )

    def routes(self, ctx: ProcessingContext, result: ApplyResult):
        if self._is_slip(ctx):
            return []  # the effects are the hub's own (review flags, forecast, alert)
        return super().routes(ctx, result)


@register_handler("change_order")
class ChangeEventHandler(DocumentHandler):
    """A platform change event (fetched with its lines) → an owner change order for approval."""

    financial = True

    def map(self, ctx: ProcessingContext) -> dict:
        canonical = super().map(ctx)
        resource = canonical.get("resource")
        if isinstance(resource, dict):
            # The platform's cost codes in the hub's structure (unmapped → held, mapping_missing).
            resource["lines"] = [
                {**line, "cost_code": ctx.mapper.cost_code(line.get("cost_code"))}
                if isinstance(line, dict) and line.get("cost_code")
                else line
                for line in resource.get("lines") or []
            ]
        return canonical

    def subject(self, ctx: ProcessingContext) -> str:
        resource = ctx.canonical.get("resource") or {}
        key = resource.get("external_id") or ctx.canonical.get("resource_id") or ""
        return f"{ctx.system.code}:change_event:{key}"[:100]

    def apply(self, ctx: ProcessingContext) -> ApplyResult:
        from apps.workflows.services import change_event_carry

        resource = ctx.canonical.get("resource")
        if resource is None:
            return ApplyResult(subject_id=ctx.subject_id, changed=False, detail={"deleted": True})
        try:
            change_order, instance = change_event_carry(
                resource=resource, system=ctx.system, transaction=ctx.transaction,
                project=ctx.project,
            )  # fmt: skip
        except ApplicationError as exc:
            raise ControlHold(
                f"The change event could not become a change order: {exc.message}",
                category=ExceptionCategory.COST_CODE_ERROR
                if exc.code in ("no_budget_line", "phase_required")
                else ExceptionCategory.PROCESSING_ERROR,
                trace_key=f"change_event:{ctx.subject_id}:{exc.code}",
                details={"code": exc.code},
            ) from None
        return ApplyResult(
            subject_id=ctx.subject_id,
            created=True,
            detail={
                "change_order": change_order.number,
                "workflow": instance.workflow,
                "step": instance.current_step,
            },
        )

    def routes(self, ctx: ProcessingContext, result: ApplyResult):
        return []  # the approved change order revises Odoo's budget (procurement routing)

    def references(self, ctx: ProcessingContext) -> dict:
        resource = ctx.canonical.get("resource") or {}
        return {"number": str(resource["number"])} if resource.get("number") else {}
