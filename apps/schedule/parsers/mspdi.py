"""Microsoft Project MSPDI XML (namespace http://schemas.microsoft.com/project), streamed.

Mapping (see README "Schedules"):
- `Tasks/Task` with `Summary`=1 (and the project summary task, OutlineLevel 0) become WBS nodes;
  the others become activities. Tasks with `IsNull`=1 (blank rows) are skipped and counted.
- The activity id (`task_code`) is the task's `UID`: MS Project keeps it stable across saves,
  unlike `ID`, which is the row number.
- `Milestone`=1 → finish milestone. `Start`/`Finish` → planned dates, `EarlyStart`/`EarlyFinish`,
  `LateStart`/`LateFinish`, `ActualStart`/`ActualFinish` as named; `Baseline` with `Number` 0 →
  the baseline carried in the file. `TotalSlack` is in tenths of minutes (÷ 600 = hours).
- Data date: the project's `StatusDate`, else `CurrentDate`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import BinaryIO
from xml.etree.ElementTree import Element

from apps.schedule.choices import ActivityStatus, ActivityType
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
)
from apps.schedule.parsers.xml_stream import (
    LineReader,
    child_text,
    children_named,
    iter_elements,
    local_name,
    scalar_children,
)

MSPDI_NAMESPACE = "http://schemas.microsoft.com/project"
PROGRESS_EVERY = 500
TENTHS_OF_MINUTE_PER_HOUR = Decimal(600)
HUNDRED = Decimal(100)
MAX_EXCEPTION_DAYS = 3660
_XML_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
# MSPDI DayType: 1 = Sunday … 7 = Saturday.
_MSPDI_DAY_TO_WEEKDAY = {1: 6, 2: 0, 3: 1, 4: 2, 5: 3, 6: 4, 7: 5}


def xml_declared_encoding(stream: BinaryIO) -> str:
    stream.seek(0)
    head = stream.read(200)
    stream.seek(0)
    match = _XML_ENCODING.search(head.split(b"?>", 1)[0]) if head.startswith(b"<?xml") else None
    return match.group(1).decode("ascii").lower() if match else "utf-8"


def parse_mspdi(
    stream: BinaryIO, *, bytes_total: int = 0, source_project: str = ""
) -> Iterator[object]:
    """Yield the records of an MSPDI file (see apps/schedule/parsers/records.py)."""
    encoding = xml_declared_encoding(stream)
    reader = LineReader(stream)
    counts: dict[str, int] = {}
    project_fields: dict[str, str] = {}
    calendars: dict[str, ParsedCalendar] = {}
    calendar_bases: dict[str, str] = {}
    outline_to_uid: dict[str, str] = {}
    seen_uids: dict[str, int] = {}
    null_tasks = 0
    records = 0
    stack: list[Element] = []
    root_checked = False

    for event, element, depth, line in iter_elements(stream, reader):
        if event == "start":
            if not root_checked:
                root_checked = True
                if element.tag != f"{{{MSPDI_NAMESPACE}}}Project":
                    raise ScheduleFileRefused(
                        f"the root element is {element.tag}, not an MSPDI Project",
                        line=line,
                        code="schedule_unknown_format",
                    )
            stack.append(element)
            continue
        stack.pop()
        name = local_name(element.tag)
        parent = stack[-1] if stack else None
        if depth == 2 and len(element) == 0:
            project_fields[name] = (element.text or "").strip()
            continue
        if depth != 3 or parent is None:
            if depth == 2:
                element.clear()
            continue
        parent_name = local_name(parent.tag)
        counts[name] = counts.get(name, 0) + 1
        if parent_name == "Tasks" and name == "Task":
            fields = scalar_children(element)
            if fields.get("IsNull") == "1":
                null_tasks += 1
            else:
                yield _task_record(element, fields, line, outline_to_uid, seen_uids)
        elif parent_name == "Calendars" and name == "Calendar":
            calendar, base = _calendar_record(element, project_fields)
            calendars[calendar.external_id] = calendar
            if base:
                calendar_bases[calendar.external_id] = base
        parent.remove(element)
        records += 1
        if records % PROGRESS_EVERY == 0:
            yield ParseProgress(rows=records, bytes_read=reader.bytes_read, bytes_total=bytes_total)

    if not root_checked:
        raise ScheduleFileRefused("the file is empty", code="schedule_empty")
    yield from _resolve_calendars(calendars, calendar_bases)
    if null_tasks:
        yield ParseWarning(f"{null_tasks} blank task rows (IsNull) were skipped")
    if not counts.get("Task"):
        raise ScheduleFileRefused(
            "the file has no Tasks/Task elements: there are no activities to import",
            code="schedule_no_activities",
        )
    yield SourceHeader(
        format="mspdi",
        encoding=encoding,
        source_version=project_fields.get("SaveVersion", ""),
        exported_at=project_fields.get("LastSaved", ""),
    )
    data_date = None
    for field_name in ("StatusDate", "CurrentDate"):
        try:
            data_date = parse_datetime_value(project_fields.get(field_name, ""))
        except ValueNotReadable as exc:
            yield ParseWarning(f"project {field_name}: {exc}")
        if data_date:
            break
    title = project_fields.get("Title") or project_fields.get("Name", "")
    yield SourceProject(
        external_id=project_fields.get("GUID", "") or project_fields.get("Name", ""),
        code=project_fields.get("Name", ""),
        name=title,
        data_date=data_date,
        default_calendar_id=project_fields.get("CalendarUID", ""),
    )
    yield ParseProgress(rows=records, bytes_read=reader.bytes_read, bytes_total=bytes_total)
    yield ParseSummary(tables=counts, lines=reader.completed_lines, bytes_read=reader.bytes_read)


def _task_record(
    element: Element,
    fields: dict[str, str],
    line: int,
    outline_to_uid: dict[str, str],
    seen_uids: dict[str, int],
) -> object:
    uid = fields.get("UID", "")
    if not uid:
        return RefusedRow(line=line, table="Task", reason="the task has no UID")
    outline = fields.get("OutlineNumber", "")
    try:
        level = int(fields.get("OutlineLevel") or (outline.count(".") + 1 if outline else 0))
    except ValueError:
        return RefusedRow(line=line, table="Task", reason="OutlineLevel is not a number", key=uid)
    if "." in outline:
        parent_uid = outline_to_uid.get(outline.rsplit(".", 1)[0], "")
    else:
        parent_uid = outline_to_uid.get("0", "") if level >= 1 else ""
    if uid in seen_uids:
        return RefusedRow(
            line=line,
            table="Task",
            reason=f"UID {uid} repeats the task at line {seen_uids[uid]}",
            key=uid,
        )
    seen_uids[uid] = line
    if fields.get("Summary") == "1" or level == 0:
        outline_to_uid[outline or "0"] = uid
        try:
            sequence = int(fields.get("ID") or 0)
        except ValueError:
            sequence = 0
        return ParsedWbs(
            external_id=uid,
            parent_external_id=parent_uid,
            code=fields.get("WBS") or outline,
            name=fields.get("Name", ""),
            sequence=sequence,
            is_project_node=level == 0,
            line=line,
        )
    activity = ParsedActivity(
        task_code=uid,
        external_id=uid,
        name=fields.get("Name", ""),
        wbs_external_id=parent_uid,
        activity_type=(
            ActivityType.FINISH_MILESTONE if fields.get("Milestone") == "1" else ActivityType.TASK
        ),
        calendar_external_id=""
        if fields.get("CalendarUID") in ("", "-1")
        else fields["CalendarUID"],
        line=line,
    )
    column = ""
    try:
        for attribute, column in (
            ("planned_start", "Start"),
            ("planned_finish", "Finish"),
            ("early_start", "EarlyStart"),
            ("early_finish", "EarlyFinish"),
            ("late_start", "LateStart"),
            ("late_finish", "LateFinish"),
            ("actual_start", "ActualStart"),
            ("actual_finish", "ActualFinish"),
        ):
            setattr(activity, attribute, parse_datetime_value(fields.get(column, "")))
        for baseline in children_named(element, "Baseline"):
            if child_text(baseline, "Number") == "0":
                column = "Baseline Start"
                activity.baseline_start = parse_datetime_value(child_text(baseline, "Start"))
                column = "Baseline Finish"
                activity.baseline_finish = parse_datetime_value(child_text(baseline, "Finish"))
        column = "TotalSlack"
        slack = parse_decimal_value(fields.get("TotalSlack", ""))
        if slack is not None:
            activity.total_float_hours = (slack / TENTHS_OF_MINUTE_PER_HOUR).quantize(
                Decimal("0.01")
            )
        column = "PercentComplete"
        percent = parse_decimal_value(fields.get("PercentComplete", ""))
    except ValueNotReadable as exc:
        return RefusedRow(line=line, table="Task", reason=f"{column}: {exc}", key=uid)
    activity.percent_complete = max(Decimal(0), min(HUNDRED, percent or Decimal(0)))
    if activity.actual_finish or activity.percent_complete == HUNDRED:
        activity.status = ActivityStatus.COMPLETE
    elif activity.actual_start or activity.percent_complete > 0:
        activity.status = ActivityStatus.IN_PROGRESS
    else:
        activity.status = ActivityStatus.NOT_STARTED
    return activity


def _days_in_period(period: Element) -> list[date]:
    start = parse_datetime_value(child_text(period, "FromDate"))
    end = parse_datetime_value(child_text(period, "ToDate")) or start
    if start is None:
        return []
    first, last = start.date(), end.date()
    span = min((last - first).days, MAX_EXCEPTION_DAYS)
    return [first + timedelta(days=offset) for offset in range(span + 1)]


def _calendar_record(
    element: Element, project_fields: dict[str, str]
) -> tuple[ParsedCalendar, str]:
    uid = child_text(element, "UID")
    weekdays: set[int] = set()
    defined_days = 0
    holidays: set[date] = set()
    worked: set[date] = set()
    for week_day in children_named(_child(element, "WeekDays"), "WeekDay"):
        try:
            day_type = int(child_text(week_day, "DayType") or -1)
        except ValueError:
            continue
        working = child_text(week_day, "DayWorking") == "1"
        if day_type in _MSPDI_DAY_TO_WEEKDAY:
            defined_days += 1
            if working:
                weekdays.add(_MSPDI_DAY_TO_WEEKDAY[day_type])
        elif day_type == 0:
            for period in children_named(week_day, "TimePeriod"):
                (worked if working else holidays).update(_safe_days(period))
    for exception in children_named(_child(element, "Exceptions"), "Exception"):
        working = child_text(exception, "DayWorking") == "1"
        for period in children_named(exception, "TimePeriod"):
            (worked if working else holidays).update(_safe_days(period))
    calendar = ParsedCalendar(
        external_id=uid,
        name=child_text(element, "Name") or uid,
        is_default=uid == project_fields.get("CalendarUID"),
        work_weekdays=tuple(sorted(weekdays)) if defined_days else (),
        holidays=tuple(sorted(holidays)),
        extra_workdays=tuple(sorted(worked)),
    )
    base = child_text(element, "BaseCalendarUID")
    return calendar, ("" if base in ("", "-1", "0", uid) else base)


def _safe_days(period: Element) -> list[date]:
    try:
        return _days_in_period(period)
    except ValueNotReadable:
        return []


def _child(element: Element, name: str) -> Element:
    for child in element:
        if local_name(child.tag) == name:
            return child
    return Element("empty")


def _resolve_calendars(
    calendars: dict[str, ParsedCalendar], bases: dict[str, str]
) -> Iterator[ParsedCalendar]:
    """Derived calendars without their own week take their base calendar's week (one level)."""
    for uid, calendar in calendars.items():
        base = calendars.get(bases.get(uid, ""))
        if not calendar.work_weekdays:
            calendar.work_weekdays = base.work_weekdays if base else (0, 1, 2, 3, 4)
            if base:
                calendar.holidays = tuple(sorted(set(calendar.holidays) | set(base.holidays)))
        yield calendar
