"""CSV/XLSX export of a filtered exception queue (streamed in id order, bounded)."""

from __future__ import annotations

import csv
import io

from django.db.models import QuerySet

COLUMNS = [
    "id",
    "category",
    "severity",
    "status",
    "title",
    "project",
    "system",
    "amount_at_risk",
    "currency",
    "assignee",
    "owner_group",
    "sla_due_at",
    "overdue",
    "occurrences",
    "first_seen_at",
    "last_seen_at",
    "tags",
    "trace_key",
    "resolution_action",
    "resolution_note",
]
# An export is for a reviewer's spreadsheet, not a dump: past this, narrow the filters.
MAX_ROWS = 100_000


def _safe(value: str) -> str:
    """Neutralise spreadsheet formulas in text cells (CSV injection): =, +, -, @ lead nothing."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def _rows(queryset: QuerySet):
    from django.utils import timezone

    now = timezone.now()
    for item in queryset.order_by("-id")[:MAX_ROWS].iterator(chunk_size=2000):
        yield [
            item.pk,
            item.category,
            item.severity,
            item.status,
            _safe(item.title),
            item.project.code if item.project_id else "",
            item.system.code if item.system_id else "",
            item.amount_at_risk if item.amount_at_risk is not None else "",
            item.currency,
            item.assignee.get_username() if item.assignee_id else "",
            item.owner_group,
            item.sla_due_at.isoformat() if item.sla_due_at else "",
            "yes" if item.is_overdue(now) else "no",
            item.occurrences,
            item.first_seen_at.isoformat(),
            item.last_seen_at.isoformat(),
            _safe(", ".join(item.tags or [])),
            _safe(item.trace_key),
            item.resolution_action,
            _safe(item.resolution_note),
        ]


def exceptions_export(*, queryset: QuerySet, fmt: str = "csv") -> tuple[bytes, str, str]:
    """The items as a file: (content, content type, file name)."""
    queryset = queryset.select_related("project", "system", "assignee")
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("exceptions")
        sheet.append(COLUMNS)
        for row in _rows(queryset):
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return (
            buffer.getvalue(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "exceptions.xlsx",
        )
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    writer.writerows(_rows(queryset))
    return text.getvalue().encode("utf-8"), "text/csv; charset=utf-8", "exceptions.csv"
