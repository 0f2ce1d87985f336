"""Monthly partitions of the ledger's big table on PostgreSQL (README "The ledger").

`ledger_transactionevent` is range-partitioned by `at` (migration 0005): one partition per UTC
month named `ledger_transactionevent_pYYYYMM`, plus a DEFAULT partition so an insert never fails
when the schedule that creates partitions ahead has not run. The primary key is `(id, at)` in the
database (a partitioned table's unique keys must contain the partition key); Django still sees
`id` as the key, which stays unique because it comes from one sequence.

Transaction itself is not partitioned (yet): its idempotency key `(system, direction,
idempotency_key)` must stay unique across all months, which a partitioned table cannot enforce
without the partition key. Retention archives and deletes its old, settled rows instead
(apps/ledger/retention.py).

On SQLite (and on a PostgreSQL database migrated without partitioning) every function here is a
no-op that says so.
"""

from __future__ import annotations

import gzip
import os
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.db import connection
from django.db import transaction as db_transaction
from django.utils import timezone

PARENT = "ledger_transactionevent"
DEFAULT_PARTITION = f"{PARENT}_pdefault"
MONTHS_AHEAD = 3
# Every table name that goes into SQL here matches this (built from the constants above and a
# month), which is why the f-strings below are safe (noqa: S608).
_NAME = re.compile(rf"^{PARENT}_p(\d{{6}}|default)$")


def _checked(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"not a ledger event partition: {name!r}")
    return name


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime | None  # None: the DEFAULT partition
    end: datetime | None

    @property
    def label(self) -> str:
        return self.start.strftime("%Y-%m") if self.start else "default"


def month_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def add_months(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + (moment.month - 1) + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def partition_name(start: datetime) -> str:
    return f"{PARENT}_p{start:%Y%m}"


def is_partitioned() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = %s AND c.relnamespace = current_schema()::regnamespace",
            [PARENT],
        )
        return cursor.fetchone() is not None


def partitions_list() -> list[Partition]:
    """The partitions of the event table, oldest first, the DEFAULT one last."""
    if not is_partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
            "WHERE p.relname = %s ORDER BY c.relname",
            [PARENT],
        )
        rows = cursor.fetchall()
    result: list[Partition] = []
    default: Partition | None = None
    for name, bound in rows:
        if name == DEFAULT_PARTITION or bound == "DEFAULT":
            default = Partition(name, None, None)
            continue
        stamp = name.rsplit("_p", 1)[-1]
        start = datetime(int(stamp[:4]), int(stamp[4:6]), 1, tzinfo=UTC)
        result.append(Partition(name, start, add_months(start, 1)))
    result.sort(key=lambda p: p.start)
    return result + ([default] if default else [])


def partition_create(start: datetime) -> bool:
    """Create the partition of the month starting at `start` (idempotent). Rows of that month
    already in the DEFAULT partition are moved into it in the same database transaction."""
    start = month_start(start)
    end = add_months(start, 1)
    name = _checked(partition_name(start))
    if any(p.name == name for p in partitions_list()):
        return False
    with db_transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {DEFAULT_PARTITION} WHERE at >= %s AND at < %s)",  # noqa: S608
            [start, end],
        )
        if not cursor.fetchone()[0]:
            cursor.execute(
                f"CREATE TABLE {name} PARTITION OF {PARENT} FOR VALUES FROM (%s) TO (%s)",
                [start.isoformat(), end.isoformat()],
            )
            return True
        cursor.execute(
            f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        cursor.execute(
            f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE at >= %s AND at < %s "  # noqa: S608
            f"RETURNING *) INSERT INTO {name} SELECT * FROM moved",
            [start, end],
        )
        cursor.execute(
            f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)",
            [start.isoformat(), end.isoformat()],
        )
    return True


def partitions_ensure(*, months_ahead: int = MONTHS_AHEAD, now: datetime | None = None) -> dict:
    """Create this month's partition and the next `months_ahead` ones (the schedule
    `ledger-partitions` runs it daily; `manage.py ledger_partitions` by hand)."""
    if not is_partitioned():
        return {"partitioned": False, "created": []}
    first = month_start(now or timezone.now())
    created = [
        partition_name(add_months(first, i))
        for i in range(months_ahead + 1)
        if partition_create(add_months(first, i))
    ]
    return {"partitioned": True, "created": created}


def partition_archive_and_drop(partition: Partition, *, archive_dir: Path, keep_open=True) -> dict:
    """Archive a month partition to `<archive_dir>/<name>.jsonl.gz` (one JSON object per row,
    written and fsynced before anything is dropped), then DETACH and DROP it: no DELETE, no
    vacuum debt, about a second whatever the size. Rows whose transaction matches
    is still open (not terminal: its timeline is still being written) are put back through the
    parent before the drop (they land in the DEFAULT partition) when `keep_open`."""
    from apps.ledger.choices import TERMINAL_STATUSES

    name = _checked(partition.name)
    if name == DEFAULT_PARTITION:
        raise ValueError("the DEFAULT partition is never dropped")
    started = time.monotonic()
    archive_dir.mkdir(parents=True, exist_ok=True)
    target = _archive_path(archive_dir, name)
    rows = 0
    # CSV with a delimiter and quote that JSON text never contains raw (control characters are
    # escaped in JSON, and row_to_json has no raw newline): the COPY stream is the JSON lines
    # byte for byte, so it goes to gzip in blocks without parsing a row in Python.
    copy_sql = (
        f"COPY (SELECT row_to_json(e)::text FROM {name} e ORDER BY id) TO STDOUT "  # noqa: S608
        "WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02')"
    )
    with (
        gzip.open(target, "wb", compresslevel=3) as handle,
        connection.cursor() as cursor,
        cursor.cursor.copy(copy_sql) as copy,
    ):
        for block in copy:
            handle.write(block)
            rows += bytes(block).count(b"\n")
    with open(target, "rb") as handle:
        os.fsync(handle.fileno())
    archived_at = time.monotonic()
    kept = 0
    with db_transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {PARENT} DETACH PARTITION {name}")
        if keep_open:
            cursor.execute(
                f"INSERT INTO {PARENT} SELECT * FROM {name} WHERE transaction_id IN "  # noqa: S608
                "(SELECT id FROM ledger_transaction WHERE status <> ALL(%s))",
                [list(TERMINAL_STATUSES)],
            )
            kept = cursor.rowcount
        cursor.execute(f"DROP TABLE {name}")
    return {
        "partition": name,
        "rows": rows,
        "kept_open": kept,
        "archive": str(target),
        "archive_seconds": round(archived_at - started, 3),
        "drop_seconds": round(time.monotonic() - archived_at, 3),
        "seconds": round(time.monotonic() - started, 3),
    }


def _archive_path(archive_dir: Path, stem: str) -> Path:
    target = archive_dir / f"{stem}.jsonl.gz"
    if target.exists():  # never overwrite an earlier archive
        target = archive_dir / f"{stem}-{timezone.now():%Y%m%dT%H%M%S%f}.jsonl.gz"
    return target
