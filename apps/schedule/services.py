"""Schedule writes: importing a file as a version, milestone slip, the slip event, import jobs."""

from __future__ import annotations

import hashlib
import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import BinaryIO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.audit.services import audit_record
from apps.connectors.choices import SystemKind
from apps.connectors.models import System
from apps.core.errors import ApplicationError
from apps.exceptions.choices import ExceptionCategory
from apps.exceptions.services import exception_open
from apps.ledger.choices import Trigger
from apps.ledger.models import Transaction
from apps.ledger.services import transaction_record_inbound
from apps.projects.models import Project
from apps.schedule.calendars import STANDARD_CALENDAR, WorkCalendar, working_days_between
from apps.schedule.choices import (
    ActivityType,
    CalendarRule,
    ImportJobStatus,
    ScheduleKind,
    SlipReference,
)
from apps.schedule.errors import ScheduleImportRefused
from apps.schedule.models import (
    Activity,
    ImportJob,
    MilestoneSlip,
    ProjectScheduleSettings,
    ScheduleCalendar,
    ScheduleVersion,
    WbsNode,
)
from apps.schedule.parsers import parse_schedule
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
from apps.schedule.selectors import schedule_baseline_for, schedule_previous_update

logger = logging.getLogger(__name__)

ACTIVITY_BATCH_SIZE = 2000
MAX_STORED_REFUSED_ROWS = 1000
MAX_STORED_WARNINGS = 200
SLIP_EVENT_DOMAIN = "milestone"
SLIP_EVENT_OPERATION = "slipped"
SLIP_EVENT_TYPE = "milestone.slipped"
ProgressCallback = Callable[[ParseProgress], None]


# --- import ----------------------------------------------------------------------------------


def _sha256_and_size(stream: BinaryIO) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    stream.seek(0)
    while chunk := stream.read(1024 * 1024):
        digest.update(chunk)
        size += len(chunk)
    stream.seek(0)
    return digest.hexdigest(), size


def schedule_import_file(
    *,
    project: Project,
    file_bytes: bytes,
    file_name: str,
    kind: str,
    actor=None,
    progress: ProgressCallback | None = None,
    source_project: str = "",
    strict: bool = False,
    ledger_transaction_id: int | None = None,
) -> ScheduleVersion:
    """Import a schedule file (bytes) as a new project version; see schedule_import_stream."""
    return schedule_import_stream(
        project=project,
        stream=io.BytesIO(file_bytes),
        file_name=file_name,
        kind=kind,
        actor=actor,
        progress=progress,
        source_project=source_project,
        strict=strict,
        ledger_transaction_id=ledger_transaction_id,
    )


def schedule_import_stream(
    *,
    project: Project,
    stream: BinaryIO,
    file_name: str,
    kind: str,
    actor=None,
    progress: ProgressCallback | None = None,
    source_project: str = "",
    strict: bool = False,
    ledger_transaction_id: int | None = None,
) -> ScheduleVersion:
    """Import a schedule file (a seekable binary stream) as a new version, all or nothing.

    The format is sniffed from the content. Activities are written in batches inside one
    transaction; a file that cannot be read raises ScheduleImportRefused (422) naming the line,
    is audited, and leaves nothing behind. Importing the same file (same SHA-256) for the same
    project again returns the existing version (`version.already_imported` is True). An update
    then has its milestone slip computed and, past the project's threshold, `milestone.slipped`
    events emitted, in the same transaction.
    """
    if kind not in ScheduleKind.values:
        raise ApplicationError(
            f"kind must be one of {', '.join(ScheduleKind.values)}, not '{kind}'",
            code="invalid_kind",
        )
    file_sha256, file_size = _sha256_and_size(stream)
    existing = ScheduleVersion.objects.filter(project=project, file_sha256=file_sha256).first()
    if existing is not None:
        existing.already_imported = True
        return existing
    started = time.monotonic()
    try:
        with transaction.atomic():
            version = _import_into_new_version(
                project=project,
                stream=stream,
                file_name=file_name,
                file_sha256=file_sha256,
                file_size=file_size,
                kind=kind,
                actor=actor,
                progress=progress,
                source_project=source_project,
                strict=strict,
                ledger_transaction_id=ledger_transaction_id,
            )
            version.duration_ms = int((time.monotonic() - started) * 1000)
            version.save(update_fields=["duration_ms"])
            if kind == ScheduleKind.UPDATE:
                milestone_slips_compute(version=version, emit=True)
            audit_record(
                actor=actor,
                action="schedule.imported",
                target=version,
                detail={
                    "file_name": file_name,
                    "sha256": file_sha256,
                    "kind": kind,
                    "format": version.source_format,
                    "counts": {k: v for k, v in version.counts.items() if k != "tables"},
                },
            )
    except IntegrityError:
        # Two imports of the same file raced; the other one won and holds the version.
        existing = ScheduleVersion.objects.filter(project=project, file_sha256=file_sha256).first()
        if existing is None:
            raise
        existing.already_imported = True
        return existing
    except ScheduleFileRefused as refusal:
        audit_record(
            actor=actor,
            action="schedule.import_refused",
            target=project,
            detail={
                "file_name": file_name,
                "sha256": file_sha256,
                "kind": kind,
                "code": refusal.code,
                "line": refusal.line,
                "reason": refusal.reason,
            },
        )
        raise ScheduleImportRefused(
            f"{file_name}: {refusal.message}",
            code=refusal.code,
            line=refusal.line,
            file_name=file_name,
        ) from None
    version.already_imported = False
    return version


