"""Primavera P6 XER, read line by line with the standard library.

The format: an `ERMHDR` line, then per table a `%T<TAB>NAME` line, one `%F<TAB>field…` line and
`%R<TAB>value…` rows, and a final `%E`. Tab-separated, CRLF or LF, usually cp1252.

What refuses the whole file (nothing is imported; the reason names the line): no ERMHDR first
line, bytes that are neither UTF-8 nor cp1252, a table without its %F line (or %R rows before
it), a line that is none of %T/%F/%R/%E, no %E end marker (a truncated file), no TASK table, a
TASK or WBS table without its key column, several projects when none was chosen.

What refuses one row (listed in the import report with its line; the rest is imported): a TASK
row with no activity id, a repeated activity id, more values than fields, an unreadable date or
number, an unknown activity type or status.

Hand-made variants are read: a `WBS` table instead of `PROJWBS` (with `wbs_code`/`code`,
`wbs_name`/`name`, `parent_wbs_id`/`parent_id` accepted as column names), `31-JAN-24` dates,
short rows (missing trailing values are empty).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import BinaryIO

from apps.schedule.choices import ActivityStatus, ActivityType
from apps.schedule.parsers.encoding import decode_line, detect_xer_encoding
from apps.schedule.parsers.p6_calendar import CalendarDataError, parse_clndr_data
from apps.schedule.parsers.records import (
    ParsedActivity,
    ParsedCalendar,
    ParsedWbs,
    ParseProgress,
    ParseSummary,
    ParseWarning,
    RefusedRow,
    ScheduleFileRefused,
    SourceHeader,
    SourceProject,
)
from apps.schedule.parsers.values import (
    ValueNotReadable,
    parse_datetime_value,
    parse_decimal_value,
    parse_flag_value,
)

PROGRESS_EVERY_ROWS = 500
HUNDRED = Decimal(100)

TASK_TYPES = {
    "tt_task": ActivityType.TASK,
    "tt_rsrc": ActivityType.RESOURCE_DEPENDENT,
    "tt_mile": ActivityType.START_MILESTONE,
    "tt_finmile": ActivityType.FINISH_MILESTONE,
    "tt_loe": ActivityType.LEVEL_OF_EFFORT,
    "tt_hammock": ActivityType.LEVEL_OF_EFFORT,
    "tt_wbs": ActivityType.WBS_SUMMARY,
    # hand-made spellings
    "task": ActivityType.TASK,
    "task dependent": ActivityType.TASK,
    "resource dependent": ActivityType.RESOURCE_DEPENDENT,
    "start milestone": ActivityType.START_MILESTONE,
    "finish milestone": ActivityType.FINISH_MILESTONE,
    "milestone": ActivityType.FINISH_MILESTONE,
    "level of effort": ActivityType.LEVEL_OF_EFFORT,
    "wbs summary": ActivityType.WBS_SUMMARY,
}
TASK_STATUSES = {
    "tk_notstart": ActivityStatus.NOT_STARTED,
    "tk_active": ActivityStatus.IN_PROGRESS,
    "tk_complete": ActivityStatus.COMPLETE,
    "not started": ActivityStatus.NOT_STARTED,
    "in progress": ActivityStatus.IN_PROGRESS,
    "active": ActivityStatus.IN_PROGRESS,
    "complete": ActivityStatus.COMPLETE,
    "completed": ActivityStatus.COMPLETE,
}
TASK_DATE_COLUMNS = {
    "planned_start": "target_start_date",
    "planned_finish": "target_end_date",
    "early_start": "early_start_date",
    "early_finish": "early_end_date",
    "late_start": "late_start_date",
    "late_finish": "late_end_date",
    "actual_start": "act_start_date",
    "actual_finish": "act_end_date",
}
WBS_TABLES = ("PROJWBS", "WBS")
WBS_CODE_COLUMNS = ("wbs_short_name", "wbs_code", "code")
WBS_NAME_COLUMNS = ("wbs_name", "name")
WBS_PARENT_COLUMNS = ("parent_wbs_id", "parent_id")


class _Table:
    """The current %T block: its name, the line of %T, and the column positions of %F."""

    __slots__ = ("name", "line", "fields", "index")

    def __init__(self, name: str, line: int):
        self.name = name
        self.line = line
        self.fields: list[str] | None = None
        self.index: dict[str, int] = {}

    def set_fields(self, fields: list[str]) -> None:
        self.fields = fields
        self.index = {name.strip().lower(): i for i, name in enumerate(fields)}

    def first_column(self, candidates: tuple[str, ...]) -> int | None:
        for name in candidates:
            if name in self.index:
                return self.index[name]
        return None


def parse_xer(
    stream: BinaryIO, *, bytes_total: int = 0, source_project: str = ""
) -> Iterator[object]:
    """Yield the records of an XER file (see apps/schedule/parsers/records.py)."""
    encoding = detect_xer_encoding(stream)
    reader = _XerReader(encoding=encoding, bytes_total=bytes_total, source_project=source_project)
    yield from reader.read(stream)


class _XerReader:
    def __init__(self, *, encoding: str, bytes_total: int, source_project: str):
        self.encoding = encoding
        self.bytes_total = bytes_total
        self.source_project = source_project.strip()
        self.tables: dict[str, int] = {}
        self.table: _Table | None = None
        self.projects: list[SourceProject] = []
        self.base_project_ids: set[str] = set()
        self.project_filter: str | None = None  # proj_id whose rows we keep, once decided
        self.project_decided = False
        self.task_codes: dict[str, int] = {}
        self.skipped_other_project = 0
        self.rows = 0

    # --- the line loop ---------------------------------------------------------------------
    def read(self, stream: BinaryIO) -> Iterator[object]:
        line_number = 0
        bytes_read = 0
        ended_at: int | None = None
        after_end_warned = False
        header_seen = False
        for raw in stream:
            line_number += 1
            bytes_read += len(raw)
            text = decode_line(raw.rstrip(b"\r\n"), self.encoding, line_number)
            if not text.strip():
                continue
            if not header_seen:
                if not text.startswith("ERMHDR"):
                    raise ScheduleFileRefused(
                        "an XER file starts with an ERMHDR header line; this one starts with "
                        f"{text[:20]!r}",
                        line=line_number,
                        code="schedule_not_xer",
                    )
                if "\r" in text:
                    raise ScheduleFileRefused(
                        "the header line holds a bare carriage return: CR-only line ends are "
                        "not an XER export (re-export the file from P6)",
                        line=line_number,
                    )
                header_seen = True
                parts = text.split("\t")
                yield SourceHeader(
                    format="xer",
                    encoding=self.encoding,
                    source_version=parts[1].strip() if len(parts) > 1 else "",
                    exported_at=parts[2].strip() if len(parts) > 2 else "",
                )
                continue
            if ended_at is not None:
                if not after_end_warned:
                    after_end_warned = True
                    yield ParseWarning(
                        f"content after the %E end marker (line {ended_at}) was ignored",
                        line=line_number,
                    )
                continue
            marker = text[:2]
            if marker == "%R":
                table = self.table
                if table is None:
                    raise ScheduleFileRefused("a %R row before any %T table line", line=line_number)
                if table.fields is None:
                    raise ScheduleFileRefused(
                        f"a %R row in table {table.name} (%T at line {table.line}) before its "
                        "%F field list: the %F line is missing",
                        line=line_number,
                        code="schedule_missing_fields",
                    )
                self.tables[table.name] += 1
                self.rows += 1
                yield from self._row(table, text.split("\t")[1:], line_number)
                if self.rows % PROGRESS_EVERY_ROWS == 0:
                    yield ParseProgress(
                        rows=self.rows, bytes_read=bytes_read, bytes_total=self.bytes_total
                    )
            elif marker == "%T":
                yield from self._table_start(text, line_number)
            elif marker == "%F":
                yield from self._fields(text, line_number)
            elif marker == "%E":
                yield from self._table_end()
                ended_at = line_number
            else:
                raise ScheduleFileRefused(
                    f"unexpected line starting with {text[:30]!r} (expected %T, %F, %R or %E)",
                    line=line_number,
                    code="schedule_malformed",
                )
        if not header_seen:
            raise ScheduleFileRefused("the file is empty", line=None, code="schedule_empty")
        if ended_at is None:
            raise ScheduleFileRefused(
                f"the file ends at line {line_number} without the %E end marker: it is truncated",
                line=line_number,
                code="schedule_truncated",
            )
        if "TASK" not in self.tables:
            raise ScheduleFileRefused(
                "the file has no TASK table: there are no activities to import",
                line=None,
                code="schedule_no_activities",
            )
        if self.skipped_other_project:
            yield ParseWarning(
                f"{self.skipped_other_project} rows belong to other projects in the file and "
                "were not imported"
            )
        yield ParseProgress(rows=self.rows, bytes_read=bytes_read, bytes_total=self.bytes_total)
        yield ParseSummary(tables=dict(self.tables), lines=line_number, bytes_read=bytes_read)

    # --- table boundaries ------------------------------------------------------------------
    def _table_start(self, text: str, line_number: int) -> Iterator[object]:
        if self.table is not None and self.table.fields is None:
            raise ScheduleFileRefused(
                f"table {self.table.name} (%T at line {self.table.line}) has no %F field list",
                line=line_number,
                code="schedule_missing_fields",
            )
        yield from self._table_end()
        parts = text.split("\t")
        name = parts[1].strip().upper() if len(parts) > 1 else ""
        if not name:
            raise ScheduleFileRefused("a %T line without a table name", line=line_number)
        self.table = _Table(name, line_number)
        self.tables.setdefault(name, 0)

    def _table_end(self) -> Iterator[object]:
        table = self.table
        if table is not None and table.name == "PROJECT" and not self.project_decided:
            yield from self._decide_project(line_number=table.line)

    def _fields(self, text: str, line_number: int) -> Iterator[object]:
        table = self.table
        if table is None:
            raise ScheduleFileRefused("a %F line before any %T table line", line=line_number)
        if table.fields is not None:
            raise ScheduleFileRefused(f"a second %F line for table {table.name}", line=line_number)
        table.set_fields(text.split("\t")[1:])
        if table.name == "TASK" and "task_code" not in table.index:
            raise ScheduleFileRefused(
                "the TASK table has no task_code (activity id) column",
                line=line_number,
                code="schedule_missing_fields",
            )
        if table.name in WBS_TABLES and "wbs_id" not in table.index:
            raise ScheduleFileRefused(
                f"the {table.name} table has no wbs_id column",
                line=line_number,
                code="schedule_missing_fields",
            )
        if table.name == "TASK" and not self.project_decided and self.projects:
            yield from self._decide_project(line_number=line_number)

    # --- projects --------------------------------------------------------------------------
    def _decide_project(self, *, line_number: int) -> Iterator[object]:
        """Which PROJECT row this import is about; rows of the other projects are skipped."""
        self.project_decided = True
        if not self.projects:
            return
        if self.source_project:
            wanted = self.source_project.lower()
            chosen = [p for p in self.projects if wanted in (p.code.lower(), p.external_id.lower())]
            if not chosen:
                raise ScheduleFileRefused(
                    f"project '{self.source_project}' is not in the file (it holds "
                    f"{', '.join(p.code or p.external_id for p in self.projects)})",
                    line=line_number,
                    code="schedule_project_not_found",
                )
        else:
            chosen = [p for p in self.projects if p.external_id not in self.base_project_ids]
            if not chosen:
                chosen = self.projects
        if len(chosen) > 1:
            raise ScheduleFileRefused(
                f"the file holds {len(chosen)} projects "
                f"({', '.join(p.code or p.external_id for p in chosen)}): choose one "
                "(import_schedule --source-project CODE)",
                line=line_number,
                code="schedule_several_projects",
            )
        project = chosen[0]
        self.project_filter = project.external_id if len(self.projects) > 1 else None
        if len(self.projects) > 1:
            others = ", ".join(p.code or p.external_id for p in self.projects if p is not project)
            yield ParseWarning(
                f"the file also holds project(s) {others}; only {project.code} is imported",
                line=line_number,
            )
        yield project

    def _keeps(self, table: _Table, values: list[str]) -> bool:
        if self.project_filter is None:
            return True
        position = table.index.get("proj_id")
        if position is None or position >= len(values) or not values[position].strip():
            return True
        if values[position].strip() == self.project_filter:
            return True
        self.skipped_other_project += 1
        return False

    # --- rows ------------------------------------------------------------------------------
    def _row(self, table: _Table, values: list[str], line_number: int) -> Iterator[object]:
        name = table.name
        if name not in ("TASK", "PROJECT", "CALENDAR") and name not in WBS_TABLES:
            return
        fields = table.fields or []
        if len(values) > len(fields):
            yield RefusedRow(
                line=line_number,
                table=name,
                reason=f"the row has {len(values)} values for {len(fields)} fields",
                key=self._value(table, values, "task_code"),
            )
            return
        if len(values) < len(fields):
            values = values + [""] * (len(fields) - len(values))
        if name == "TASK":
            if self._keeps(table, values):
                yield self._task(table, values, line_number)
        elif name == "PROJECT":
            yield from self._project(table, values, line_number)
        elif name == "CALENDAR":
            yield from self._calendar(table, values, line_number)
        elif self._keeps(table, values):
            yield self._wbs(table, values, line_number)

    @staticmethod
    def _value(table: _Table, values: list[str], column: str) -> str:
        position = table.index.get(column)
        if position is None or position >= len(values):
            return ""
        return values[position]

    def _project(self, table: _Table, values: list[str], line_number: int) -> Iterator[object]:
        value = self._value
        try:
            data_date = parse_datetime_value(value(table, values, "last_recalc_date"))
        except ValueNotReadable as exc:
            data_date = None
            yield ParseWarning(f"PROJECT last_recalc_date (data date): {exc}", line=line_number)
        project = SourceProject(
            external_id=value(table, values, "proj_id").strip(),
            code=value(table, values, "proj_short_name").strip(),
            name=value(table, values, "proj_short_name").strip(),
            data_date=data_date,
            default_calendar_id=value(table, values, "clndr_id").strip(),
        )
        base = value(table, values, "sum_base_proj_id").strip()
        if base:
            self.base_project_ids.add(base)
        self.projects.append(project)
        if self.project_decided:
            # A PROJECT table after TASK (hand-made files): nothing left to filter.
            yield project

    def _calendar(self, table: _Table, values: list[str], line_number: int) -> Iterator[object]:
        value = self._value
        external_id = value(table, values, "clndr_id").strip()
        name = value(table, values, "clndr_name").strip() or external_id
        data = value(table, values, "clndr_data")
        calendar = ParsedCalendar(
            external_id=external_id,
            name=name,
            is_default=parse_flag_value(value(table, values, "default_flag")),
        )
        try:
            calendar.hours_per_day = parse_decimal_value(value(table, values, "day_hr_cnt"))
        except ValueNotReadable:
            calendar.hours_per_day = None
        if data.strip():
            try:
                weekdays, holidays, worked = parse_clndr_data(data)
            except CalendarDataError as exc:
                yield ParseWarning(
                    f"calendar {name}: clndr_data could not be read ({exc}); the standard "
                    "5-day week is used for it",
                    line=line_number,
                )
            else:
                calendar.work_weekdays = weekdays
                calendar.holidays = holidays
                calendar.extra_workdays = worked
        yield calendar

    def _wbs(self, table: _Table, values: list[str], line_number: int) -> ParsedWbs:
        def first(columns: tuple[str, ...]) -> str:
            position = table.first_column(columns)
            return values[position].strip() if position is not None else ""

        try:
            sequence = int(self._value(table, values, "seq_num").strip() or 0)
        except ValueError:
            sequence = 0
        return ParsedWbs(
            external_id=self._value(table, values, "wbs_id").strip(),
            parent_external_id=first(WBS_PARENT_COLUMNS),
            code=first(WBS_CODE_COLUMNS),
            name=first(WBS_NAME_COLUMNS),
            sequence=sequence,
            is_project_node=parse_flag_value(self._value(table, values, "proj_node_flag")),
            line=line_number,
        )

    def _task(self, table: _Table, values: list[str], line_number: int) -> object:
        value = self._value
        task_code = value(table, values, "task_code").strip()
        if not task_code:
            return RefusedRow(line=line_number, table="TASK", reason="the activity id is empty")
        first_line = self.task_codes.get(task_code)
        if first_line is not None:
            return RefusedRow(
                line=line_number,
                table="TASK",
                reason=f"activity id {task_code} repeats the row at line {first_line}",
                key=task_code,
            )
        raw_type = value(table, values, "task_type").strip()
        activity_type = TASK_TYPES.get(raw_type.lower()) if raw_type else ActivityType.TASK
        if activity_type is None:
            return RefusedRow(
                line=line_number,
                table="TASK",
                reason=f"unknown task_type '{raw_type}'",
                key=task_code,
            )
        activity = ParsedActivity(
            task_code=task_code,
            external_id=value(table, values, "task_id").strip(),
            name=value(table, values, "task_name").strip(),
            wbs_external_id=value(table, values, "wbs_id").strip(),
            activity_type=activity_type,
            calendar_external_id=value(table, values, "clndr_id").strip(),
            line=line_number,
        )
        column = ""
        try:
            for attribute, column in TASK_DATE_COLUMNS.items():
                setattr(activity, attribute, parse_datetime_value(value(table, values, column)))
            column = "total_float_hr_cnt"
            activity.total_float_hours = parse_decimal_value(value(table, values, column))
            column = "status_code"
            raw_status = value(table, values, column).strip()
            status = _task_status(raw_status, activity)
            if status is None:
                raise ValueNotReadable(f"unknown status '{raw_status}'")
            activity.status = status
            column = "percent complete"
            activity.percent_complete = _percent_complete(table, values, activity)
        except ValueNotReadable as exc:
            return RefusedRow(
                line=line_number, table="TASK", reason=f"{column}: {exc}", key=task_code
            )
        self.task_codes[task_code] = line_number
        return activity


def _task_status(raw_status: str, activity: ParsedActivity) -> str | None:
    if raw_status:
        return TASK_STATUSES.get(raw_status.lower())
    if activity.actual_finish:
        return ActivityStatus.COMPLETE
    if activity.actual_start:
        return ActivityStatus.IN_PROGRESS
    return ActivityStatus.NOT_STARTED


def _percent_complete(table: _Table, values: list[str], activity: ParsedActivity):
    """P6's activity % complete, by the activity's percent complete type.

    Physical: phys_complete_pct. Duration: (original − remaining) / original duration. Units:
    actual / (actual + remaining) work. A completed activity is 100; a not-started one 0.
    """
    if activity.status == ActivityStatus.COMPLETE:
        return HUNDRED
    pct_type = _XerReader._value(table, values, "complete_pct_type").strip()

    def number(column: str) -> Decimal | None:
        return parse_decimal_value(_XerReader._value(table, values, column))

    if pct_type == "CP_Phys":
        result = number("phys_complete_pct")
    elif pct_type == "CP_Units":
        actual, remaining = number("act_work_qty"), number("remain_work_qty")
        total = (actual or 0) + (remaining or 0)
        result = (actual or 0) * HUNDRED / total if total else None
    else:  # CP_Drtn is P6's default
        original, remaining = number("target_drtn_hr_cnt"), number("remain_drtn_hr_cnt")
        result = (original - (remaining or 0)) * HUNDRED / original if original else None
    if result is None:
        phys = number("phys_complete_pct")
        result = phys if phys is not None else Decimal(0)
    if activity.status == ActivityStatus.NOT_STARTED and not result:
        return Decimal(0)
    return max(Decimal(0), min(HUNDRED, result)).quantize(Decimal("0.01"))
