"""Ledger retention and monthly partitions (issue #12): old whole months are archived to
compressed JSON lines, then dropped (PostgreSQL partitions) or deleted (SQLite fallback);
open transactions and recent months stay."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from apps.connectors.models import System
from apps.ledger import partitions
from apps.ledger.models import Transaction, TransactionEvent, TransactionReference
from apps.ledger.retention import ledger_retention_run, retention_cutoff
from apps.ledger.services import transaction_record_inbound

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitions exist on PostgreSQL only"
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
OLD = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)  # a month entirely before the cutoff
RECENT = datetime(2026, 10, 30, 8, 0, tzinfo=UTC)


@pytest.fixture
def source(db):
    return System.objects.create(
        code="ret-src", name="Retention", kind="field", connector="generic"
    )


def _tx(system, *, at: datetime, status: str, events: int = 2) -> Transaction:
    tx, _ = transaction_record_inbound(
        system=system,
        domain="cost_code",
        operation="upsert",
        payload={"code": uuid.uuid4().hex[:8]},
        idempotency_key=uuid.uuid4().hex,
        trigger="webhook",
        received_at=at,
        reference="REF-" + uuid.uuid4().hex[:6],
    )
    Transaction.objects.filter(id=tx.id).update(status=status)
    TransactionEvent.objects.filter(transaction_id=tx.id).delete()
    TransactionEvent.objects.bulk_create(
        [
            TransactionEvent(transaction_id=tx.id, to_status=status, at=at + timedelta(minutes=i))
            for i in range(events)
        ]
    )
    return Transaction.objects.get(id=tx.id)


def _lines(path: str) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def test_cutoff_is_the_start_of_a_whole_month():
    assert retention_cutoff(older_than_days=90, now=NOW) == datetime(2026, 8, 1, tzinfo=UTC)


@pytest.mark.django_db
def test_retention_archives_then_removes_old_settled_months(source, tmp_path):
    old_done = _tx(source, at=OLD, status="delivered", events=3)
    old_open = _tx(source, at=OLD, status="held", events=2)
    recent = _tx(source, at=RECENT, status="delivered", events=2)
    if partitions.is_partitioned():  # the old month gets its partition (rows move out of DEFAULT)
        assert partitions.partition_create(OLD)
    references = sorted([k, v] for k, v in old_done.references.values_list("kind", "value"))

    result = ledger_retention_run(older_than_days=90, archive_dir=tmp_path, now=NOW)

    # The settled old transaction is gone, with its events and references; archived first.
    assert not Transaction.objects.filter(id=old_done.id).exists()
    assert not TransactionEvent.objects.filter(transaction_id=old_done.id).exists()
    assert not TransactionReference.objects.filter(transaction_id=old_done.id).exists()
    tx_rows = [r for r in result["results"] if r["table"] == "ledger_transaction"]
    assert [r["month"] for r in tx_rows] == ["2026-03"]
    archived_tx = _lines(tx_rows[0]["archive"])
    assert [row["id"] for row in archived_tx] == [old_done.id]
    assert archived_tx[0]["idempotency_key"] == old_done.idempotency_key
    assert sorted(archived_tx[0]["references"]) == references
    event_rows = [r for r in result["results"] if r["table"] == "ledger_transactionevent"]
    archived_events = [row for r in event_rows for row in _lines(r["archive"])]
    assert sorted(e["transaction_id"] for e in archived_events).count(old_done.id) == 3

    # Open work stays whatever its age, with its whole timeline; recent months stay.
    assert Transaction.objects.filter(id=old_open.id, status="held").exists()
    assert TransactionEvent.objects.filter(transaction_id=old_open.id).count() == 2
    assert Transaction.objects.filter(id=recent.id).exists()
    assert TransactionEvent.objects.filter(transaction_id=recent.id).count() == 2

    # A second run finds nothing more to do and never overwrites an archive.
    again = ledger_retention_run(older_than_days=90, archive_dir=tmp_path, now=NOW)
    assert [r for r in again["results"] if r["rows"]] == []


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db
def test_on_postgresql_an_old_month_is_a_dropped_partition(source, tmp_path):
    assert partitions.is_partitioned()
    old = _tx(source, at=OLD, status="delivered", events=4)
    tricky = {"message": 'line one\nline two \\ "quoted" é ✓', "comma,": [1, None]}
    TransactionEvent.objects.filter(transaction_id=old.id).update(detail=tricky)
    # The row sits in DEFAULT until the month's partition exists; creating it moves the row.
    assert partitions.partition_create(OLD)
    name = partitions.partition_name(partitions.month_start(OLD))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {name}")
        assert cursor.fetchone()[0] == 4
        cursor.execute(f"SELECT count(*) FROM {partitions.DEFAULT_PARTITION}")
        assert cursor.fetchone()[0] == 0

    result = ledger_retention_run(older_than_days=90, archive_dir=tmp_path, now=NOW)

    dropped = [r for r in result["results"] if r["method"] == "drop_partition"]
    assert [r["partition"] for r in dropped] == [name]
    assert dropped[0]["rows"] == 4 and dropped[0]["seconds"] < 5
    assert name not in {p.name for p in partitions.partitions_list()}
    archived = _lines(dropped[0]["archive"])
    assert len(archived) == 4
    assert all(row["detail"] == tricky for row in archived)  # the JSON survives COPY intact
    assert dropped[0]["drop_seconds"] < 2
    assert not TransactionEvent.objects.filter(transaction_id=old.id).exists()


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db
def test_partitions_are_created_ahead_and_idempotently():
    now = timezone.now()
    first = partitions.partitions_ensure(months_ahead=5, now=now)
    names = {p.name for p in partitions.partitions_list()}
    for i in range(6):
        assert partitions.partition_name(partitions.add_months(partitions.month_start(now), i)) in (
            names
        )
    assert partitions.partitions_ensure(months_ahead=5, now=now)["created"] == []
    assert all(name.startswith("ledger_transactionevent_p") for name in first["created"])
    out = StringIO()
    call_command("ledger_partitions", "--list", stdout=out)
    assert "ledger_transactionevent_pdefault\tdefault" in out.getvalue()


@pytest.mark.django_db
def test_retention_command(source, tmp_path):
    _tx(source, at=timezone.now() - timedelta(days=400), status="failed", events=1)
    out = StringIO()
    call_command(
        "ledger_retention", "--older-than", "90", "--archive-dir", str(tmp_path), stdout=out
    )
    text = out.getvalue()
    assert "ledger_transaction " in text and "archived to" in text
    assert list(tmp_path.glob("ledger_transaction_*.jsonl.gz"))
    assert not Transaction.objects.filter(system=source).exists()
