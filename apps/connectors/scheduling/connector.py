"""The scheduling connectors ("p6" and "scheduling"); see the package docstring."""

from __future__ import annotations

import io
from typing import Any

from apps.connectors.base import Connector, HealthResult, ParsedEvent
from apps.connectors.errors import InvalidEventError
from apps.connectors.registry import register
from apps.schedule.choices import ActivityType, ScheduleKind
from apps.schedule.parsers import parse_schedule
from apps.schedule.parsers.records import (
    ParsedActivity,
    ParseSummary,
    ParseWarning,
    RefusedRow,
    ScheduleFileRefused,
    SourceHeader,
    SourceProject,
)
from apps.schedule.parsers.values import ValueNotReadable, parse_datetime_value

EVENT_TYPES: dict[str, tuple[str, str]] = {
    "schedule.published": ("schedule", "published"),
    "activity.updated": ("activity", "updated"),
    "milestone.updated": ("milestone", "updated"),
}
DATE_FIELDS = ("data_date", "start", "finish", "baseline_start", "baseline_finish")


def _invalid(message: str, **details) -> InvalidEventError:
    return InvalidEventError(f"Not a scheduling event: {message}", details=details)


def schedule_event_parse(*, payload: Any, webhook_id: str = "") -> ParsedEvent:
    """A scheduling webhook → ParsedEvent (raises InvalidEventError when it cannot be read)."""
    if not isinstance(payload, dict):
        raise _invalid(f"the body is a JSON {type(payload).__name__}, expected an object")
    event_type = payload.get("type")
    data = payload.get("data")
    if not isinstance(event_type, str) or event_type not in EVENT_TYPES:
        raise _invalid(f"unknown event type {event_type!r} (expected one of {sorted(EVENT_TYPES)})")
    if not isinstance(data, dict):
        raise _invalid("missing the `data` object")
    project = str(data.get("project") or "").strip()
    if not project:
        raise _invalid("`data.project` is missing", missing=["data.project"])
    domain, operation = EVENT_TYPES[event_type]
    normalised: dict[str, Any] = {"event_type": event_type, **data, "project": project}
    for name in DATE_FIELDS:
        if data.get(name) in (None, ""):
            continue
        try:
            normalised[name] = parse_datetime_value(str(data[name])).isoformat()
        except ValueNotReadable as exc:
            raise _invalid(f"`data.{name}`: {exc}", field=f"data.{name}") from None
    if domain in ("activity", "milestone"):
        task_code = str(data.get("task_code") or "").strip()
        if not task_code:
            raise _invalid("`data.task_code` (the activity id) is missing")
        normalised["task_code"] = task_code
        external_id = f"{project}:{task_code}"
    else:
        kind = str(data.get("kind") or ScheduleKind.UPDATE).strip().lower()
        if kind not in ScheduleKind.values:
            raise _invalid(f"`data.kind` must be baseline or update, not {kind!r}")
        normalised["kind"] = kind
        external_id = str(data.get("version") or data.get("file_name") or "")
    event_id = str(data.get("event_id") or "").strip()
    key = f"{event_type}:{event_id}" if event_id else webhook_id
    if not key:
        raise _invalid("no data.event_id and no webhook-id header to deduplicate on")
    occurred = payload.get("timestamp")
    return ParsedEvent(
        domain=domain,
        operation=operation,
        idempotency_key=key,
        external_id=external_id,
        project_ref=project,
        occurred_at=occurred if isinstance(occurred, str) else None,
        payload=normalised,
    )


def schedule_file_summary(
    *, content: bytes, file_name: str = "", source_project: str = ""
) -> dict[str, Any]:
    """Read a schedule file without storing it: what an import would find.

    Raises InvalidEventError (code from the parser, the line in details) when the file cannot be
    read at all.
    """
    summary: dict[str, Any] = {
        "file_name": file_name,
        "format": "",
        "encoding": "",
        "source_project": "",
        "source_project_name": "",
        "data_date": None,
        "activities": 0,
        "milestones": 0,
        "refused": [],
        "warnings": [],
        "tables": {},
    }
    try:
        source_format, records = parse_schedule(
            io.BytesIO(content), bytes_total=len(content), source_project=source_project
        )
        summary["format"] = source_format
        for record in records:
            if isinstance(record, ParsedActivity):
                summary["activities"] += 1
                if record.activity_type in ActivityType.milestones():
                    summary["milestones"] += 1
            elif isinstance(record, RefusedRow):
                if len(summary["refused"]) < 100:
                    summary["refused"].append(
                        {"line": record.line, "table": record.table, "reason": record.reason}
                    )
            elif isinstance(record, ParseWarning):
                summary["warnings"].append({"line": record.line, "message": record.message})
            elif isinstance(record, SourceHeader):
                summary["encoding"] = record.encoding
            elif isinstance(record, SourceProject) and not summary["source_project"]:
                summary["source_project"] = record.code
                summary["source_project_name"] = record.name
                summary["data_date"] = record.data_date.isoformat() if record.data_date else None
            elif isinstance(record, ParseSummary):
                summary["tables"] = record.tables
    except ScheduleFileRefused as refusal:
        raise InvalidEventError(
            f"{file_name or 'the file'}: {refusal.message}",
            code=refusal.code,
            details={"line": refusal.line, "file_name": file_name},
        ) from None
    return summary


@register("p6")
class P6Connector(Connector):
    """Inbound schedule files and scheduling webhooks (P6, MS Project and similar)."""

    def parse_event(
        self, *, headers: dict[str, str], payload: Any, body: bytes | None = None
    ) -> ParsedEvent:
        lowered = {k.lower(): v for k, v in headers.items()}
        return schedule_event_parse(payload=payload, webhook_id=lowered.get("webhook-id", ""))

    def file_parse(
        self, *, content: bytes, file_name: str = "", source_project: str = ""
    ) -> dict[str, Any]:
        """A schedule file → its summary (raises InvalidEventError when unreadable)."""
        options = self.system.options or {}
        return schedule_file_summary(
            content=content,
            file_name=file_name,
            source_project=source_project or str(options.get("source_project", "")),
        )

    def health(self) -> HealthResult:
        return HealthResult(ok=True, detail="inbound only (schedule files and webhooks)")


@register("scheduling")
class SchedulingConnector(P6Connector):
    """The same connector under the system kind's name, for systems that name no connector."""
