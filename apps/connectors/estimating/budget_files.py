"""Budget export files from estimating tools (CSV or XLSX) → budget-line rows with row errors.

What real exports look like, and what this reader accepts:
- CSV in UTF-8 (with or without BOM) or Windows-1252, separated by `,`, `;` or tabs;
- XLSX (openpyxl, read-only, cached values of formulas), the first sheet that has a header;
- a few title lines before the header row; the header found by its column names, in any order,
  with the usual spellings (`Cost Code`, `Cost code`, `CBS`, `Amount`, `Total`, `Budget`, ...);
- amounts as `1234.56`, `1,234.56`, `1.234,56`, `€ 1 234,56`, `(500.00)` (negative);
- subtotal/total lines (a "total" label and no cost code) are skipped, not refused.
Every data row becomes either a line or a row error that names the row and the reason; nothing is
dropped silently. Money is Decimal, never float.
"""

from __future__ import annotations

import csv
import io
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "project": ("project", "project code", "project number", "project no", "job", "job number"),
    "phase": ("phase", "stage", "wbs", "package", "work package"),
    "cost_code": ("cost code", "costcode", "cost_code", "code", "cbs", "cbs code", "cost item"),
    "description": ("description", "desc", "item", "name", "cost code description", "title"),
    "amount": ("amount", "total", "budget", "budget amount", "value", "total cost", "cost"),
    "currency": ("currency", "cur", "ccy", "currency code"),
}
REQUIRED_COLUMNS = ("cost_code", "amount")
HEADER_SCAN_ROWS = 25
MAX_ROWS = 200_000  # a budget with more lines than this is not a budget export
_TOTAL_WORDS = re.compile(r"^\s*(sub\s*-?\s*total|grand\s+total|total)\b", re.IGNORECASE)
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass
class BudgetLineRow:
    """One budget line read from an export (amount as Decimal with its currency)."""

    row: int
    project: str
    phase: str
    cost_code: str
    description: str
    amount: Decimal
    currency: str

    def as_payload(self) -> dict[str, str | int]:
        return {
            "row": self.row,
            "project": self.project,
            "phase": self.phase,
            "cost_code": self.cost_code,
            "description": self.description,
            "amount": str(self.amount),
            "currency": self.currency,
        }


@dataclass
class RowError:
    row: int
    reason: str
    values: dict[str, str] = field(default_factory=dict)

    def as_payload(self) -> dict[str, Any]:
        return {"row": self.row, "reason": self.reason, "values": self.values}


