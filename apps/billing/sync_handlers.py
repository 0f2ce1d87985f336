"""Customer invoices pulled from Odoo (domain `customer_invoice`): their state and payment flow
back to the pay application they bill (matched by number = the invoice's ref)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from apps.sync.handlers import (
    ApplyResult,
    DomainHandler,
    Field,
    ProcessingContext,
    register_handler,
)


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@register_handler("customer_invoice")
class CustomerInvoiceHandler(DomainHandler):
    schemas = {
        "1": {
            "number": Field("str"),
            "state": Field("str"),
            "payment_state": Field("str"),
        }
    }
    financial = True
    keep_canonical_record = False

    def map(self, ctx: ProcessingContext) -> dict:
        from apps.billing.models import PayApplication

        record = ctx.record
        number = str(record.get("number") or "")
        app = PayApplication.objects.filter(number=number).select_related("project").first()
        ctx.project = app.project if app else None
        return {
            "number": number,
            "odoo_name": str(record.get("odoo_name") or ""),
            "state": str(record.get("state") or ""),
            "payment_state": str(record.get("payment_state") or ""),
            "amount_total": str(record.get("amount_total") or ""),
            "amount_residual": str(record.get("amount_residual") or ""),
        }

    def subject(self, ctx: ProcessingContext) -> str:
        return ctx.canonical.get("number") or str(ctx.transaction.external_id)

    def apply(self, ctx: ProcessingContext) -> ApplyResult:
        from apps.billing.services import pay_application_odoo_update

        canonical = ctx.canonical
        app = pay_application_odoo_update(
            number=canonical["number"],
            external_id=str(ctx.transaction.external_id or ""),
            odoo_name=canonical["odoo_name"],
            state=canonical["state"],
            payment_state=canonical["payment_state"],
            amount_total=_decimal(canonical["amount_total"]),
            amount_residual=_decimal(canonical["amount_residual"]),
        )
        if app is None:
            # A customer invoice made in Odoo, not by the hub: nothing of ours to update.
            return ApplyResult(subject_id=ctx.subject_id, changed=False, detail=canonical)
        return ApplyResult(
            subject_id=app.number,
            changed=True,
            detail={"status": app.status, "paid_amount": str(app.paid_amount)},
        )

    def routes(self, ctx, result):
        return []

    def references(self, ctx: ProcessingContext) -> dict:
        return {"pay_application": ctx.canonical.get("number", "")}