@dataclass
class _ImportState:
    version: ScheduleVersion
    wbs: dict[str, WbsNode]
    wbs_parents: dict[str, str]
    pending_wbs: list[tuple[WbsNode, str]]
    activities: list[Activity]
    unresolved_wbs: int = 0
    activity_count: int = 0
    milestone_count: int = 0
    refused_count: int = 0
    last_refused: RefusedRow | None = None


def _import_into_new_version(
    *,
    project: Project,
    stream: BinaryIO,
    file_name: str,
    file_sha256: str,
    file_size: int,
    kind: str,
    actor,
    progress: ProgressCallback | None,
    source_project: str,
    strict: bool,
    ledger_transaction_id: int | None,
) -> ScheduleVersion:
    source_format, records = parse_schedule(
        stream, bytes_total=file_size, source_project=source_project
    )
    version = ScheduleVersion.objects.create(
        project=project,
        kind=kind,
        source_format=source_format,
        file_name=file_name[:255],
        file_sha256=file_sha256,
        file_size=file_size,
        imported_by=actor if getattr(actor, "is_authenticated", False) else None,
        ledger_transaction_id=ledger_transaction_id,
    )
    state = _ImportState(version=version, wbs={}, wbs_parents={}, pending_wbs=[], activities=[])
    calendars: list[ScheduleCalendar] = []
    warnings: list[dict] = []
    refused: list[dict] = []
    summary = ParseSummary()
    source: SourceProject | None = None

    for record in records:
        if isinstance(record, ParsedActivity):
            _add_activity(state, record)
        elif isinstance(record, ParsedWbs):
            _add_wbs(state, record)
        elif isinstance(record, RefusedRow):
            state.refused_count += 1
            state.last_refused = state.last_refused or record
            if len(refused) < MAX_STORED_REFUSED_ROWS:
                refused.append(
                    {
                        "line": record.line,
                        "table": record.table,
                        "key": record.key,
                        "reason": record.reason,
                    }
                )
        elif isinstance(record, ParseWarning):
            if len(warnings) < MAX_STORED_WARNINGS:
                warnings.append({"line": record.line, "message": record.message})
        elif isinstance(record, ParsedCalendar):
            calendars.append(_calendar_row(version, record))
        elif isinstance(record, ParseProgress):
            if progress is not None:
                progress(record)
        elif isinstance(record, SourceHeader):
            version.encoding = record.encoding[:20]
            version.source_version = record.source_version[:40]
        elif isinstance(record, SourceProject):
            source = source or record
        elif isinstance(record, ParseSummary):
            summary = record

    _flush_wbs(state)
    _flush_activities(state)
    _finish_wbs(state)
    if state.activity_count == 0:
        hint = ""
        if state.last_refused is not None:
            first = state.last_refused
            hint = (
                f" ({state.refused_count} rows refused; first at line {first.line}: {first.reason})"
            )
        raise ScheduleFileRefused(
            f"no activity could be read from the file{hint}",
            line=state.last_refused.line if state.last_refused else None,
            code="schedule_no_activities",
        )
    if strict and state.refused_count:
        first = state.last_refused
        raise ScheduleFileRefused(
            f"{state.refused_count} rows could not be read and strict mode refuses the file; "
            f"first: {first.table} row: {first.reason}",
            line=first.line,
            code="schedule_rows_refused",
        )
    if calendars:
        ScheduleCalendar.objects.bulk_create(_unique_calendars(calendars))
    if source is not None:
        version.source_project_id = source.external_id[:100]
        version.source_project_code = source.code[:200]
        version.source_project_name = source.name[:300]
        version.data_date = source.data_date
        version.default_calendar_id = source.default_calendar_id[:60]
    project_node = next((n for n in state.wbs.values() if n.is_project_node), None)
    if project_node is not None and (
        not version.source_project_name
        or version.source_project_name == version.source_project_code
    ):
        version.source_project_name = project_node.name[:300]
    if version.data_date is None:
        warnings.append(
            {"line": None, "message": "the file has no data date; versions are ordered by import"}
        )
    if state.unresolved_wbs:
        warnings.append(
            {
                "line": None,
                "message": f"{state.unresolved_wbs} activities name a WBS element that is not in "
                "the file; they are shown without WBS",
            }
        )
    warnings.extend(_source_project_warnings(version))
    version.counts = {
        "tables": summary.tables,
        "lines": summary.lines,
        "activities": state.activity_count,
        "milestones": state.milestone_count,
        "wbs": len(state.wbs),
        "calendars": len(calendars),
        "refused": state.refused_count,
    }
    version.warnings = warnings
    version.refused_rows = refused
    version.save()
    return version


