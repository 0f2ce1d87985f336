"""Procurement documents to Odoo through the ledger (DESIGN §4: the transaction row is the
outbox).

`route()` is called by the services inside the database transaction that changed the document:
it writes one `pending` outbound Transaction per target Odoo system in that same transaction, so
a crash can never lose the hand-off (the dispatcher delivers it with retries, batching, the
breaker and dead-lettering of apps/sync/delivery.py). Targets: the enabled Systems of kind
"odoo" (the ERP of record for commitments, bills and budgets). Payloads follow the Odoo
connector's contract (apps/connectors/odoo/__init__.py), with vendors and cost codes translated
to the target's values by the sync mappings when one exists.
"""

from __future__ import annotations

import logging
import threading
import uuid
from contextlib import contextmanager

logger = logging.getLogger(__name__)

# Domains and operations this app emits.
OUTBOUND = {
    "commitment": ("create", "update", "cancel"),
    "receipt": ("create",),
    "invoice": ("match_result", "post"),
    "change_order": ("apply",),
    "budget_line": ("revise",),
}


_state = threading.local()


@contextmanager
def suspended(reason: str):
    """Record documents without handing them to Odoo (the demo's history, which Odoo is assumed
    to hold already). Logged, so it is never a silent drop."""
    logger.info("outbound to Odoo suspended: %s", reason)
    previous = getattr(_state, "suspended", None)
    _state.suspended = reason
    try:
        yield
    finally:
        _state.suspended = previous


def odoo_targets():
    from apps.connectors.models import System

    return list(System.objects.filter(kind="odoo", enabled=True).order_by("id"))


def invoice_subject(invoice) -> str:
    """The canonical id of a vendor bill, the same for inbound bills and outbound results."""
    kind = "credit_note" if invoice.kind == "credit_note" else "bill"
    return f"{invoice.vendor.code}:{kind}:{invoice.number}"[:255]


def route(*, domain: str, operation: str, subject, project=None, parent=None) -> list:
    """Create the outbound transactions that carry a document to Odoo (in the caller's DB
    transaction). Returns them; none when no Odoo system is configured (logged)."""
    if domain not in OUTBOUND or operation not in OUTBOUND[domain]:
        raise ValueError(f"procurement does not emit {domain}.{operation}")
    if getattr(_state, "suspended", None):
        logger.info("not routed (%s): %s.%s %s", _state.suspended, domain, operation, subject)
        return []
    targets = odoo_targets()
    if not targets:
        logger.info(
            "no Odoo system configured: %s.%s %s stays in the hub", domain, operation, subject
        )
        return []
    from apps.ledger.choices import Trigger
    from apps.ledger.services import transaction_create_outbound
    from apps.procurement import odoo_payloads

    if parent is None:
        # A document a workflow carried (a requisition released by a submittal approval, a
        # change order raised by a platform change event) joins that flow's lineage and
        # correlation id (DESIGN §6).
        from apps.workflows.services import workflow_outbound_parent

        parent = workflow_outbound_parent(domain=domain, operation=operation, subject=subject)
    created = []
    for system in targets:
        for payload, subject_domain, subject_id, key in odoo_payloads.build(
            domain=domain, operation=operation, subject=subject, system=system
        ):
            created.append(
                transaction_create_outbound(
                    parent=parent,
                    system=system,
                    domain=domain,
                    operation=operation,
                    payload=payload,
                    # Creates are keyed by the document (routing twice is one delivery); later
                    # actions (hold, release, post, change) are events of their own.
                    idempotency_key=key
                    or f"hub:{domain}:{operation}:{subject_id}:{uuid.uuid4().hex}",
                    subject_domain=subject_domain,
                    subject_id=subject_id,
                    project=project,
                    trigger=Trigger.MANUAL if parent is None else None,
                )
            )
    return created
