"""Reading budget files from estimating (CSV or XLSX) into rows; validation is the service's."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

from apps.core.errors import ApplicationError

MAX_ROWS = 50_000
REQUIRED = ("project", "phase", "cost_code", "description", "amount")
# Header spellings seen in estimating exports, normalised to our column names.
ALIASES = {
    "project": "project",
    "project code": "project",
    "project_code": "project",
    "job": "project",
    "phase": "phase",
    "phase code": "phase",
    "phase_code": "phase",
    "cost code": "cost_code",
    "cost_code": "cost_code",
    "costcode": "cost_code",
    "code": "cost_code",
    "description": "description",
    "desc": "description",
    "amount": "amount",
    "budget": "amount",
    "budget amount": "amount",
    "value": "amount",
    "currency": "currency",
}


def _normalise_header(cells) -> dict[int, str]:
    columns = {}
    for index, cell in enumerate(cells):
        key = ALIASES.get(str(cell or "").strip().lower().replace("-", " "))
        if key and key not in columns.values():
            columns[index] = key
    missing = [name for name in REQUIRED if name not in columns.values()]
    if missing:
        raise ApplicationError(
            f"The file lacks the column(s) {', '.join(missing)}; expected a header row with "
            "project, phase, cost code, description, amount.",
            code="missing_columns",
            details={"missing": missing, "found": [str(c) for c in cells]},
        )
    return columns


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # XLSX stores numbers as binary floats; repr gives the shortest exact decimal.
        return repr(value) if not value.is_integer() else str(int(value))
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _rows(records, columns: dict[int, str], first_row_number: int) -> list[dict]:
    rows = []
    for offset, record in enumerate(records):
        if len(rows) >= MAX_ROWS:
            raise ApplicationError(
                f"The file has more than {MAX_ROWS} rows; split it.", code="file_too_large"
            )
        values = {
            name: _cell_text(record[i]) if i < len(record) else "" for i, name in columns.items()
        }
        if not any(values.values()):
            continue  # a blank spacer row: nothing to import, nothing to refuse
        values["row_number"] = first_row_number + offset
        rows.append(values)
    return rows


def budget_file_read(*, content: bytes, file_name: str) -> tuple[str, list[dict]]:
    """(format, rows) from a CSV or XLSX budget file; each row carries its row number as the
    user sees it in the file (header = row 1)."""
    name = (file_name or "").lower()
    if not content:
        raise ApplicationError("The file is empty.", code="empty_file")
    if name.endswith(".xlsx") or content[:2] == b"PK":
        return "xlsx", _read_xlsx(content)
    if name.endswith((".csv", ".txt")) or not name:
        return "csv", _read_csv(content)
    raise ApplicationError(
        f"{file_name}: only CSV and XLSX budget files are accepted.", code="unsupported_format"
    )


def _read_csv(content: bytes) -> list[dict]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252")  # Excel's "CSV" on Windows
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise ApplicationError("The file is empty.", code="empty_file") from None
    columns = _normalise_header(header)
    return _rows(reader, columns, first_row_number=2)


def _read_xlsx(content: bytes) -> list[dict]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ApplicationError(
            f"The XLSX file cannot be read ({exc.__class__.__name__}).", code="unreadable_file"
        ) from None
    try:
        sheet = workbook.worksheets[0]
        records = sheet.iter_rows(values_only=True)
        try:
            header = next(records)
        except StopIteration:
            raise ApplicationError("The first sheet is empty.", code="empty_file") from None
        columns = _normalise_header(header)
        return _rows(records, columns, first_row_number=2)
    finally:
        workbook.close()