def _calendar_row(version: ScheduleVersion, record: ParsedCalendar) -> ScheduleCalendar:
    return ScheduleCalendar(
        version=version,
        external_id=record.external_id[:60],
        name=record.name[:255],
        is_default=record.is_default,
        work_weekdays=list(record.work_weekdays),
        holidays=[d.isoformat() for d in record.holidays],
        extra_workdays=[d.isoformat() for d in record.extra_workdays],
        hours_per_day=record.hours_per_day,
    )


def _unique_calendars(calendars: list[ScheduleCalendar]) -> list[ScheduleCalendar]:
    by_id: dict[str, ScheduleCalendar] = {}
    for calendar in calendars:
        by_id.setdefault(calendar.external_id, calendar)
    return list(by_id.values())


def _add_wbs(state: _ImportState, record: ParsedWbs) -> None:
    if record.external_id in state.wbs or not record.external_id:
        return
    node = WbsNode(
        version=state.version,
        external_id=record.external_id[:60],
        code=record.code[:200],
        name=record.name[:500],
        sequence=record.sequence,
        is_project_node=record.is_project_node,
    )
    state.wbs[record.external_id] = node
    state.wbs_parents[record.external_id] = record.parent_external_id
    state.pending_wbs.append((node, record.external_id))


def _flush_wbs(state: _ImportState) -> None:
    if state.pending_wbs:
        WbsNode.objects.bulk_create([node for node, _ in state.pending_wbs])
        state.pending_wbs.clear()


def _add_activity(state: _ImportState, record: ParsedActivity) -> None:
    state.activities.append(
        Activity(
            version=state.version,
            task_code=record.task_code[:120],
            external_id=record.external_id[:60],
            name=record.name[:500],
            wbs_external_id=record.wbs_external_id[:60],
            activity_type=record.activity_type,
            status=record.status,
            planned_start=record.planned_start,
            planned_finish=record.planned_finish,
            early_start=record.early_start,
            early_finish=record.early_finish,
            late_start=record.late_start,
            late_finish=record.late_finish,
            actual_start=record.actual_start,
            actual_finish=record.actual_finish,
            baseline_start=record.baseline_start,
            baseline_finish=record.baseline_finish,
            total_float_hours=record.total_float_hours,
            percent_complete=record.percent_complete,
            calendar_external_id=record.calendar_external_id[:60],
            source_line=record.line,
        )
    )
    state.activity_count += 1
    if record.activity_type in ActivityType.milestones():
        state.milestone_count += 1
    if len(state.activities) >= ACTIVITY_BATCH_SIZE:
        _flush_activities(state)


