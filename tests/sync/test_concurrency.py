"""Two workers at once (threads with their own database connections) on PostgreSQL."""

import threading
import time
from collections import Counter

import pytest
from django.db import connection, connections

from apps.ledger.dispatch import dispatch_once
from apps.ledger.models import Transaction, TransactionEvent
from apps.sync.models import DeliverySettings
from apps.sync.services import sync_policy_save

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (SKIP LOCKED, row locks)"
    ),
    pytest.mark.django_db(transaction=True),
]


def _run_workers(n, until_done, *, limit, deadline_seconds=30):
    errors = []

    def worker(name):
        try:
            deadline = time.monotonic() + deadline_seconds
            while time.monotonic() < deadline and not until_done():
                if dispatch_once(limit=limit, worker=name) == 0:
                    time.sleep(0.05)  # idle poll, as run_dispatcher does
        except Exception as exc:  # asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=deadline_seconds + 10)
    assert errors == []


def test_two_workers_never_process_the_same_transaction(sync_systems, make_inbound, test_connector):
    sync_policy_save(
        actor=None,
        domain="project",
        source_system=sync_systems.odoo,
        target_system=test_connector.target,
    )
    inbound = [
        make_inbound(sync_systems.odoo, "project", {"code": f"C-{i}", "name": f"P{i}"})
        for i in range(40)
    ]

    def done():
        return not Transaction.objects.exclude(status__in=["delivered"]).exists()

    _run_workers(2, done, limit=5)
    assert done()
    transitions = Counter(
        TransactionEvent.objects.filter(kind="transition").values_list(
            "transaction_id", "to_status"
        )
    )
    assert transitions and max(transitions.values()) == 1  # every step happened exactly once
    assert Transaction.objects.filter(direction="outbound").count() == len(inbound)
    assert len(test_connector.records["target"]) == len(inbound)
    assert sum(c["records"] for c in test_connector.call_log) == len(inbound)


def test_rate_limit_is_respected_across_two_workers(test_connector, make_outbound):
    target = test_connector.target
    target.rate_limit_per_minute = 240  # 4 calls per second
    target.save()
    DeliverySettings.objects.create(system=target, rate_limit_burst=2, batch_size=1)
    rows = [make_outbound(target, f"V{i}", {"ref": f"V{i}"}) for i in range(14)]

    def done():
        return Transaction.objects.filter(status="delivered").count() == len(rows)

    _run_workers(2, done, limit=2)
    assert done()
    times = sorted(c["at"] for c in test_connector.call_log)
    assert len(times) == len(rows)
    rate, burst = 4.0, 2
    # Token bucket: in any window of w seconds at most burst + rate·w calls (small clock slack).
    for i, start in enumerate(times):
        for j in range(i, len(times)):
            window = times[j] - start
            assert j - i + 1 <= burst + rate * window + 1, (i, j, window)
    assert times[-1] - times[0] >= (len(rows) - burst) / rate - 0.5
