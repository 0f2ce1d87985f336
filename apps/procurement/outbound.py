"""Hand-off of procurement documents to the sync pipeline (→ Odoo).

Services call these after the database transaction that changed the document commits; the
pipeline creates the outbound, ledgered transaction and delivers it with retries. Until the
pipeline is wired, `route` is a recorded no-op (see README "Procurement and financial controls").
"""

from __future__ import annotations

import logging

from django.db import transaction

logger = logging.getLogger(__name__)

# Domains and operations this app emits, for the pipeline's route table.
OUTBOUND = {
    "commitment": ("create", "update", "cancel"),
    "receipt": ("create",),
    "invoice": ("match_result", "post"),
    "change_order": ("apply",),
    "budget_line": ("revise",),
}

_ROUTER = None


def router_set(router) -> None:
    """The pipeline registers its entry point: router(domain=, operation=, subject=, project=)."""
    global _ROUTER
    _ROUTER = router


def route(*, domain: str, operation: str, subject, project=None) -> None:
    """Send a document to the targets of its domain once the current transaction commits."""
    if domain not in OUTBOUND or operation not in OUTBOUND[domain]:
        raise ValueError(f"procurement does not emit {domain}.{operation}")

    def deliver():
        if _ROUTER is None:
            logger.info("no outbound router: %s.%s %s not routed", domain, operation, subject)
            return
        _ROUTER(domain=domain, operation=operation, subject=subject, project=project)

    transaction.on_commit(deliver)
