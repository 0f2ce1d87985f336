"""Small builders for ledger rows in tests (through the real services)."""

from __future__ import annotations

import itertools

from apps.ledger.choices import Trigger
from apps.ledger.services import transaction_create_outbound, transaction_record_inbound

_keys = itertools.count(1)


def inbound_tx(system, *, project=None, key=None, domain="commitment", operation="created", **kw):
    payload = kw.pop("payload", {"data": {"po_number": f"PO-{next(_keys)}"}})
    tx, _ = transaction_record_inbound(
        system=system,
        domain=domain,
        operation=operation,
        payload=payload,
        idempotency_key=key or f"evt-{next(_keys)}",
        trigger=kw.pop("trigger", Trigger.WEBHOOK),
        project=project,
        **kw,
    )
    return tx


def outbound_tx(parent, system, *, key=None, domain="commitment", operation="create", **kw):
    return transaction_create_outbound(
        parent=parent,
        system=system,
        domain=domain,
        operation=operation,
        payload=kw.pop("payload", {"name": "x"}),
        idempotency_key=key or f"out-{next(_keys)}",
        **kw,
    )
