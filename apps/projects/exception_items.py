"""Opening and closing exception items from the financial controls.

The exception-item core (apps.exceptions) is built in parallel; until its tables exist these
functions record the problem in the audit log instead, so nothing is silent either way.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import DatabaseError, transaction

from apps.audit.services import audit_record

logger = logging.getLogger(__name__)


def exception_item_open(
    *,
    category: str,
    title: str,
    reason: str,
    trace_key: str,
    project=None,
    amount: Decimal | None = None,
    currency: str = "",
    details: dict | None = None,
    severity: str | None = None,
    ledger_transaction=None,
):
    """Open (or repeat) an exception item; returns it, or None when the core is not available."""
    try:
        from apps.exceptions.services import exception_open
    except ImportError:
        exception_open = None
    if exception_open is not None:
        try:
            with transaction.atomic():
                return exception_open(
                    category=category,
                    title=title,
                    reason=reason,
                    trace_key=trace_key,
                    transaction=ledger_transaction,
                    project=project,
                    amount=amount,
                    currency=currency,
                    severity=severity,
                    details=details,
                )
        except DatabaseError:
            logger.warning("exception core unavailable; %s recorded in the audit log", trace_key)
    audit_record(
        actor=None,
        action="exception.open",
        target=project,
        detail={
            "category": category,
            "title": title,
            "reason": reason,
            "trace_key": trace_key,
            "amount": str(amount) if amount is not None else None,
            "currency": currency,
            "details": details or {},
        },
    )
    return None


def exception_item_close(*, trace_key: str, reason: str, ledger_transaction=None) -> None:
    """Resolve the active item with this trace key because the problem went away."""
    try:
        from apps.exceptions.services import exception_auto_resolve
    except ImportError:
        return
    try:
        with transaction.atomic():
            exception_auto_resolve(
                trace_key=trace_key, transaction=ledger_transaction, reason=reason
            )
    except DatabaseError:
        logger.warning("exception core unavailable; could not resolve %s", trace_key)