def _flush_activities(state: _ImportState) -> None:
    if not state.activities:
        return
    _flush_wbs(state)  # activities point at WBS rows, which need their ids first
    for activity in state.activities:
        node = state.wbs.get(activity.wbs_external_id)
        if node is not None:
            activity.wbs = node
    Activity.objects.bulk_create(state.activities, batch_size=ACTIVITY_BATCH_SIZE)
    state.activities.clear()


def _finish_wbs(state: _ImportState) -> None:
    """Parents, paths and levels once every node is known; late WBS rows get their activities."""
    _flush_wbs(state)
    if not state.wbs:
        return

    def path_of(external_id: str, guard: int = 0) -> tuple[str, int]:
        node = state.wbs[external_id]
        parent_id = state.wbs_parents.get(external_id, "")
        if parent_id in state.wbs and parent_id != external_id and guard < 50:
            parent_path, parent_level = path_of(parent_id, guard + 1)
            return f"{parent_path}.{node.code}" if parent_path else node.code, parent_level + 1
        return node.code, 0

    for external_id, node in state.wbs.items():
        parent_id = state.wbs_parents.get(external_id, "")
        node.parent = state.wbs.get(parent_id) if parent_id != external_id else None
        path, level = path_of(external_id)
        node.path = path[:1000]
        node.level = min(level, 32767)
    WbsNode.objects.bulk_update(list(state.wbs.values()), ["parent", "path", "level"], 1000)
    unresolved = Activity.objects.filter(version=state.version, wbs__isnull=True).exclude(
        wbs_external_id=""
    )
    if unresolved.exists():
        # Hand-made files may list the WBS table after TASK: link those activities now.
        for external_id in set(unresolved.values_list("wbs_external_id", flat=True)):
            node = state.wbs.get(external_id)
            if node is not None:
                unresolved.filter(wbs_external_id=external_id).update(wbs=node)
        state.unresolved_wbs = unresolved.count()


def _source_project_warnings(version: ScheduleVersion) -> list[dict]:
    """Say so when the file's project differs from what earlier versions of this project held."""
    earlier = (
        ScheduleVersion.objects.filter(project=version.project)
        .exclude(pk=version.pk)
        .exclude(source_project_code="")
        .order_by("-id")
        .values_list("source_project_code", flat=True)
        .first()
    )
    if earlier and version.source_project_code and earlier != version.source_project_code:
        return [
            {
                "line": None,
                "message": f"the file is for source project {version.source_project_code}, "
                f"earlier versions of {version.project.code} came from {earlier}",
            }
        ]
    return []


# --- settings ---------------------------------------------------------------------------------


def project_schedule_settings_get(*, project: Project) -> ProjectScheduleSettings:
    settings_row, _ = ProjectScheduleSettings.objects.get_or_create(project=project)
    return settings_row


def project_schedule_settings_update(
    *,
    project: Project,
    actor,
    slip_threshold_days: int | None = None,
    baseline_version: ScheduleVersion | None = None,
    clear_baseline_version: bool = False,
    compare_with: str | None = None,
    calendar_rule: str | None = None,
) -> ProjectScheduleSettings:
    """Change a project's slip rules (audited); later updates use them."""
    settings_row = project_schedule_settings_get(project=project)
    before = {
        "slip_threshold_days": settings_row.slip_threshold_days,
        "baseline_version": settings_row.baseline_version_id,
        "compare_with": settings_row.compare_with,
        "calendar_rule": settings_row.calendar_rule,
    }
    if slip_threshold_days is not None:
        if slip_threshold_days < 0 or slip_threshold_days > 3650:
            raise ApplicationError(
                "the slip threshold is a number of working days from 0 to 3650",
                code="invalid_threshold",
            )
        settings_row.slip_threshold_days = slip_threshold_days
    if baseline_version is not None:
        if baseline_version.project_id != project.id:
            raise ApplicationError(
                "the baseline must be a version of the same project", code="invalid_baseline"
            )
        settings_row.baseline_version = baseline_version
    elif clear_baseline_version:
        settings_row.baseline_version = None
    if compare_with is not None:
        if compare_with not in SlipReference.values:
            raise ApplicationError(f"unknown comparison '{compare_with}'", code="invalid_choice")
        settings_row.compare_with = compare_with
    if calendar_rule is not None:
        if calendar_rule not in CalendarRule.values:
            raise ApplicationError(
                f"unknown calendar rule '{calendar_rule}'", code="invalid_choice"
            )
        settings_row.calendar_rule = calendar_rule
    settings_row.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    settings_row.save()
    after = {
        "slip_threshold_days": settings_row.slip_threshold_days,
        "baseline_version": settings_row.baseline_version_id,
        "compare_with": settings_row.compare_with,
        "calendar_rule": settings_row.calendar_rule,
    }
    audit_record(
        actor=actor,
        action="schedule.settings_changed",
        target=project,
        detail={"before": before, "after": after},
    )
    return settings_row


