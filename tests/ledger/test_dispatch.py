import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from apps.ledger import processors
from apps.ledger.choices import TransactionStatus, Trigger
from apps.ledger.dispatch import (
    dispatch_once,
    ledger_sweep,
    transactions_claim_due,
    transactions_process_claimed,
)
from apps.ledger.models import Transaction, TransactionEvent
from apps.ledger.services import (
    transaction_create_outbound,
    transaction_record_inbound,
    transaction_transition,
)

S = TransactionStatus
SEEN: list[list[int]] = []


def fake_inbound(transactions):
    """A processor that validates then delivers every row (hub-only effect)."""
    SEEN.append([tx.id for tx in transactions])
    for tx in transactions:
        for status in (S.VALIDATED, S.MAPPED, S.APPLIED, S.DELIVERED):
            transaction_transition(transaction=tx, to_status=status, actor="test-pipeline")


def fake_outbound(transactions):
    SEEN.append([tx.id for tx in transactions])
    for tx in transactions:
        transaction_transition(transaction=tx, to_status=S.DELIVERED, actor="test-delivery")


def crashing(transactions):
    raise RuntimeError("boom")


def lazy(transactions):
    """Takes rows and does nothing with them."""


@pytest.fixture
def fake_processors(monkeypatch):
    SEEN.clear()
    monkeypatch.setitem(processors.PROCESSORS, "inbound", f"{__name__}.fake_inbound")
    monkeypatch.setitem(processors.PROCESSORS, "outbound", f"{__name__}.fake_outbound")
    return SEEN


def inbound(system, n=1, prefix="e"):
    return [
        transaction_record_inbound(
            system=system,
            domain="milestone",
            operation="slipped",
            payload={"i": i},
            idempotency_key=f"{prefix}{i}",
            trigger=Trigger.WEBHOOK,
        )[0]
        for i in range(n)
    ]


def test_claim_takes_due_rows_once_with_a_lease(inbound_system):
    rows = inbound(inbound_system, 3)
    claimed = transactions_claim_due(direction="inbound", limit=2, worker="w1")
    assert [tx.id for tx in claimed] == [rows[0].id, rows[1].id]
    assert all(
        tx.claimed_by.startswith("w1#") and tx.lease_until > timezone.now() for tx in claimed
    )
    assert all(tx.attempts == 1 for tx in claimed)
    second = transactions_claim_due(direction="inbound", limit=10, worker="w2")
    assert [tx.id for tx in second] == [rows[2].id]
    assert transactions_claim_due(direction="inbound", limit=10, worker="w3") == []


def test_outbound_claims_only_due_rows(inbound_system, odoo_system):
    parent = inbound(inbound_system, 1)[0]
    now_row = transaction_create_outbound(
        parent=parent,
        system=odoo_system,
        domain="d",
        operation="o",
        payload={},
        idempotency_key="a",
    )
    later = transaction_create_outbound(
        parent=parent,
        system=odoo_system,
        domain="d",
        operation="o",
        payload={},
        idempotency_key="b",
        next_attempt_at=timezone.now() + timedelta(minutes=5),
    )
    claimed = transactions_claim_due(direction="outbound", worker="w")
    assert [tx.id for tx in claimed] == [now_row.id]
    assert later.id not in [tx.id for tx in claimed]


def test_expired_lease_is_claimed_again(inbound_system):
    row = inbound(inbound_system, 1)[0]
    first = transactions_claim_due(direction="inbound", worker="dead-worker")
    assert len(first) == 1
    assert transactions_claim_due(direction="inbound", worker="w2") == []
    Transaction.objects.filter(id=row.id).update(lease_until=timezone.now() - timedelta(seconds=1))
    again = transactions_claim_due(direction="inbound", worker="w2")
    assert [tx.id for tx in again] == [row.id]
    assert again[0].attempts == 2 and again[0].claimed_by.startswith("w2#")


def test_row_left_mid_pipeline_by_a_dead_worker_is_resumed(inbound_system):
    row = inbound(inbound_system, 1)[0]
    claimed = transactions_claim_due(direction="inbound", worker="dies")
    transaction_transition(transaction=claimed[0], to_status=S.VALIDATED)
    assert transactions_claim_due(direction="inbound", worker="w2") == []
    Transaction.objects.filter(id=row.id).update(lease_until=timezone.now() - timedelta(seconds=1))
    resumed = transactions_claim_due(direction="inbound", worker="w2")
    assert [(tx.id, tx.status) for tx in resumed] == [(row.id, S.VALIDATED)]


