"""The "estimating" connector: budget pushes over the API and budget export files.

API push (Standard Webhooks-signed, payload in the Standard Webhooks shape):
    {"type": "budget.published", "timestamp": "2025-03-01T09:00:00Z",
     "data": {"budget_id": "EST-SCH-001", "version": 3, "project": "SCH-001", "currency": "EUR",
              "lines": [{"phase": "Substructure", "cost_code": "03 30 00",
                         "description": "Cast-in-place concrete", "amount": "125000.00"}]}}
→ ParsedEvent(domain="budget_line", operation="import", idempotency key
`budget:<budget_id>:v<version>` — the same budget version sent twice is one transaction, whatever
its webhook-id), with the lines normalised (amount as a Decimal string, currency filled from the
budget) and every line-level problem listed in `payload["errors"]` for the pipeline to turn into
an exception item (a wrong line is a business problem, not a 4xx).

Files (CSV/XLSX budget exports): `file_parse()` → the same payload shape, from
apps.connectors.estimating.budget_files.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any

from apps.connectors.base import Connector, HealthResult, ParsedEvent
from apps.connectors.errors import InvalidEventError
from apps.connectors.estimating.budget_files import (
    BudgetParseResult,
    amount_parse,
    budget_file_parse,
)
from apps.connectors.registry import register

BUDGET_EVENT_TYPES = {"budget.published", "budget.updated", "budget.created", "budget.exported"}
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _invalid(message: str, **details) -> InvalidEventError:
    return InvalidEventError(f"Not an estimating budget event: {message}", details=details)


def budget_push_parse(*, payload: Any, webhook_id: str = "") -> dict[str, Any]:
    """A budget push → {"budget_id", "version", "project", "currency", "lines", "errors", ...}."""
    if not isinstance(payload, dict):
        raise _invalid(f"the body is a JSON {type(payload).__name__}, expected an object")
    event_type = payload.get("type")
    data = payload.get("data")
    if not isinstance(event_type, str) or not event_type:
        raise _invalid("missing `type`")
    if not isinstance(data, dict):
        raise _invalid("missing the `data` object")
    if event_type not in BUDGET_EVENT_TYPES:
        raise _invalid(
            f"unknown event type {event_type!r} (expected one of {sorted(BUDGET_EVENT_TYPES)})"
        )
    lines = data.get("lines")
    if not isinstance(lines, list):
        raise _invalid("`data.lines` must be a list of budget lines")
    budget_id = str(data.get("budget_id") or data.get("id") or "").strip()
    version = data.get("version")
    project = str(data.get("project") or "").strip()
    currency = str(data.get("currency") or "").strip().upper()

    errors: list[dict[str, Any]] = []
    if not project:
        errors.append({"row": None, "reason": "the budget has no project"})
    if currency and not _CURRENCY.match(currency):
        errors.append({"row": None, "reason": f"currency {currency!r} is not an ISO 4217 code"})
    normalised: list[dict[str, Any]] = []
    total = Decimal("0")
    for index, line in enumerate(lines, start=1):
        if not isinstance(line, dict):
            errors.append({"row": index, "reason": "a budget line must be an object"})
            continue
        problems = []
        cost_code = str(line.get("cost_code") or "").strip()
        if not cost_code:
            problems.append("no cost code")
        line_currency = str(line.get("currency") or currency).strip().upper()
        if not line_currency:
            problems.append("no currency")
        try:
            amount = amount_parse(line.get("amount"))
        except ValueError as exc:
            problems.append(str(exc))
            amount = None
        if isinstance(line.get("amount"), float):
            # JSON numbers with decimals are floats in transit: accepted, but say so.
            problems_note = "amount sent as a JSON number; send money as a string"
        else:
            problems_note = ""
        if problems:
            errors.append({"row": index, "reason": "; ".join(problems), "values": line})
            continue
        total += amount
        normalised.append(
            {
                "row": index,
                "project": str(line.get("project") or project),
                "phase": str(line.get("phase") or ""),
                "cost_code": cost_code,
                "description": str(line.get("description") or ""),
                "amount": str(amount),
                "currency": line_currency,
                **({"note": problems_note} if problems_note else {}),
            }
        )
    key_version = "" if version is None else str(version)
    if budget_id:
        key = f"budget:{budget_id}:v{key_version}" if key_version else f"budget:{budget_id}"
    else:
        key = webhook_id
    if not key:
        raise _invalid("no budget_id and no webhook-id header to deduplicate on")
    return {
        "platform": "estimating",
        "event_type": event_type,
        "budget_id": budget_id,
        "version": key_version,
        "project": project,
        "currency": currency,
        "issued_at": payload.get("timestamp") or data.get("issued_at"),
        "lines": normalised,
        "errors": errors,
        "line_count": len(lines),
        "total": str(total),
        "idempotency_key": key,
    }


def budget_file_payload(result: BudgetParseResult, *, file_name: str = "") -> dict[str, Any]:
    """A parsed export in the same shape as a budget push (for the file ingest path)."""
    projects = sorted({line.project for line in result.lines})
    return {
        "platform": "estimating",
        "event_type": "budget.file",
        "file_name": file_name,
        "format": result.format,
        "project": projects[0] if len(projects) == 1 else "",
        "projects": projects,
        "lines": [line.as_payload() for line in result.lines],
        "errors": [error.as_payload() for error in result.errors],
        "skipped": [skip.as_payload() for skip in result.skipped],
        "totals": {cur: str(total) for cur, total in result.totals_by_currency().items()},
    }


def budget_payload_as_csv(payload: dict[str, Any]) -> bytes:
    """A budget push (or parsed file) payload as the CSV the procurement budget import reads
    (project, phase, cost_code, description, amount, currency), so both paths share one import
    service and one row-by-row report. Amounts are the Decimal strings of the payload."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["project", "phase", "cost_code", "description", "amount", "currency"])
    for line in payload.get("lines") or []:
        writer.writerow(
            [
                line.get("project") or payload.get("project", ""),
                line.get("phase", ""),
                line.get("cost_code", ""),
                line.get("description", ""),
                line.get("amount", ""),
                line.get("currency") or payload.get("currency", ""),
            ]
        )
    return buffer.getvalue().encode("utf-8")


@register("estimating")
class EstimatingConnector(Connector):
    """Inbound budget pushes (Standard Webhooks) and budget export files."""

    def parse_event(
        self, *, headers: dict[str, str], payload: Any, body: bytes | None = None
    ) -> ParsedEvent:
        lowered = {k.lower(): v for k, v in headers.items()}
        parsed = budget_push_parse(payload=payload, webhook_id=lowered.get("webhook-id", ""))
        return ParsedEvent(
            domain="budget_line",
            operation="import",
            idempotency_key=parsed.pop("idempotency_key"),
            external_id=parsed["budget_id"],
            project_ref=parsed["project"],
            occurred_at=parsed["issued_at"],
            payload=parsed,
        )

    def file_parse(
        self, *, content: bytes, file_name: str = "", default_project: str = ""
    ) -> dict[str, Any]:
        """A budget export file → the budget payload (raises BudgetFileError if unreadable)."""
        options = self.system.options or {}
        result = budget_file_parse(
            content=content,
            file_name=file_name,
            default_project=default_project,
            default_currency=str(options.get("default_currency", "")),
        )
        return budget_file_payload(result, file_name=file_name)

    def health(self) -> HealthResult:
        return HealthResult(ok=True, detail="inbound only (pushes and files)")