# --- milestone slip ---------------------------------------------------------------------------


def milestone_date(activity: Activity) -> tuple[date | None, bool]:
    """(the milestone's date in this version, whether it is an actual date).

    A start milestone's date is its start, a finish milestone's its finish: the actual date when
    there is one, else the early (forecast) date, else the planned date. Any other activity uses
    its finish the same way.
    """
    if activity.activity_type == ActivityType.START_MILESTONE:
        order = (
            ("actual_start", True),
            ("early_start", False),
            ("planned_start", False),
            ("actual_finish", True),
            ("early_finish", False),
            ("planned_finish", False),
        )
    else:
        order = (
            ("actual_finish", True),
            ("early_finish", False),
            ("planned_finish", False),
            ("actual_start", True),
            ("early_start", False),
            ("planned_start", False),
        )
    for attribute, is_actual in order:
        value = getattr(activity, attribute)
        if value is not None:
            return value.date(), is_actual
    return None, False


def _embedded_baseline_date(activity: Activity) -> date | None:
    if activity.activity_type == ActivityType.START_MILESTONE:
        value = activity.baseline_start or activity.baseline_finish
    else:
        value = activity.baseline_finish or activity.baseline_start
    return value.date() if value else None


def version_work_calendar(
    *, version: ScheduleVersion, calendar_external_id: str, rule: str
) -> WorkCalendar:
    """The calendar slip is counted with, per the project's calendar rule (calendars.py)."""
    if rule != CalendarRule.FILE:
        return STANDARD_CALENDAR
    calendars = {c.external_id: c for c in version.calendars.all()}
    row = calendars.get(calendar_external_id) or calendars.get(version.default_calendar_id)
    if row is None:
        row = next((c for c in calendars.values() if c.is_default), None)
    if row is None or not row.work_weekdays:
        return STANDARD_CALENDAR
    return WorkCalendar.from_lists(
        name=row.name,
        work_weekdays=row.work_weekdays,
        holidays=row.holidays,
        extra_workdays=row.extra_workdays,
    )


