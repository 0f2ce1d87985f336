"""Ledger retention on PostgreSQL: archive + DETACH/DROP of a month partition of
ledger_transactionevent versus DELETE of the same number of rows from another month.

N events (1M, --quick 100k) are generated into each of two scratch months far in the past
(2001-01 and 2001-02, their own partitions); month one goes through
`partition_archive_and_drop` (COPY to gzip JSON lines, then detach + drop), month two through a
plain DELETE. Both partitions are gone afterwards.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from django.db import connection
from django.db import transaction as db_transaction

from apps.ledger import partitions

MONTH_ARCHIVED = datetime(2001, 1, 1, tzinfo=UTC)
MONTH_DELETED = datetime(2001, 2, 1, tzinfo=UTC)


def _fill(month: datetime, count: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_transactionevent (transaction_id, kind, from_status, to_status, "
            "actor_label, detail, error_code, error_message, at) "
            "SELECT 900000000 + g / 5, 'transition', 'pending', 'delivered', 'bench', "
            "'{\"n\": 1}'::jsonb, '', '', %s + (g || ' seconds')::interval "
            "FROM generate_series(1, %s) g",
            [month, count],
        )


def run(args) -> list[dict]:
    if not partitions.is_partitioned():
        return [{"figure": "skipped", "value": "not partitioned", "unit": ""}]
    count = 100_000 if args.quick else 1_000_000
    for month in (MONTH_ARCHIVED, MONTH_DELETED):
        partitions.partition_create(month)
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {partitions.partition_name(month)}")
        _fill(month, count)
    by_name = {p.name: p for p in partitions.partitions_list()}

    with tempfile.TemporaryDirectory() as tmp:
        outcome = partitions.partition_archive_and_drop(
            by_name[partitions.partition_name(MONTH_ARCHIVED)], archive_dir=Path(tmp)
        )
        archive_mb = Path(outcome["archive"]).stat().st_size / 1e6
    started = time.monotonic()
    with db_transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM ledger_transactionevent WHERE at >= %s AND at < %s",
            [MONTH_DELETED, partitions.add_months(MONTH_DELETED, 1)],
        )
    delete_seconds = time.monotonic() - started
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE {partitions.PARENT} DETACH PARTITION "
            f"{partitions.partition_name(MONTH_DELETED)}"
        )
        cursor.execute(f"DROP TABLE {partitions.partition_name(MONTH_DELETED)}")

    return [
        {
            "figure": f"archive a month ({count:,} events)",
            "value": round(outcome["archive_seconds"], 2),
            "unit": "s",
            "note": f"COPY to gzip JSON lines, {archive_mb:.1f} MB",
        },
        {
            "figure": "then detach + drop its partition",
            "value": round(outcome["drop_seconds"], 3),
            "unit": "s",
            "goal": "≈ 1 s",
        },
        {
            "figure": f"DELETE a month ({count:,} events)",
            "value": round(delete_seconds, 2),
            "unit": "s",
            "note": "same rows, plain DELETE (plus vacuum debt afterwards)",
        },
    ]
