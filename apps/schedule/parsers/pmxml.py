"""Primavera P6 PMXML (APIBusinessObjects), streamed.

One `Project` is imported (choose with `source_project` when the file holds several);
`BaselineProject` elements are skipped with a warning (import the baseline's own export as kind
"baseline"). Activities: `Id` → activity id, `ObjectId` → source key, `Type` and `Status` by
their P6 names, Planned/Actual/Early/Late dates (early and late fall back to P6's "Remaining
Early/Late" dates when the export omits them), `TotalFloat` in hours, `PercentComplete` as a
fraction (× 100).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import BinaryIO
from xml.etree.ElementTree import Element

from apps.schedule.choices import ActivityStatus, ActivityType
from apps.schedule.parsers.mspdi import xml_declared_encoding
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
from apps.schedule.parsers.xml_stream import (
    LineReader,
    child_text,
    children_named,
    iter_elements,
    local_name,
    scalar_children,
)

PROGRESS_EVERY = 500
HUNDRED = Decimal(100)
ACTIVITY_TYPES = {
    "task dependent": ActivityType.TASK,
    "resource dependent": ActivityType.RESOURCE_DEPENDENT,
    "level of effort": ActivityType.LEVEL_OF_EFFORT,
    "start milestone": ActivityType.START_MILESTONE,
    "finish milestone": ActivityType.FINISH_MILESTONE,
    "wbs summary": ActivityType.WBS_SUMMARY,
}
ACTIVITY_STATUSES = {
    "not started": ActivityStatus.NOT_STARTED,
    "in progress": ActivityStatus.IN_PROGRESS,
    "completed": ActivityStatus.COMPLETE,
    "complete": ActivityStatus.COMPLETE,
}
WEEKDAYS = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
PROJECT_WBS_FALLBACK = "project"


def parse_pmxml(
    stream: BinaryIO, *, bytes_total: int = 0, source_project: str = ""
) -> Iterator[object]:
    """Yield the records of a PMXML file (see apps/schedule/parsers/records.py)."""
    encoding = xml_declared_encoding(stream)
    reader = LineReader(stream)
    wanted = source_project.strip().lower()
    counts: dict[str, int] = {}
    stack: list[Element] = []
    root_checked = False
    project_fields: dict[str, str] | None = None  # scalars of the Project being read
    project_state = ""  # "" outside, "pending" before its first child object, "import", "skip"
    imported_project: SourceProject | None = None
    projects_seen: list[str] = []
    skipped_baselines: list[str] = []
    seen_codes: dict[str, int] = {}
    records = 0
    header_sent = False
    project_wbs_id = PROJECT_WBS_FALLBACK

    for event, element, depth, line in iter_elements(stream, reader):
        name = local_name(element.tag)
        if event == "start":
            if not root_checked:
                root_checked = True
                if name != "APIBusinessObjects":
                    raise ScheduleFileRefused(
                        f"the root element is {name}, not P6 APIBusinessObjects",
                        line=line,
                        code="schedule_unknown_format",
                    )
                yield SourceHeader(
                    format="pmxml", encoding=encoding, source_version=_namespace_version(element)
                )
                header_sent = True
            stack.append(element)
            if depth == 2 and name == "Project":
                project_fields, project_state = {}, "pending"
            continue

        stack.pop()
        parent = stack[-1] if stack else None
        if depth == 2:
            if name == "Calendar":
                counts[name] = counts.get(name, 0) + 1
                yield _calendar_record(element)
            elif name == "BaselineProject":
                counts[name] = counts.get(name, 0) + 1
                skipped_baselines.append(child_text(element, "Id") or child_text(element, "Name"))
            elif name == "Project":
                counts[name] = counts.get(name, 0) + 1
                if project_state == "pending" and project_fields is not None:
                    # A project without any activity or WBS child.
                    projects_seen.append(project_fields.get("Id", ""))
                    if imported_project is None and (
                        not wanted or wanted == project_fields.get("Id", "").lower()
                    ):
                        imported_project = _source_project(project_fields)
                        yield imported_project
                project_fields, project_state = None, ""
            else:
                counts[name] = counts.get(name, 0) + 1
            if parent is not None:
                parent.remove(element)
            continue
        if depth != 3 or parent is None:
            continue
        if project_state == "pending" and project_fields is not None:
            if len(element) == 0 and name not in ("Activity", "WBS"):
                project_fields[name] = (element.text or "").strip()
                parent.remove(element)
                continue
            # The Project's own fields come first; its first child object decides.
            code = project_fields.get("Id", "")
            projects_seen.append(code or project_fields.get("ObjectId", ""))
            if imported_project is None and (not wanted or wanted == code.lower()):
                project_state = "import"
                imported_project = _source_project(project_fields)
                project_wbs_id = project_fields.get("WBSObjectId") or PROJECT_WBS_FALLBACK
                yield imported_project
                yield ParsedWbs(
                    external_id=project_wbs_id,
                    code=code,
                    name=project_fields.get("Name", ""),
                    is_project_node=True,
                    line=line,
                )
            elif imported_project is not None and not wanted:
                raise ScheduleFileRefused(
                    f"the file holds more than one project ({', '.join(projects_seen)}):"
                    " choose one (import_schedule --source-project CODE)",
                    line=line,
                    code="schedule_several_projects",
                )
            else:
                project_state = "skip"
        if local_name(parent.tag) == "Project" and project_state == "import":
            counts[name] = counts.get(name, 0) + 1
            if name == "Activity":
                yield _activity_record(element, line, seen_codes, project_wbs_id)
            elif name == "WBS":
                yield _wbs_record(element, line)
            elif name == "Calendar":
                yield _calendar_record(element)
        parent_name = local_name(parent.tag)
        if parent_name not in ("Project", "BaselineProject"):
            continue  # part of a small top-level object (Calendar, OBS…): read at its end
        if len(element) == 0 and parent_name == "BaselineProject":
            continue  # its Id and Name are named in the warning; scalars are small
        parent.remove(element)
        records += 1
        if records % PROGRESS_EVERY == 0:
            yield ParseProgress(rows=records, bytes_read=reader.bytes_read, bytes_total=bytes_total)

    if not header_sent:
        raise ScheduleFileRefused("the file is empty", code="schedule_empty")
    if imported_project is None:
        if wanted:
            raise ScheduleFileRefused(
                f"project '{source_project}' is not in the file (it holds "
                f"{', '.join(projects_seen) or 'no project'})",
                code="schedule_project_not_found",
            )
        raise ScheduleFileRefused(
            "the file holds no Project element: there are no activities to import",
            code="schedule_no_activities",
        )
    if len(projects_seen) > 1:
        yield ParseWarning(
            f"the file holds projects {', '.join(projects_seen)}; only {imported_project.code} "
            "is imported"
        )
    if skipped_baselines:
        yield ParseWarning(
            f"baseline project(s) {', '.join(b or '?' for b in skipped_baselines)} in the file "
            "were not imported: import the baseline's own export with kind 'baseline'"
        )
    yield ParseProgress(rows=records, bytes_read=reader.bytes_read, bytes_total=bytes_total)
    yield ParseSummary(tables=counts, lines=reader.completed_lines, bytes_read=reader.bytes_read)


def _namespace_version(element: Element) -> str:
    # {http://xmlns.oracle.com/Primavera/P6Professional/V8.4/API/BusinessObjects}…
    namespace = element.tag[1:].split("}", 1)[0] if element.tag.startswith("{") else ""
    for part in namespace.split("/"):
        if part[:1] in ("V", "v") and part[1:2].isdigit():
            return part[1:]
    return ""


def _source_project(fields: dict[str, str]) -> SourceProject:
    try:
        data_date = parse_datetime_value(fields.get("DataDate", ""))
    except ValueNotReadable:
        data_date = None
    return SourceProject(
        external_id=fields.get("ObjectId", ""),
        code=fields.get("Id", ""),
        name=fields.get("Name", ""),
        data_date=data_date,
        default_calendar_id=fields.get("ActivityDefaultCalendarObjectId", ""),
    )


def _wbs_record(element: Element, line: int) -> object:
    fields = scalar_children(element)
    object_id = fields.get("ObjectId", "")
    if not object_id:
        return RefusedRow(line=line, table="WBS", reason="the WBS element has no ObjectId")
    try:
        sequence = int(fields.get("SequenceNumber") or 0)
    except ValueError:
        sequence = 0
    return ParsedWbs(
        external_id=object_id,
        parent_external_id=fields.get("ParentObjectId", ""),
        code=fields.get("Code", ""),
        name=fields.get("Name", ""),
        sequence=sequence,
        line=line,
    )


def _activity_record(
    element: Element, line: int, seen_codes: dict[str, int], project_wbs_id: str
) -> object:
    fields = scalar_children(element)
    code = fields.get("Id", "")
    if not code:
        return RefusedRow(line=line, table="Activity", reason="the activity has no Id")
    if code in seen_codes:
        return RefusedRow(
            line=line,
            table="Activity",
            reason=f"activity id {code} repeats the activity at line {seen_codes[code]}",
            key=code,
        )
    raw_type = fields.get("Type", "")
    activity_type = ACTIVITY_TYPES.get(raw_type.lower()) if raw_type else ActivityType.TASK
    if activity_type is None:
        return RefusedRow(
            line=line, table="Activity", reason=f"unknown activity Type '{raw_type}'", key=code
        )
    raw_status = fields.get("Status", "")
    status = ACTIVITY_STATUSES.get(raw_status.lower()) if raw_status else None
    column = ""
    try:

        def date_of(*columns: str):
            nonlocal column
            for column in columns:
                value = parse_datetime_value(fields.get(column, ""))
                if value is not None:
                    return value
            return None

        activity = ParsedActivity(
            task_code=code,
            external_id=fields.get("ObjectId", ""),
            name=fields.get("Name", ""),
            wbs_external_id=fields.get("WBSObjectId", "") or project_wbs_id,
            activity_type=activity_type,
            calendar_external_id=fields.get("CalendarObjectId", ""),
            planned_start=date_of("PlannedStartDate"),
            planned_finish=date_of("PlannedFinishDate"),
            actual_start=date_of("ActualStartDate"),
            actual_finish=date_of("ActualFinishDate"),
            late_start=date_of("LateStartDate", "RemainingLateStartDate"),
            late_finish=date_of("LateFinishDate", "RemainingLateFinishDate"),
            line=line,
        )
        activity.early_start = (
            date_of("EarlyStartDate") or activity.actual_start or date_of("RemainingEarlyStartDate")
        )
        activity.early_finish = (
            date_of("EarlyFinishDate", "RemainingEarlyFinishDate") or activity.actual_finish
        )
        column = "TotalFloat"
        activity.total_float_hours = parse_decimal_value(fields.get("TotalFloat", ""))
        column = "PercentComplete"
        fraction = parse_decimal_value(fields.get("PercentComplete", ""))
    except ValueNotReadable as exc:
        return RefusedRow(line=line, table="Activity", reason=f"{column}: {exc}", key=code)
    if status is None:
        if raw_status:
            return RefusedRow(
                line=line, table="Activity", reason=f"unknown Status '{raw_status}'", key=code
            )
        status = (
            ActivityStatus.COMPLETE
            if activity.actual_finish
            else ActivityStatus.IN_PROGRESS
            if activity.actual_start
            else ActivityStatus.NOT_STARTED
        )
    activity.status = status
    percent = (fraction or Decimal(0)) * HUNDRED
    activity.percent_complete = max(Decimal(0), min(HUNDRED, percent)).quantize(Decimal("0.01"))
    seen_codes[code] = line
    return activity


def _calendar_record(element: Element) -> ParsedCalendar:
    fields = scalar_children(element)
    weekdays = []
    week = next((c for c in element if local_name(c.tag) == "StandardWorkWeek"), None)
    for hours in children_named(week, "StandardWorkHours") if week is not None else []:
        day = WEEKDAYS.get(child_text(hours, "DayOfWeek").lower())
        if day is None:
            continue
        if any(len(work_time) for work_time in children_named(hours, "WorkTime")):
            weekdays.append(day)
    holidays, worked = [], []
    exceptions = next((c for c in element if local_name(c.tag) == "HolidayOrExceptions"), None)
    for item in children_named(exceptions, "HolidayOrException") if exceptions is not None else []:
        try:
            day_value = parse_datetime_value(child_text(item, "Date"))
        except ValueNotReadable:
            continue
        if day_value is None:
            continue
        has_work = any(len(work_time) for work_time in children_named(item, "WorkTime"))
        (worked if has_work else holidays).append(day_value.date())
    try:
        hours_per_day = parse_decimal_value(fields.get("HoursPerDay", ""))
    except ValueNotReadable:
        hours_per_day = None
    return ParsedCalendar(
        external_id=fields.get("ObjectId", ""),
        name=fields.get("Name", "") or fields.get("ObjectId", ""),
        is_default=parse_flag_value(fields.get("IsDefault", "")),
        work_weekdays=tuple(sorted(weekdays)) if week is not None else (0, 1, 2, 3, 4),
        holidays=tuple(sorted(holidays)),
        extra_workdays=tuple(sorted(worked)),
        hours_per_day=hours_per_day,
    )