def milestone_slips_compute(*, version: ScheduleVersion, emit: bool = True) -> list[MilestoneSlip]:
    """Compare an update's milestones with the baseline and the previous update; store one
    MilestoneSlip per milestone and (with emit) emit `milestone.slipped` for each one past the
    project's threshold that has not had its event for this update yet."""
    if version.kind != ScheduleKind.UPDATE:
        return []
    project = version.project
    rules = project_schedule_settings_get(project=project)
    baseline = schedule_baseline_for(project=project)
    previous = schedule_previous_update(version=version)
    milestones = list(
        version.activities.filter(activity_type__in=ActivityType.milestones()).order_by("task_code")
    )
    codes = [m.task_code for m in milestones]
    baseline_by_code = _milestones_by_code(baseline, codes)
    previous_by_code = _milestones_by_code(previous, codes)
    calendar_cache: dict[str, WorkCalendar] = {}
    existing = {s.task_code: s for s in MilestoneSlip.objects.filter(version=version)}
    results = []
    for milestone in milestones:
        current, is_actual = milestone_date(milestone)
        calendar = calendar_cache.get(milestone.calendar_external_id)
        if calendar is None:
            calendar = version_work_calendar(
                version=version,
                calendar_external_id=milestone.calendar_external_id,
                rule=rules.calendar_rule,
            )
            calendar_cache[milestone.calendar_external_id] = calendar
        baseline_activity = baseline_by_code.get(milestone.task_code)
        if baseline_activity is not None:
            baseline_date = milestone_date(baseline_activity)[0]
        elif baseline is None:
            baseline_date = _embedded_baseline_date(milestone)
        else:
            baseline_date = None
        previous_activity = previous_by_code.get(milestone.task_code)
        previous_date = milestone_date(previous_activity)[0] if previous_activity else None
        slip_days = (
            working_days_between(baseline_date, current, calendar)
            if baseline_date and current
            else None
        )
        change_days = (
            working_days_between(previous_date, current, calendar)
            if previous_date and current
            else None
        )
        measured = slip_days if rules.compare_with == SlipReference.BASELINE else change_days
        slip = existing.get(milestone.task_code) or MilestoneSlip(
            project=project, version=version, task_code=milestone.task_code
        )
        slip.name = milestone.name
        slip.milestone_type = milestone.activity_type
        slip.baseline_version = baseline
        slip.previous_version = previous
        slip.baseline_date = baseline_date
        slip.previous_date = previous_date
        slip.current_date = current
        slip.is_actual = is_actual
        slip.slip_days = slip_days
        slip.change_days = change_days
        slip.calendar_name = calendar.name[:255]
        slip.threshold_days = rules.slip_threshold_days
        slip.compared_with = rules.compare_with
        slip.over_threshold = measured is not None and measured > rules.slip_threshold_days
        slip.save()
        results.append(slip)
    if baseline is not None:
        _warn_missing_baseline_milestones(version=version, baseline=baseline, codes=set(codes))
    if emit:
        for slip in results:
            if slip.over_threshold and not slip.event_emitted:
                milestone_slip_emit(slip=slip)
    return results


def _warn_missing_baseline_milestones(
    *, version: ScheduleVersion, baseline: ScheduleVersion, codes: set[str]
) -> None:
    """A baseline milestone the update no longer has is worth a line in the import report."""
    missing = sorted(
        set(
            baseline.activities.filter(activity_type__in=ActivityType.milestones()).values_list(
                "task_code", flat=True
            )
        )
        - codes
    )
    if not missing:
        return
    shown = ", ".join(missing[:20]) + (
        f" and {len(missing) - 20} more" if len(missing) > 20 else ""
    )
    message = f"baseline milestones not in this update (no slip computed): {shown}"
    if any(w.get("message") == message for w in version.warnings):
        return
    version.warnings = [*version.warnings, {"line": None, "message": message}]
    version.save(update_fields=["warnings"])


def _milestones_by_code(version: ScheduleVersion | None, codes: list[str]) -> dict:
    if version is None or not codes:
        return {}
    rows = Activity.objects.filter(version=version, task_code__in=codes)
    return {row.task_code: row for row in rows}


def milestone_slip_event_key(*, slip: MilestoneSlip) -> str:
    return f"milestone-slip:{slip.project.code}:{slip.task_code}:{slip.version.file_sha256}"


def milestone_slip_event_payload(*, slip: MilestoneSlip) -> dict:
    version = slip.version

    def iso(value):
        return value.isoformat() if value else None

    return {
        "event": SLIP_EVENT_TYPE,
        "project": slip.project.code,
        "task_code": slip.task_code,
        "name": slip.name,
        "milestone_type": slip.milestone_type,
        "baseline_date": iso(slip.baseline_date),
        "previous_date": iso(slip.previous_date),
        "current_date": iso(slip.current_date),
        "current_is_actual": slip.is_actual,
        "slip_working_days": slip.slip_days,
        "change_working_days": slip.change_days,
        "threshold_working_days": slip.threshold_days,
        "compared_with": slip.compared_with,
        "calendar": slip.calendar_name,
        "schedule_version_id": version.id,
        "baseline_version_id": slip.baseline_version_id,
        "data_date": iso(version.data_date),
        "file_name": version.file_name,
        "file_sha256": version.file_sha256,
    }


