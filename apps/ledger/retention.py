"""Ledger retention (README "The ledger", docs/notes/hardening.md): archive whole months older
than the retention period to compressed JSON lines, then remove them.

- TransactionEvent on PostgreSQL (partitioned by month, apps/ledger/partitions.py): each month
  partition entirely before the cutoff is archived with COPY and then DETACHed and DROPped, about
  a second whatever its size; events of transactions still open are put back (DEFAULT
  partition). Stray old rows in the DEFAULT partition are archived and deleted.
- TransactionEvent on SQLite (or an unpartitioned PostgreSQL table): the documented fallback,
  archive then DELETE, month by month.
- Transaction (not partitioned, see partitions.py): settled (terminal) rows received before the
  cutoff are archived and deleted with their references and files, month by month. Open rows
  (held, retrying...) are kept whatever their age.

The cutoff is the first day (UTC) of the month that contains `now - older_than_days`, so only
whole months go. Archives never overwrite an earlier file.
"""

from __future__ import annotations

import gzip
import json
import os
import time
from datetime import datetime, timedelta
from pathlib import Path

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction as db_transaction
from django.utils import timezone

from apps.ledger.choices import TERMINAL_STATUSES
from apps.ledger.models import (
    Transaction,
    TransactionEvent,
    TransactionFile,
    TransactionReference,
)
from apps.ledger.partitions import (
    DEFAULT_PARTITION,
    _archive_path,
    add_months,
    is_partitioned,
    month_start,
    partition_archive_and_drop,
    partitions_list,
)

CHUNK = 2000


def retention_cutoff(*, older_than_days: int, now: datetime | None = None) -> datetime:
    return month_start((now or timezone.now()) - timedelta(days=older_than_days))


def _write_jsonl(path: Path, rows) -> int:
    count = 0
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, cls=DjangoJSONEncoder, separators=(",", ":")) + "\n")
            count += 1
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
    return count


def _months(queryset, field: str, cutoff: datetime) -> list[datetime]:
    first = (
        queryset.filter(**{f"{field}__lt": cutoff}).order_by(field).values_list(field, flat=True)
    )
    oldest = first.first()
    if oldest is None:
        return []
    months, month = [], month_start(oldest)
    while month < cutoff:
        months.append(month)
        month = add_months(month, 1)
    return months


def _events_delete_fallback(*, cutoff: datetime, archive_dir: Path, table_label: str) -> list[dict]:
    """Archive then DELETE old events month by month (SQLite; the DEFAULT partition's strays).
    Events of transactions still open are kept."""
    results = []
    open_ids = Transaction.objects.exclude(status__in=list(TERMINAL_STATUSES)).values("id")
    base = TransactionEvent.objects.exclude(transaction_id__in=open_ids)
    for month in _months(base, "at", cutoff):
        started = time.monotonic()
        rows = base.filter(at__gte=month, at__lt=add_months(month, 1)).order_by("id")
        if not rows.exists():
            continue
        target = _archive_path(archive_dir, f"{table_label}_{month:%Y%m}")
        count = _write_jsonl(target, rows.values().iterator(chunk_size=CHUNK))
        with db_transaction.atomic():
            deleted, _ = rows.delete()
        results.append(
            {
                "table": "ledger_transactionevent",
                "month": f"{month:%Y-%m}",
                "method": "delete",
                "rows": count,
                "deleted": deleted,
                "archive": str(target),
                "seconds": round(time.monotonic() - started, 3),
            }
        )
    return results


def _events_retain(*, cutoff: datetime, archive_dir: Path) -> list[dict]:
    if not is_partitioned():
        return _events_delete_fallback(
            cutoff=cutoff, archive_dir=archive_dir, table_label="ledger_transactionevent"
        )
    results = []
    for partition in partitions_list():
        if partition.start is None or partition.end > cutoff:
            continue
        outcome = partition_archive_and_drop(partition, archive_dir=archive_dir)
        results.append(
            {
                "table": "ledger_transactionevent",
                "month": partition.label,
                "method": "drop_partition",
                **outcome,
            }
        )
    # Rows that landed in the DEFAULT partition (no partition existed for their month).
    results += _events_delete_fallback(
        cutoff=cutoff, archive_dir=archive_dir, table_label=DEFAULT_PARTITION
    )
    return results


def _with_references(values, references: dict):
    for row in values:
        row["references"] = references.get(row["id"], [])
        yield row


def _transactions_retain(*, cutoff: datetime, archive_dir: Path) -> list[dict]:
    results = []
    settled = Transaction.objects.filter(status__in=list(TERMINAL_STATUSES))
    for month in _months(settled, "received_at", cutoff):
        started = time.monotonic()
        rows = settled.filter(received_at__gte=month, received_at__lt=add_months(month, 1))
        if not rows.exists():
            continue
        ids = list(rows.values_list("id", flat=True))
        target = _archive_path(archive_dir, f"ledger_transaction_{month:%Y%m}")
        references = {}
        for ref in TransactionReference.objects.filter(transaction_id__in=ids).values(
            "transaction_id", "kind", "value"
        ):
            references.setdefault(ref["transaction_id"], []).append([ref["kind"], ref["value"]])

        count = _write_jsonl(
            target,
            _with_references(rows.order_by("id").values().iterator(chunk_size=CHUNK), references),
        )
        # Files are archived next to it (bytes base64) only if there are any.
        files = TransactionFile.objects.filter(transaction_id__in=ids)
        if files.exists():
            import base64

            _write_jsonl(
                _archive_path(archive_dir, f"ledger_transactionfile_{month:%Y%m}"),
                (
                    {**row, "content": base64.b64encode(bytes(row["content"])).decode()}
                    for row in files.values().iterator(chunk_size=100)
                ),
            )
        with db_transaction.atomic():
            TransactionReference.objects.filter(transaction_id__in=ids).delete()
            files.delete()
            deleted, _ = Transaction.objects.filter(id__in=ids).delete()
        results.append(
            {
                "table": "ledger_transaction",
                "month": f"{month:%Y-%m}",
                "method": "delete",
                "rows": count,
                "deleted": deleted,
                "archive": str(target),
                "seconds": round(time.monotonic() - started, 3),
            }
        )
    return results


def ledger_retention_run(
    *, older_than_days: int, archive_dir: Path | str, now: datetime | None = None
) -> dict:
    """Archive and remove ledger months entirely older than `older_than_days`."""
    if older_than_days < 1:
        raise ValueError("older_than_days must be at least 1")
    archive_dir = Path(archive_dir)
    archive_dir.mkdir(parents=True, exist_ok=True)
    cutoff = retention_cutoff(older_than_days=older_than_days, now=now)
    results = _events_retain(cutoff=cutoff, archive_dir=archive_dir)
    results += _transactions_retain(cutoff=cutoff, archive_dir=archive_dir)
    return {"cutoff": cutoff.isoformat(), "partitioned": is_partitioned(), "results": results}
