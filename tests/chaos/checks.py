"""What must hold after a fault and the recovery (issue #12): for every event the sender got a
2xx for, exactly one inbound transaction, delivered exactly once to the Odoo simulator or
parked with an exception item; never lost, never duplicated."""

from __future__ import annotations

from collections import Counter

from apps.ledger.choices import TERMINAL_STATUSES, Direction, TransactionStatus
from apps.ledger.models import Transaction
from tests.chaos.harness import Hub, wait_for

ODOO_MODEL = "account.analytic.account"


def _settled(hub: Hub, codes: list[str]) -> bool:
    keys = [f"evt-{c}" for c in codes]
    inbound = list(
        Transaction.objects.filter(
            system__code=hub.source_code, direction=Direction.INBOUND, idempotency_key__in=keys
        ).values_list("id", "status")
    )
    if len(inbound) < len(keys):
        return False
    resting = set(TERMINAL_STATUSES) | {TransactionStatus.HELD}
    if any(status not in resting for _, status in inbound):
        return False
    outbound = Transaction.objects.filter(
        system__code=hub.target_code, parent_id__in=[i for i, _ in inbound]
    )
    return not outbound.exclude(status__in=list(TERMINAL_STATUSES) + ["held"]).exists()


def wait_settled(hub: Hub, codes: list[str], timeout: float = 90) -> None:
    wait_for(lambda: _settled(hub, codes), timeout=timeout, what="every transaction to settle")


def assert_exactly_once(hub: Hub, codes: list[str], acked: dict[str, int]) -> dict:
    """The invariant. Returns counts for the report."""
    from apps.exceptions.models import ExceptionLink

    assert set(acked) == set(codes), f"not acknowledged: {sorted(set(codes) - set(acked))}"
    keys = {f"evt-{c}": c for c in codes}
    inbound = list(
        Transaction.objects.filter(
            system__code=hub.source_code,
            direction=Direction.INBOUND,
            idempotency_key__in=list(keys),
        )
    )
    per_key = Counter(tx.idempotency_key for tx in inbound)
    assert sorted(per_key) == sorted(keys), "an acknowledged event has no transaction"
    assert set(per_key.values()) == {1}, f"duplicated inbound: {per_key.most_common(3)}"

    records = hub.odoo.records(ODOO_MODEL, fields=["code"])
    in_odoo = Counter(r["code"] for r in records if r.get("code") in set(codes))
    duplicated = {code: n for code, n in in_odoo.items() if n > 1}
    assert not duplicated, f"delivered more than once to Odoo: {duplicated}"

    outbound = {
        tx.parent_id: tx
        for tx in Transaction.objects.filter(
            system__code=hub.target_code, parent_id__in=[tx.id for tx in inbound]
        )
    }
    delivered = parked = 0
    for tx in inbound:
        code = keys[tx.idempotency_key]
        child = outbound.get(tx.id)
        if child is not None and child.status == TransactionStatus.DELIVERED:
            assert in_odoo.get(code) == 1, f"{code}: delivered in the ledger, not in Odoo"
            delivered += 1
            continue
        # Not delivered: it must be visible as an exception item (inbound or outbound row).
        linked = ExceptionLink.objects.filter(
            transaction_id__in=[tx.id] + ([child.id] if child else [])
        ).exists()
        assert linked, (
            f"{code}: inbound {tx.status}, outbound {child.status if child else None}, "
            f"not in Odoo ({in_odoo.get(code, 0)}) and no exception item: lost"
        )
        assert in_odoo.get(code, 0) <= 1
        parked += 1
    return {"events": len(codes), "delivered": delivered, "exception_items": parked}
