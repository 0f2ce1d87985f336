"""Fixtures for monitoring and reports tests.

- `ledger_traffic(system, domain, outcomes, received_at=None)` records inbound transactions and
  walks each to its outcome ("delivered", "failed", "dead", "retry_delivered", "open") through the
  real ledger services; returns the transactions.
"""

from __future__ import annotations

from itertools import count

import pytest

from apps.ledger.choices import TransactionStatus as S
from apps.ledger.services import transaction_record_inbound, transaction_transition

_PATHS = {
    "delivered": [S.VALIDATED, S.MAPPED, S.APPLIED, S.DELIVERED],
    "failed": [S.VALIDATED, S.FAILED],
    "dead": [S.VALIDATED, S.MAPPED, S.APPLIED, S.PENDING, S.DEAD],
    "retry_delivered": [S.RETRYING, S.VALIDATED, S.MAPPED, S.APPLIED, S.DELIVERED],
    "duplicate": [S.DUPLICATE],
    "open": [S.VALIDATED],
}
_keys = count(1)


@pytest.fixture
def ledger_traffic(db):
    def make(system, domain: str, outcomes: list[str], received_at=None) -> list:
        made = []
        for outcome in outcomes:
            tx, _ = transaction_record_inbound(
                system=system,
                domain=domain,
                operation="upsert",
                payload={"n": next(_keys)},
                idempotency_key=f"mon-{next(_keys)}",
                trigger="webhook",
                received_at=received_at,
            )
            for status in _PATHS[outcome]:
                tx = transaction_transition(transaction=tx, to_status=status)
            made.append(tx)
        return made

    return make
