"""django-q2 entry points (thin: they call the dispatcher). Our rows drive retries; a task that
fails is acknowledged and the sweeper/dispatcher pick the work up again."""

from __future__ import annotations

import time

from apps.ledger.choices import Direction
from apps.ledger.dispatch import (
    dispatch_once,
    ledger_sweep,
    transactions_claim_due,
    transactions_process_claimed,
)

# Stay well inside django-q2's task timeout (Q_TIMEOUT, 120 s by default).
DISPATCH_BUDGET_SECONDS = 45


def dispatch_due(limit: int = 200) -> int:
    """Process due transactions in rounds until none are left or the time budget is spent."""
    deadline = time.monotonic() + DISPATCH_BUDGET_SECONDS
    total = 0
    while time.monotonic() < deadline:
        handled = dispatch_once(limit=limit)
        total += handled
        if handled == 0:
            break
    return total


def process_transactions(transaction_ids: list[int]) -> int:
    """The on-commit shortcut (LEDGER_ENQUEUE_ON_COMMIT): process these inbound rows now if
    nobody has claimed them yet."""
    claimed = transactions_claim_due(direction=Direction.INBOUND, ids=list(transaction_ids))
    return transactions_process_claimed(direction=Direction.INBOUND, claimed=claimed)


def sweep() -> dict:
    """Release expired leases and, if work is due, enqueue a dispatch round."""
    result = ledger_sweep()
    if result["due"]:
        from django_q.tasks import async_task

        async_task("apps.ledger.tasks.dispatch_due", q_options={"timeout": 60})
    return result


def partitions_ensure() -> dict:
    """Create the ledger's upcoming monthly partitions (PostgreSQL; a no-op elsewhere)."""
    from apps.ledger.partitions import partitions_ensure as ensure

    return ensure()
