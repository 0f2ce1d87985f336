"""Procurement documents to Odoo through the ledger (DESIGN §4: the transaction row is the
outbox).

`route()` is called by the services inside the database transaction that changed the document:
it writes one `pending` outbound Transaction per target Odoo system in that same transaction, so
a crash can never lose the hand-off (the dispatcher delivers it with retries, batching, the
breaker and dead-lettering of apps/sync/delivery.py). Targets: the Odoo System of the project's
entity, else the enabled Systems of kind "odoo" no entity claims (`odoo_targets_for`); the
entity's Odoo company rides along as `company_id`. Payloads follow the Odoo
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
    """Every enabled Odoo System (for pulls; documents route with `odoo_targets_for`)."""
    from apps.connectors.models import System

    return list(System.objects.filter(kind="odoo", enabled=True).order_by("id"))


def odoo_targets_for(*, project=None) -> list:
    """The Odoo Systems a hub document of `project` goes to (issue #13, entity routing): the
    System of the project's entity when it has one; otherwise the group default, the enabled
    Odoo Systems no entity claims (all of them when every one is claimed, so a single-System
    installation routes as before)."""
    from apps.entities.selectors import entity_for_project, entity_odoo_system_ids

    systems = odoo_targets()
    entity = entity_for_project(project=project)
    if entity is not None and entity.odoo_system_id:
        chosen = [s for s in systems if s.pk == entity.odoo_system_id]
        if not chosen:
            logger.warning(
                "entity %s routes to Odoo System %s, which is disabled: the document stays in "
                "the hub",
                entity.code,
                entity.odoo_system_id,
            )
        return chosen
    claimed = entity_odoo_system_ids()
    return [s for s in systems if s.pk not in claimed] or systems


def odoo_company_for(*, project, system) -> int | None:
    """The Odoo company a document of `project` is booked in on `system` (the entity's company,
    only on the entity's own System), or None (the System's default company)."""
    from apps.entities.selectors import entity_for_project

    entity = entity_for_project(project=project)
    if entity is None or not entity.odoo_company_id or entity.odoo_system_id != system.pk:
        return None
    return entity.odoo_company_id


# Payloads that create or change a company-bound Odoo record carry the entity's company_id.
COMPANY_STAMPED = {
    ("commitment", "create"),
    ("commitment", "update"),
    ("invoice", "match_result"),
    ("invoice", "post"),
    ("budget_line", "revise"),
}


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
    targets = odoo_targets_for(project=project)
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
        company_id = (
            odoo_company_for(project=project, system=system)
            if (domain, operation) in COMPANY_STAMPED
            else None
        )
        for payload, subject_domain, subject_id, key in odoo_payloads.build(
            domain=domain, operation=operation, subject=subject, system=system
        ):
            if company_id is not None:
                payload["company_id"] = company_id
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
