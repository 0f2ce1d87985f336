"""Feed pages as JSON Lines or CSV text (one serialisation for the API and the command)."""

from __future__ import annotations

import csv
import io
import json

FORMATS = {"jsonl": "application/jsonl", "csv": "text/csv"}


def rows_as_jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False, sort_keys=False) + "\n" for row in rows)


def rows_as_csv(rows: list[dict], fields: list[str], *, header: bool = True) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    if header:
        writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def rows_as(fmt: str, rows: list[dict], fields: list[str], *, header: bool = True) -> str:
    if fmt == "csv":
        return rows_as_csv(rows, fields, header=header)
    return rows_as_jsonl(rows)