def test_dispatch_once_processes_both_directions(inbound_system, odoo_system, fake_processors):
    rows = inbound(inbound_system, 2)
    out = transaction_create_outbound(
        parent=rows[0],
        system=odoo_system,
        domain="d",
        operation="o",
        payload={},
        idempotency_key="x",
    )
    assert dispatch_once(limit=10, worker="w") == 3
    assert fake_processors == [[rows[0].id, rows[1].id], [out.id]]
    assert set(Transaction.objects.values_list("status", flat=True)) == {S.DELIVERED}
    assert set(Transaction.objects.values_list("claimed_by", flat=True)) == {""}
    assert dispatch_once(limit=10, worker="w") == 0


def test_missing_processor_leaves_rows_alone(inbound_system, monkeypatch):
    monkeypatch.setitem(processors.PROCESSORS, "inbound", "apps.not_there.pipeline.process")
    monkeypatch.setitem(processors.PROCESSORS, "outbound", "apps.not_there.delivery.deliver")
    row = inbound(inbound_system, 1)[0]
    assert dispatch_once(worker="w") == 0
    row.refresh_from_db()
    assert (row.status, row.attempts, row.claimed_by) == (S.RECEIVED, 0, "")


def test_processor_crash_is_recorded_and_lease_kept(inbound_system, monkeypatch):
    monkeypatch.setitem(processors.PROCESSORS, "inbound", f"{__name__}.crashing")
    row = inbound(inbound_system, 1)[0]
    claimed = transactions_claim_due(direction="inbound", worker="w")
    assert transactions_process_claimed(direction="inbound", claimed=claimed) == 0
    row.refresh_from_db()
    assert row.last_error_code == "processor_error" and "boom" in row.last_error_message
    assert row.claimed_by and row.lease_until > timezone.now()
    note = TransactionEvent.objects.get(transaction_id=row.id)
    assert note.kind == "note" and note.error_code == "processor_error"


def test_rows_a_processor_did_not_move_keep_their_lease(inbound_system, monkeypatch):
    monkeypatch.setitem(processors.PROCESSORS, "inbound", f"{__name__}.lazy")
    row = inbound(inbound_system, 1)[0]
    claimed = transactions_claim_due(direction="inbound", worker="w")
    transactions_process_claimed(direction="inbound", claimed=claimed)
    row.refresh_from_db()
    assert row.claimed_by.startswith("w#")
    assert transactions_claim_due(direction="inbound", worker="w2") == []


def test_sweep_releases_expired_leases(inbound_system):
    row = inbound(inbound_system, 1)[0]
    transactions_claim_due(direction="inbound", worker="dead")
    Transaction.objects.filter(id=row.id).update(lease_until=timezone.now() - timedelta(seconds=5))
    result = ledger_sweep()
    assert result["released"] == 1 and result["due"] == 1
    row.refresh_from_db()
    assert row.claimed_by == "" and row.lease_until is None


def test_run_dispatcher_once(inbound_system, fake_processors):
    rows = inbound(inbound_system, 2)
    out = StringIO()
    call_command("run_dispatcher", "--once", stdout=out)
    assert "dispatched 2 transaction(s)" in out.getvalue()
    assert {Transaction.objects.get(id=r.id).status for r in rows} == {S.DELIVERED}


def test_run_dispatcher_loop_stops_after_max_seconds(inbound_system, fake_processors):
    inbound(inbound_system, 3)
    out = StringIO()
    call_command("run_dispatcher", "--max-seconds", "0.3", "--idle", "0.05", stdout=out)
    assert "stopped, 3 transaction(s) dispatched" in out.getvalue()


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (SKIP LOCKED between connections)"
)


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_claimers_never_get_the_same_row(inbound_system):
    inbound(inbound_system, 300)
    claims: dict[str, list[int]] = {"a": [], "b": [], "c": []}
    barrier = threading.Barrier(3)

    def claimer(name):
        try:
            barrier.wait(timeout=10)
            for _ in range(60):
                got = transactions_claim_due(direction="inbound", limit=7, worker=name)
                if not got:
                    break
                claims[name].extend(tx.id for tx in got)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claimer, args=(n,)) for n in claims]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    all_ids = claims["a"] + claims["b"] + claims["c"]
    assert len(all_ids) == 300
    assert len(set(all_ids)) == 300
    assert sum(1 for ids in claims.values() if ids) >= 2  # they really competed


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_run_dispatcher_process_stops_cleanly_on_sigterm():
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    settings_dict = connection.settings_dict
    url = (
        f"postgres://{settings_dict['USER'] or 'postgres'}@{settings_dict['HOST'] or '127.0.0.1'}:"
        f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    )
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(
        [sys.executable, "manage.py", "run_dispatcher", "--idle", "0.1", "--max-seconds", "60"],
        cwd=root,
        env={**os.environ, "DATABASE_URL": url, "REDIS_URL": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        first_line = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "started" not in first_line:
            first_line = child.stdout.readline()
            if not first_line and child.poll() is not None:
                break
        assert "started" in first_line, first_line
        child.send_signal(signal.SIGTERM)
        output, _ = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
    assert child.returncode == 0
    assert "stopped" in output
