"""What the schedule parsers yield: small records, one at a time, so memory stays bounded.

Every parser is a generator over a binary stream. It yields `SourceHeader` once (as soon as it is
known), then `ParsedCalendar`, `ParsedWbs`, `ParsedActivity`, `RefusedRow` and `ParseWarning`
records in file order, and `ParseSummary` last. A file that cannot be read as a whole raises
`ScheduleFileRefused` naming the line; the caller's transaction then keeps nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


class ScheduleFileRefused(Exception):
    """The file cannot be imported at all; `line` is 1-based (None when not tied to a line)."""

    def __init__(self, reason: str, *, line: int | None = None, code: str = "schedule_refused"):
        self.reason = reason
        self.line = line
        self.code = code
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"line {self.line}: {self.reason}" if self.line else self.reason


@dataclass(slots=True)
class SourceHeader:
    format: str  # SourceFormat value
    encoding: str = ""
    source_version: str = ""  # e.g. "8.4" (XER ERMHDR) or the MSPDI SaveVersion
    exported_at: str = ""


@dataclass(slots=True)
class SourceProject:
    """The project inside the file (XER PROJECT row, PMXML Project, MSPDI Project)."""

    external_id: str
    code: str = ""
    name: str = ""
    data_date: datetime | None = None
    default_calendar_id: str = ""


@dataclass(slots=True)
class ParsedCalendar:
    external_id: str
    name: str
    is_default: bool = False
    # Monday=0 … Sunday=6, as datetime.date.weekday().
    work_weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    holidays: tuple[date, ...] = ()
    extra_workdays: tuple[date, ...] = ()
    hours_per_day: Decimal | None = None


@dataclass(slots=True)
class ParsedWbs:
    external_id: str
    parent_external_id: str = ""
    code: str = ""
    name: str = ""
    sequence: int = 0
    is_project_node: bool = False
    line: int | None = None


@dataclass(slots=True)
class ParsedActivity:
    task_code: str
    external_id: str = ""
    name: str = ""
    wbs_external_id: str = ""
    activity_type: str = "task"
    status: str = "not_started"
    planned_start: datetime | None = None
    planned_finish: datetime | None = None
    early_start: datetime | None = None
    early_finish: datetime | None = None
    late_start: datetime | None = None
    late_finish: datetime | None = None
    actual_start: datetime | None = None
    actual_finish: datetime | None = None
    # A baseline carried inside the file itself (MSPDI <Baseline><Number>0</Number>).
    baseline_start: datetime | None = None
    baseline_finish: datetime | None = None
    total_float_hours: Decimal | None = None
    percent_complete: Decimal | None = None
    calendar_external_id: str = ""
    line: int | None = None


@dataclass(slots=True)
class RefusedRow:
    """A row that could not be read; the rest of the file is imported and the report lists it."""

    line: int | None
    table: str
    reason: str
    key: str = ""  # e.g. the task_code when it is known


@dataclass(slots=True)
class ParseWarning:
    message: str
    line: int | None = None


@dataclass(slots=True)
class ParseSummary:
    """Rows per table as found in the file (XER %R lines per %T; XML elements per kind)."""

    tables: dict[str, int] = field(default_factory=dict)
    lines: int = 0
    bytes_read: int = 0


@dataclass(slots=True)
class ParseProgress:
    """Emitted every few hundred rows so a progress bar can move."""

    rows: int
    bytes_read: int
    bytes_total: int
