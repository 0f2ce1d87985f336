"""Pay applications to Odoo as customer invoices, through the ledger (the transaction row is the
outbox, written in the approval's DB transaction; apps/sync/delivery.py delivers it with retries).
Targets and the suspend switch are procurement's (apps/procurement/outbound.py): the project's
entity's Odoo System (with its company as `company_id`), else the group default Systems."""

from __future__ import annotations

import logging
from decimal import Decimal

from apps.billing.models import PayApplication

logger = logging.getLogger(__name__)
DOMAIN = "customer_invoice"


def _amount(value: Decimal) -> str:
    return format(value, "f")


def customer_invoice_payload(pay_application: PayApplication, system) -> dict:
    """The Odoo connector's customer_invoice payload: one line per amount billed this period
    (booked on the project and cost code), and the retention withheld as a negative line."""
    from apps.procurement.odoo_payloads import _external

    app = pay_application
    contract = app.contract
    lines = []
    for line in app.lines.order_by("line_no"):
        if line.this_period_value == 0:
            continue
        entry = {
            "description": f"{line.description} ({line.percent_to_date.normalize()}% to date)"[
                :255
            ],
            "quantity": "1",
            "unit_price": _amount(line.this_period_value),
        }
        if line.cost_code:
            entry["cost_code"] = _external("cost_code", line.cost_code, system, app.project)
        lines.append(entry)
    if app.retention_this_period:
        lines.append(
            {
                "description": f"Retention withheld ({app.retention_pct.normalize()}%)",
                "quantity": "1",
                "unit_price": _amount(-app.retention_this_period),
            }
        )
    return {
        "number": app.number,
        "kind": "invoice",
        "customer_ref": contract.customer_ref,
        "customer_name": contract.customer_name,
        "currency": app.currency,
        "project_code": app.project.code,
        "invoice_date": app.period_end.isoformat(),
        "notes": f"Pay application {app.sequence} on {contract.number} "
        f"({app.period_start.isoformat()} – {app.period_end.isoformat()})",
        "post": True,
        "lines": lines,
    }


def _with_company(payload: dict, company_id: int | None) -> dict:
    if company_id is not None:
        payload["company_id"] = company_id
    return payload


def pay_application_route(*, pay_application: PayApplication) -> list:
    """Write one pending outbound transaction per Odoo target (in the caller's DB transaction).
    Keyed by the pay application: routing twice is one delivery."""
    from apps.ledger.choices import Trigger
    from apps.ledger.services import transaction_create_outbound
    from apps.procurement import outbound as procurement_outbound

    reason = getattr(procurement_outbound._state, "suspended", None)
    if reason:
        logger.info("not routed (%s): pay application %s", reason, pay_application.number)
        return []
    project = pay_application.project
    targets = procurement_outbound.odoo_targets_for(project=project)
    if not targets:
        logger.info("no Odoo system configured: %s stays in the hub", pay_application.number)
        return []
    return [
        transaction_create_outbound(
            parent=None,
            system=system,
            domain=DOMAIN,
            operation="create",
            payload=_with_company(
                customer_invoice_payload(pay_application, system),
                procurement_outbound.odoo_company_for(project=project, system=system),
            ),
            idempotency_key=f"hub:customer_invoice:create:{pay_application.number}",
            subject_domain=DOMAIN,
            subject_id=pay_application.number,
            project=pay_application.project,
            trigger=Trigger.MANUAL,
        )
        for system in targets
    ]
