"""django-q2 entry points for the group (thin: call one service)."""

from __future__ import annotations

import logging

from apps.connectors.models import System
from apps.entities.services import fx_rates_pull

logger = logging.getLogger(__name__)


def fx_rates_pull_all() -> dict[str, dict]:
    """Pull the dated FX rates of every enabled Odoo System (daily schedule). One System that
    cannot be read is logged and does not stop the others; a re-pull only updates (idempotent)."""
    results: dict[str, dict] = {}
    for system in System.objects.filter(kind="odoo", enabled=True).order_by("code"):
        try:
            results[system.code] = fx_rates_pull(system=system)
        except Exception as exc:  # the next System still gets its pull; tomorrow retries this one
            logger.exception("FX rate pull from %s failed", system.code)
            results[system.code] = {"error": exc.__class__.__name__}
    return results
