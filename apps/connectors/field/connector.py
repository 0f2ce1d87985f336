"""The "field" connector: site-device events in the Standard Webhooks payload shape
`{"type", "timestamp", "data"}` → canonical events.

| type | domain | operation | what it carries |
|---|---|---|---|
| daily_quantity.reported | field_quantity | quantity | cost code, quantity, unit |
| equipment.logged | field_quantity | equipment_hours | equipment id, hours, cost code |
| timesheet.submitted | field_quantity | labour_hours | worker/crew, hours, cost code |
| progress.reported | progress_claim | submitted | commitment_number, lines: % or qty |
| delivery.received | receipt | received | PO number, lines: qty received |
| material.consumed | field_quantity | material | cost code, quantity, unit, unit_cost (stock) |
| milestone.completed | field_quantity | milestone | commitment_number, line_no, percent (100) |

Device time is kept: `data.device_time` as the device sent it (with its UTC offset) stays in the
payload untouched, `occurred_at` is the same instant in UTC, and a device time without an offset
is flagged (`device_time_naive`) rather than guessed. Devices queue events offline and resend
them, so the idempotency key is the device's own event id (`field:<device>:<event_id>`), falling
back to the `webhook-id`. Quantities stay Decimal strings; a line that is not a number is listed
in `payload["errors"]` for the pipeline (business validation after the ack, not a 4xx).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from apps.connectors.base import Connector, HealthResult, ParsedEvent
from apps.connectors.errors import InvalidEventError
from apps.connectors.registry import register

EVENT_TYPES: dict[str, tuple[str, str]] = {
    "daily_quantity.reported": ("field_quantity", "quantity"),
    "equipment.logged": ("field_quantity", "equipment_hours"),
    "timesheet.submitted": ("field_quantity", "labour_hours"),
    "progress.reported": ("progress_claim", "submitted"),
    "delivery.received": ("receipt", "received"),
    "material.consumed": ("field_quantity", "material"),
    "milestone.completed": ("field_quantity", "milestone"),
}
# The numeric fields per event type: parsed to Decimal text, problems listed as errors.
_QUANTITY_FIELDS = (
    "quantity",
    "hours",
    "percent_complete",
    "quantity_to_date",
    "quantity_received",
    "planned_quantity",
    "rate",
    "unit_cost",
)


def _invalid(message: str, **details) -> InvalidEventError:
    return InvalidEventError(f"Not a field-app event: {message}", details=details)


def device_time_parse(value: Any) -> tuple[str | None, bool, str]:
    """(UTC ISO instant or None, naive?, problem) for a device timestamp."""
    if value in (None, ""):
        return None, False, ""
    text = str(value).strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None, False, f"device_time {text!r} is not an ISO 8601 timestamp"
    if moment.tzinfo is None:
        # We cannot know the device's zone: keep the wall-clock time, flag it, never guess.
        return moment.isoformat(), True, ""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z"), False, ""


def _decimal_text(value: Any, name: str, errors: list[dict], row: int | None) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        errors.append({"row": row, "reason": f"{name} is true/false, not a number"})
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors.append({"row": row, "reason": f"{name} {value!r} is not a number"})
        return None
    if not number.is_finite():
        errors.append({"row": row, "reason": f"{name} {value!r} is not a finite number"})
        return None
    if number < 0:
        errors.append({"row": row, "reason": f"{name} {value} is negative"})
    if name == "percent_complete" and number > 100:
        errors.append({"row": row, "reason": f"percent_complete {value} is above 100"})
    return str(number)


def field_event_parse(*, payload: Any, webhook_id: str = "") -> dict[str, Any]:
    """A field event → its canonical payload (raises ApplicationError for unusable bodies)."""
    if not isinstance(payload, dict):
        raise _invalid(f"the body is a JSON {type(payload).__name__}, expected an object")
    event_type = payload.get("type")
    data = payload.get("data")
    if not isinstance(event_type, str) or not event_type:
        raise _invalid("missing `type`")
    if event_type not in EVENT_TYPES:
        raise _invalid(f"unknown event type {event_type!r} (expected one of {sorted(EVENT_TYPES)})")
    if not isinstance(data, dict):
        raise _invalid("missing the `data` object")
    domain, operation = EVENT_TYPES[event_type]
    errors: list[dict[str, Any]] = []

    occurred_at, naive, problem = device_time_parse(data.get("device_time"))
    if problem:
        errors.append({"row": None, "reason": problem})
    canonical: dict[str, Any] = {
        "platform": "field",
        "event_type": event_type,
        "project": str(data.get("project") or "").strip(),
        "device_id": str(data.get("device_id") or ""),
        "event_id": str(data.get("event_id") or ""),
        "device_time": data.get("device_time"),
        "device_time_utc": occurred_at,
        "device_time_naive": naive,
        "sent_at": payload.get("timestamp"),
        "reported_by": str(data.get("reported_by") or ""),
        "location": str(data.get("location") or ""),
    }
    if not canonical["project"]:
        errors.append({"row": None, "reason": "the event has no project"})

    for name in (
        "cost_code",
        "phase",
        "unit",
        "activity",
        "equipment_id",
        "equipment_class",
        "ownership",
        "currency",
        "worker_id",
        "crew",
        "trade",
        "line_no",
    ):
        if name in data:
            canonical[name] = str(data.get(name) or "")
    for name in _QUANTITY_FIELDS:
        if name in data:
            canonical[name] = _decimal_text(data.get(name), name, errors, None)
    for name in ("date", "period_end", "po_number", "delivery_note", "vendor_reference"):
        if name in data:
            canonical[name] = str(data.get(name) or "")
    if domain == "progress_claim" or operation == "milestone":
        # The procurement pipeline's progress-claim shape: the commitment's number (devices
        # older than this format call it commitment_ref).
        canonical["commitment_number"] = str(
            data.get("commitment_number") or data.get("commitment_ref") or ""
        )

    if "lines" in data:
        if not isinstance(data["lines"], list):
            errors.append({"row": None, "reason": "`lines` must be a list"})
            canonical["lines"] = []
        else:
            canonical["lines"] = []
            for index, line in enumerate(data["lines"], start=1):
                if not isinstance(line, dict):
                    errors.append({"row": index, "reason": "a line must be an object"})
                    continue
                item = {k: str(v) for k, v in line.items() if k not in _QUANTITY_FIELDS}
                reference = str(line.get("line_no") or line.get("line_ref") or "")
                if reference.isdigit():
                    item["line_no"] = int(reference)  # the commitment line's number
                for name in _QUANTITY_FIELDS:
                    if name in line:
                        item[name] = _decimal_text(line.get(name), name, errors, index)
                item["row"] = index
                canonical["lines"].append(item)

    if domain == "receipt" and not canonical.get("po_number"):
        errors.append({"row": None, "reason": "a delivery needs the purchase order number"})
    if (domain == "progress_claim" or operation == "milestone") and not canonical.get(
        "commitment_number"
    ):
        errors.append({"row": None, "reason": "progress needs the commitment (PO/subcontract)"})
    canonical["errors"] = errors

    if canonical["event_id"]:
        key = f"field:{canonical['device_id'] or 'device'}:{canonical['event_id']}"
    else:
        key = webhook_id
    if not key:
        raise _invalid("no data.event_id and no webhook-id header to deduplicate on")
    canonical["domain"], canonical["operation"], canonical["idempotency_key"] = (
        domain,
        operation,
        key,
    )
    return canonical


@register("field")
class FieldConnector(Connector):
    """Inbound site-device events (Standard Webhooks-signed)."""

    def parse_event(
        self, *, headers: dict[str, str], payload: Any, body: bytes | None = None
    ) -> ParsedEvent:
        lowered = {k.lower(): v for k, v in headers.items()}
        parsed = field_event_parse(payload=payload, webhook_id=lowered.get("webhook-id", ""))
        external_id = (
            parsed.get("po_number") or parsed.get("commitment_number") or parsed["event_id"]
        )
        return ParsedEvent(
            domain=parsed.pop("domain"),
            operation=parsed.pop("operation"),
            idempotency_key=parsed.pop("idempotency_key"),
            external_id=external_id,
            project_ref=parsed["project"],
            occurred_at=parsed["device_time_utc"],
            payload=parsed,
        )

    def health(self) -> HealthResult:
        return HealthResult(ok=True, detail="inbound only (device events)")
