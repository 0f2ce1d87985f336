"""CSV/XLSX of a report's table: the same rows and values the page shows."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _safe(value):
    """Neutralise spreadsheet formulas in text cells (CSV injection)."""
    if isinstance(value, str) and value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def table_export(
    *, columns: list[tuple[str, str]], rows: list[dict], fmt: str, name: str
) -> tuple[bytes, str, str]:
    """(content, content type, file name) of the rows in CSV or XLSX."""
    header = [label for _, label in columns]
    matrix = [[_safe(row.get(key)) for key, _ in columns] for row in rows]
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(name[:31])
        sheet.append(header)
        for values in matrix:
            # Decimals stay exact: written as numbers openpyxl stores with their digits.
            sheet.append(["" if v is None else v for v in values])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue(), XLSX_TYPE, f"{name}.xlsx"
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    for values in matrix:
        writer.writerow(
            ["" if v is None else (str(v) if isinstance(v, Decimal) else v) for v in values]
        )
    return text.getvalue().encode("utf-8"), "text/csv; charset=utf-8", f"{name}.csv"