@dataclass
class BudgetParseResult:
    format: str  # "csv" | "xlsx"
    lines: list[BudgetLineRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped: list[RowError] = field(default_factory=list)  # totals and blank-ish rows, with why
    header_row: int | None = None
    columns: dict[str, int] = field(default_factory=dict)
    encoding: str = ""
    sheet: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.lines)

    def totals_by_currency(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for line in self.lines:
            totals[line.currency] = totals.get(line.currency, Decimal("0")) + line.amount
        return totals


class BudgetFileError(Exception):
    """The file as a whole cannot be read (not a budget export); `reason` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _normalise_header(value: Any) -> str:
    text = str(value or "").strip().lower().replace("_", " ")
    text = re.sub(r"[\s.:#]+", " ", text).strip()
    return text


def header_columns(cells: list[Any]) -> dict[str, int]:
    """Map our field names to column indexes for a candidate header row (first match wins)."""
    columns: dict[str, int] = {}
    normalised = [_normalise_header(cell) for cell in cells]
    for name, aliases in HEADER_ALIASES.items():
        for index, text in enumerate(normalised):
            if text in aliases and index not in columns.values():
                columns[name] = index
                break
    return columns


def amount_parse(value: Any) -> Decimal:
    """A money amount from a cell: numbers as they are, text in US or European notation."""
    if isinstance(value, bool):
        raise ValueError("true/false is not an amount")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # openpyxl gives floats for numeric cells: go through repr so 0.1 stays 0.1.
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    text = str(value or "").strip()
    if not text:
        raise ValueError("the amount is empty")
    negative = text.startswith("(") and text.endswith(")")
    text = text.strip("()")
    text = re.sub(r"[^\d,.\-+]", "", text)  # currency symbols, spaces, NBSP, apostrophes
    if text.startswith("-"):
        negative, text = not negative, text[1:]
    text = text.lstrip("+")
    if not text or not re.search(r"\d", text):
        raise ValueError(f"{value!r} is not an amount")
    if "," in text and "." in text:
        # Whichever separator comes last is the decimal separator.
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        head, _, tail = text.rpartition(",")
        # "1,234" is a thousands separator; "1234,5" or "12,50" a decimal comma.
        if len(tail) == 3 and text.count(",") >= 1 and head.replace(",", "").isdigit():
            text = text.replace(",", "")
        elif text.count(",") == 1:
            text = text.replace(",", ".")
        else:
            raise ValueError(f"{value!r} is not an amount")
    elif text.count(".") > 1:
        text = text.replace(".", "")  # 1.234.567 (European thousands)
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not an amount") from exc
    return -amount if negative else amount


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _rows_csv(content: bytes) -> tuple[list[list[str]], str]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything; latin-1 decodes everything
        text, encoding = content.decode("latin-1"), "latin-1"
    if "\x00" in text:
        raise BudgetFileError("the file is binary, not a CSV or XLSX budget export")
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = max((",", ";", "\t"), key=sample.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    for index, row in enumerate(reader):
        if index >= MAX_ROWS:
            raise BudgetFileError(f"more than {MAX_ROWS} rows: not a budget export")
        rows.append(row)
    return rows, encoding


def _rows_xlsx(content: bytes) -> tuple[list[list[Any]], str]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged zip/workbook
        raise BudgetFileError(
            f"the XLSX workbook cannot be opened ({exc.__class__.__name__}: {exc})"
        ) from exc
    try:
        for sheet in workbook.worksheets:
            rows: list[list[Any]] = []
            for index, row in enumerate(sheet.iter_rows(values_only=True)):
                if index >= MAX_ROWS:
                    raise BudgetFileError(f"more than {MAX_ROWS} rows: not a budget export")
                rows.append(list(row))
            if any(_header_index(rows)):
                return rows, sheet.title
        first = workbook.worksheets[0].title if workbook.worksheets else ""
        return [], first
    finally:
        workbook.close()


def _header_index(rows: list[list[Any]]) -> tuple[int | None, dict[str, int]]:
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        columns = header_columns(list(row))
        if all(name in columns for name in REQUIRED_COLUMNS):
            return index, columns
    return None, {}


def budget_file_parse(
    *, content: bytes, file_name: str = "", default_project: str = "", default_currency: str = ""
) -> BudgetParseResult:
    """Read a budget export into lines and row errors; raise BudgetFileError if unreadable."""
    if not content or not content.strip():
        raise BudgetFileError("the file is empty")
    if content[:4] == b"PK\x03\x04":
        rows, sheet = _rows_xlsx(content)
        result = BudgetParseResult(format="xlsx", sheet=sheet)
    elif content[:5] == b"%PDF-" or content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise BudgetFileError(
            "this is a PDF or a legacy .xls file: export the budget as CSV or XLSX"
        )
    else:
        rows, encoding = _rows_csv(content)
        result = BudgetParseResult(format="csv", encoding=encoding)

    header_index, columns = _header_index(rows)
    if header_index is None:
        raise BudgetFileError(
            "no header row with a cost code and an amount column in the first "
            f"{HEADER_SCAN_ROWS} rows (accepted names: cost code: "
            f"{', '.join(HEADER_ALIASES['cost_code'])}; "
            f"amount: {', '.join(HEADER_ALIASES['amount'])})"
        )
    result.header_row = header_index + 1
    result.columns = columns
    default_currency = (default_currency or "").strip().upper()

    for offset, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        cells = list(row)

        def cell(name: str, cells=cells) -> Any:
            index = columns.get(name)
            return cells[index] if index is not None and index < len(cells) else None

        values = {name: _cell_text(cell(name)) for name in columns}
        if not any(_cell_text(value) for value in cells):
            continue  # blank line between sections
        cost_code = values.get("cost_code", "")
        label = values.get("description", "") or values.get("phase", "")
        if not cost_code and (
            _TOTAL_WORDS.match(label) or _TOTAL_WORDS.match(values.get("project", ""))
        ):
            result.skipped.append(RowError(offset, "total line (no cost code)", values))
            continue

        problems: list[str] = []
        project = values.get("project", "") or default_project.strip()
        if not project:
            problems.append("no project (the file has no project column and none was given)")
        if not cost_code:
            problems.append("no cost code")
        raw_amount = cell("amount")
        amount = None
        try:
            amount = amount_parse(raw_amount)
        except ValueError as exc:
            if raw_amount is None and result.format == "xlsx":
                # openpyxl reads a formula's cached value; files written by scripts have none.
                problems.append(
                    "the amount is empty (or a formula without a saved value: re-save in Excel)"
                )
            else:
                problems.append(str(exc))
        currency = (values.get("currency", "") or default_currency).upper()
        if not currency:
            problems.append("no currency (no currency column and no project default)")
        elif not _CURRENCY.match(currency):
            problems.append(f"currency {currency!r} is not an ISO 4217 code")
        if amount is not None and amount.as_tuple().exponent < -4:
            problems.append(f"amount {amount} has more than 4 decimals")
        if problems:
            result.errors.append(RowError(offset, "; ".join(problems), values))
            continue
        result.lines.append(
            BudgetLineRow(
                row=offset,
                project=project,
                phase=values.get("phase", ""),
                cost_code=cost_code,
                description=values.get("description", ""),
                amount=amount,
                currency=currency,
            )
        )
    if not result.lines and not result.errors:
        raise BudgetFileError("the file has a header but no budget lines")
    return result


def budget_lines_aggregate(lines: list[BudgetLineRow]) -> tuple[list[dict], list[RowError]]:
    """Detail lines → one budget line per (project, phase, cost code): amounts summed.

    Estimating exports often carry several items per cost code; the budget is kept per
    project/phase/cost code (DESIGN §5). Mixed currencies for one key cannot be summed and are
    reported as row errors instead."""
    grouped: OrderedDict[tuple[str, str, str], dict] = OrderedDict()
    errors: list[RowError] = []
    for line in lines:
        key = (line.project, line.phase, line.cost_code)
        group = grouped.get(key)
        if group is None:
            grouped[key] = {
                "project": line.project,
                "phase": line.phase,
                "cost_code": line.cost_code,
                "description": line.description,
                "amount": line.amount,
                "currency": line.currency,
                "rows": [line.row],
            }
            continue
        if group["currency"] != line.currency:
            errors.append(
                RowError(
                    line.row,
                    f"currency {line.currency} differs from {group['currency']} on row "
                    f"{group['rows'][0]} for the same project/phase/cost code",
                )
            )
            continue
        group["amount"] += line.amount
        group["rows"].append(line.row)
        if line.description and line.description not in group["description"]:
            group["description"] = "; ".join(filter(None, [group["description"], line.description]))
    return list(grouped.values()), errors
