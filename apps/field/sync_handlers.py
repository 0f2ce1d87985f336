"""The field operations' handler for the sync pipeline (imported by apps.sync.handlers).

    field_quantity   site events from the `field` connector: material consumption, equipment
                     hours, timesheets (hours by cost code), daily quantities, subcontractor
                     milestones → apps.field.services.field_event_apply.
    receipt/received deliveries on site: procurement's receipt handler hands them here
                     (`FieldEventHandler` is reused for them, see apps/procurement/sync_handlers).

Each event is its own subject (its idempotency key): the stale guard compares versions of one
subject, and two events of a cost code are two facts, not two versions; their order is handled
by the field services (device-time fold).
"""

from __future__ import annotations

from decimal import Decimal

from apps.core.errors import ApplicationError
from apps.sync.handlers import ApplyResult, DomainHandler, ProcessingContext, register_handler


def event_key(transaction) -> str:
    """The device event's own key: a replay (key "<key>#replay-…") is the same event, so it can
    never apply an event twice, and a held event replayed after the fix applies once."""
    return str(transaction.idempotency_key).split("#replay-", 1)[0]


@register_handler("field_quantity")
class FieldEventHandler(DomainHandler):
    schemas = {}
    financial = True
    keep_canonical_record = False

    def validate(self, ctx: ProcessingContext) -> list[str]:
        problems = []
        for error in ctx.record.get("errors") or []:
            if isinstance(error, dict):
                row = error.get("row")
                prefix = f"line {row}: " if row else ""
                problems.append(f"{prefix}{error.get('reason')}")
            else:
                problems.append(str(error))
        return problems

    def subject(self, ctx: ProcessingContext) -> str:
        return event_key(ctx.transaction)[:100]

    def apply(self, ctx: ProcessingContext) -> ApplyResult:
        from apps.field.services import FieldEventProblem, field_event_apply
        from apps.sync.errors import ControlFailure, ControlHold

        if ctx.project is None:
            raise ControlFailure(
                "A field event needs a project.",
                category="invalid_project_reference",
                trace_key=f"field:{ctx.system.code}:no-project",
            )
        tx = ctx.transaction
        try:
            result = field_event_apply(
                project=ctx.project,
                operation=tx.operation,
                canonical=ctx.canonical,
                idempotency_key=event_key(tx),
                arrived_at=tx.received_at,
                ledger_transaction_id=tx.pk,
            )
        except FieldEventProblem as exc:
            raise ControlHold(
                exc.message,
                category=exc.category,
                trace_key=f"field:{ctx.system.code}:{exc.code}:{ctx.project.code}:"
                + ":".join(str(v) for v in (exc.details or {}).values())[:120],
                details={"code": exc.code, **(exc.details or {})},
            ) from None
        except ApplicationError as exc:
            raise ControlFailure(
                exc.message,
                category="schema_invalid",
                trace_key=f"field:{ctx.system.code}:{exc.code}:{tx.pk}",
                details={"code": exc.code},
            ) from None
        event = result.event
        return ApplyResult(
            subject_id=ctx.subject_id,
            created=result.created,
            changed=result.created,
            detail={
                "field_event": event.pk,
                "kind": event.kind,
                "cost": str(event.cost),
                "late": event.late,
                "receipt": event.receipt_number,
                "progress_claim": event.progress_claim_number,
            },
        )

    def routes(self, ctx, result):
        return []  # receipts reach Odoo through procurement's own routing

    def amount(self, ctx: ProcessingContext) -> tuple[Decimal | None, str]:
        currency = ctx.project.currency if ctx.project is not None else ""
        try:
            hours = Decimal(str(ctx.canonical.get("hours") or "0"))
            rate = Decimal(str(ctx.canonical.get("rate") or "0"))
        except ArithmeticError:
            return None, currency
        return (hours * rate if hours and rate else None), currency

    def references(self, ctx: ProcessingContext) -> dict:
        refs = {}
        for key in ("po_number", "commitment_number", "cost_code", "equipment_id"):
            value = ctx.canonical.get(key)
            if isinstance(value, str) and value:
                refs[key] = value
        return refs