def milestone_slip_emit(*, slip: MilestoneSlip) -> MilestoneSlip:
    """Emit `milestone.slipped` for one milestone of one update, exactly once.

    The event is recorded in the ledger as an inbound transaction (domain "milestone",
    operation "slipped", trigger "file") with the idempotency key
    milestone-slip:<project>:<task_code>:<file sha256>, so the pipeline (schedule-driven
    procurement, cash-flow shift) picks it up; when the file came through ingest, the event is a
    child of the file's transaction (lineage). The slip row is locked while emitting; a second
    call for the same slip does nothing, and the ledger's key makes a replay a duplicate.
    """
    with transaction.atomic():
        locked = MilestoneSlip.objects.select_for_update().select_related("project", "version")
        slip = locked.get(pk=slip.pk)
        if slip.event_emitted:
            return slip
        key = milestone_slip_event_key(slip=slip)
        payload = milestone_slip_event_payload(slip=slip)
        slip.event_transaction_id = _ledger_record_slip_event(
            slip=slip, idempotency_key=key, payload=payload
        )
        slip.event_emitted = True
        slip.event_key = key[:300]
        slip.event_payload = payload
        slip.emitted_at = timezone.now()
        slip.save(
            update_fields=[
                "event_emitted",
                "event_key",
                "event_payload",
                "emitted_at",
                "event_transaction_id",
            ]
        )
    return slip


SCHEDULE_IMPORTS_SYSTEM = "schedule-imports"


def schedule_imports_system() -> System:
    """The system slip events are recorded under when the file did not come through ingest
    (upload page, management command). It has no signing secret, so it accepts no deliveries."""
    system, _ = System.objects.get_or_create(
        code=SCHEDULE_IMPORTS_SYSTEM,
        defaults={
            "name": "Schedule imports (upload page and import_schedule)",
            "kind": SystemKind.SCHEDULING,
            "connector": "p6",
        },
    )
    return system


def _ledger_record_slip_event(*, slip: MilestoneSlip, idempotency_key: str, payload: dict) -> int:
    """One inbound `milestone`/`slipped` transaction, child of the file's transaction if any."""
    version = slip.version
    parent = None
    if version.ledger_transaction_id:
        parent = Transaction.objects.filter(pk=version.ledger_transaction_id).first()
    system = parent.system_id if parent is not None else schedule_imports_system()
    transaction_row, _ = transaction_record_inbound(
        system=system,
        domain=SLIP_EVENT_DOMAIN,
        operation=SLIP_EVENT_OPERATION,
        payload=payload,
        idempotency_key=idempotency_key,
        trigger=Trigger.FILE,
        external_id=f"{slip.project.code}:{slip.task_code}",
        subject_domain=SLIP_EVENT_DOMAIN,
        subject_id=f"{slip.project.code}:{slip.task_code}",
        project=slip.project,
        parent=parent,
        reference=slip.task_code,
        occurred_at=version.data_date,
    )
    return transaction_row.id


# --- import jobs (the upload page) ------------------------------------------------------------


def schedule_import_job_create(
    *,
    project: Project,
    kind: str,
    file_name: str,
    file_bytes: bytes,
    actor,
    source_project: str = "",
    strict: bool = False,
) -> ImportJob:
    """Keep an uploaded file as a queued import job and enqueue its import after commit."""
    if kind not in ScheduleKind.values:
        raise ApplicationError(
            f"kind must be baseline or update, not '{kind}'", code="invalid_kind"
        )
    limit = settings.INGEST_MAX_FILE_BYTES
    if len(file_bytes) > limit:
        raise ApplicationError(
            f"the file is {len(file_bytes):,} bytes; the limit is {limit:,} bytes",
            code="file_too_large",
            status_code=413,
        )
    if not file_bytes:
        raise ApplicationError("the file is empty", code="schedule_empty")
    job = ImportJob.objects.create(
        project=project,
        kind=kind,
        file_name=file_name[:255],
        file_content=file_bytes,
        file_sha256=hashlib.sha256(file_bytes).hexdigest(),
        file_size=len(file_bytes),
        source_project=source_project[:200],
        strict=strict,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        actor=actor,
        action="schedule.upload",
        target=job,
        detail={"file_name": job.file_name, "sha256": job.file_sha256, "kind": kind},
    )
    transaction.on_commit(lambda: _enqueue_job(job.id))
    return job


def _enqueue_job(job_id: int) -> None:
    try:
        from django_q.tasks import async_task

        async_task("apps.schedule.tasks.schedule_import_job_task", job_id, group="schedule-import")
    except Exception:  # the sweeper re-enqueues queued jobs: a lost enqueue only delays
        logger.warning("import job %s: enqueue failed; the sweeper will pick it up", job_id)


def schedule_import_job_run(*, job_id: int) -> ImportJob | None:
    """Run one queued import job; returns None when another worker has claimed it."""
    from apps.schedule.progress import ImportProgressReporter

    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJobStatus.QUEUED).update(
        status=ImportJobStatus.RUNNING,
        started_at=now,
        attempts=F("attempts") + 1,
        rows_processed=0,
        bytes_processed=0,
    )
    if not claimed:
        return None
    job = ImportJob.objects.select_related("project", "created_by").get(pk=job_id)
    reporter = ImportProgressReporter(job.id)
    try:
        version = schedule_import_file(
            project=job.project,
            file_bytes=bytes(job.file_content),
            file_name=job.file_name,
            kind=job.kind,
            actor=job.created_by,
            progress=reporter,
            source_project=job.source_project,
            strict=job.strict,
        )
    except ScheduleImportRefused as refusal:
        job.status = ImportJobStatus.REFUSED
        job.error_code = refusal.code[:60]
        job.error_message = refusal.message
        job.error_line = refusal.line
    except ApplicationError as error:
        job.status = ImportJobStatus.REFUSED
        job.error_code = error.code[:60]
        job.error_message = error.message
    except Exception as exc:
        logger.exception("import job %s failed", job.id)
        job.status = ImportJobStatus.FAILED
        job.error_code = "import_failed"
        job.error_message = f"The import failed unexpectedly ({type(exc).__name__}); it is logged."
        _import_job_failure_item(job=job, reason=f"{type(exc).__name__}: {exc}"[:500])
    else:
        job.status = ImportJobStatus.SUCCEEDED
        job.version = version
        if version.already_imported:
            job.error_message = f"This file was already imported as version #{version.id}."
    finally:
        reporter.close()
    if reporter.latest is not None:
        job.rows_processed = reporter.latest.rows
        job.bytes_processed = reporter.latest.bytes_read
    job.finished_at = timezone.now()
    job.save()
    return job


def _import_job_failure_item(*, job: ImportJob, reason: str) -> None:
    """A failed (not refused) import is the hub's problem, not the uploader's: an owned item."""
    exception_open(
        category=ExceptionCategory.PROCESSING_ERROR,
        title=f"Schedule import #{job.id} ({job.file_name}) failed",
        reason=f"The import of {job.file_name} for {job.project.code} failed: {reason}. The "
        "upload is kept on the import job; after the cause is fixed, upload it again.",
        trace_key=f"schedule-import-job:{job.id}",
        project=job.project,
        details={"import_job_id": job.id, "file_sha256": job.file_sha256, "kind": job.kind},
    )


STUCK_AFTER = timedelta(minutes=15)
REQUEUE_AFTER = timedelta(seconds=30)
MAX_JOB_ATTEMPTS = 3


def schedule_import_jobs_sweep() -> int:
    """Re-enqueue queued jobs whose enqueue was lost; requeue (or fail) jobs of a dead worker."""
    now = timezone.now()
    stuck = ImportJob.objects.filter(
        status=ImportJobStatus.RUNNING, started_at__lt=now - STUCK_AFTER
    )
    for job in stuck.filter(attempts__gte=MAX_JOB_ATTEMPTS).defer("file_content"):
        job.status = ImportJobStatus.FAILED
        job.error_code = "import_stuck"
        job.error_message = f"The import did not finish after {MAX_JOB_ATTEMPTS} attempts."
        job.finished_at = now
        job.save(update_fields=["status", "error_code", "error_message", "finished_at"])
        _import_job_failure_item(job=job, reason=job.error_message)
    stuck.filter(attempts__lt=MAX_JOB_ATTEMPTS).update(status=ImportJobStatus.QUEUED)
    due = list(
        ImportJob.objects.filter(
            Q(status=ImportJobStatus.QUEUED), created_at__lt=now - REQUEUE_AFTER
        ).values_list("id", flat=True)[:100]
    )
    for job_id in due:
        _enqueue_job(job_id)
    return len(due)
