"""Procore-style document-control connector ("procore").

Deliveries (reference/platform-formats.md) carry ids, never the resource:
- v2.0: `id` (int), `ulid`, `timestamp`, `user_id`, `company_id`, `project_id`, `api_version`,
  `event_type`, `resource_name`, `resource_id`, `metadata`;
- v3.0: v2.0 plus `related_resources: [{"id", "name"}]`. The vendor's own example repeats keys
  (`resource_name`/`resource_id` twice at the top level), so the body is re-read with an
  `object_pairs_hook`: the last pair wins (what every JSON parser does, and what the example
  means), the shadowed pairs are kept in the parsed payload so nothing is silently dropped;
  repeated `id`/`name` pairs inside one related resource are read as several related resources;
- v4.0: ids are strings, `event_type` → `reason`, `resource_name` → `resource_type`, `id` is a
  ULID-like string and there is no `ulid`.
Dedupe key: `ulid` for v2/v3, `id` for v4 (both spellings and int/str ids accepted).

The details come from a follow-up GET on the Procore REST resource (`event_details`), normalised
into the document register's terms (see `DOCUMENT_RESOURCE_KEYS`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from apps.connectors.base import Connector, HealthResult, ParsedEvent
from apps.connectors.documents.rest import get_json
from apps.connectors.errors import InvalidEventError, PermanentError
from apps.connectors.http import http_client_build
from apps.connectors.registry import register

# The keys of a normalised document resource (what `event_details` returns under "resource").
DOCUMENT_RESOURCE_KEYS = (
    "kind",  # submittal | drawing_revision | file_version | rfi | change_event
    "external_id",  # the resource's own id (submittal id, drawing revision id, version urn)
    "document_external_id",  # the register's document key (submittal id, drawing id, lineage)
    "number",
    "title",
    "discipline",
    "spec_section",
    "spec_section_title",
    "revision",  # P01.01 / P01 / C01, or the platform's submittal revision
    "status",  # platform status or ISO 19650 suitability code
    "response",  # the reviewer's response as the platform spells it ("Approved as Noted", "R&R")
    "is_current",
    "due_date",
    "received_at",
    "issued_at",
    "updated_at",
    "procurement_refs",
    "project_number",
    "url",
)

# resource name (lower-case, v2/v3 `resource_name` or v4 `resource_type`) → (domain, kind)
RESOURCE_KINDS: dict[str, tuple[str, str]] = {
    "submittals": ("document", "submittal"),
    "submittal": ("document", "submittal"),
    "drawing revisions": ("document", "drawing_revision"),
    "drawing revision": ("document", "drawing_revision"),
    "drawings": ("document", "drawing"),
    "rfis": ("document", "rfi"),
    "rfi": ("document", "rfi"),
    "documents": ("document", "file"),
    "project file versions": ("document", "file"),
    "change events": ("change_order", "change_event"),
    "change event": ("change_order", "change_event"),
    "change event line items": ("change_order", "change_event_line_item"),
    "purchase order contracts": ("commitment", "purchase_order_contract"),
    "work order contracts": ("commitment", "work_order_contract"),
    "commitment change orders": ("change_order", "commitment_change_order"),
    "direct costs": ("invoice", "direct_cost"),
    "direct cost line items": ("invoice", "direct_cost_line_item"),
    "budget line items": ("budget_line", "budget_line_item"),
}
FALLBACK_DOMAIN = "platform_event"


class PairsDict(dict):
    """A dict that remembers every (key, value) pair it was built from, repeats included."""

    pairs: list[tuple[str, Any]]


def _pairs_hook(pairs: list[tuple[str, Any]]) -> PairsDict:
    result = PairsDict(pairs)  # last pair wins, as in json.loads
    result.pairs = pairs
    return result


def json_loads_keeping_pairs(body: bytes | str) -> Any:
    """json.loads whose objects keep their repeated keys in `.pairs`."""
    return json.loads(body, object_pairs_hook=_pairs_hook)


def _repeated_keys(obj: Any) -> list[str]:
    pairs = getattr(obj, "pairs", None)
    if not pairs:
        return []
    seen: set[str] = set()
    repeated: list[str] = []
    for key, _ in pairs:
        if key in seen and key not in repeated:
            repeated.append(key)
        seen.add(key)
    return repeated


def _id_text(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        raise ValueError("an id cannot be true/false")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"an id cannot be {value}")
        value = int(value)
    if isinstance(value, int | str):
        return str(value).strip()
    raise ValueError(f"an id cannot be a {type(value).__name__}")


def _related_resources(value: Any) -> list[dict[str, str]]:
    """`related_resources`, with repeated id/name pairs in one object read as several entries."""
    if not isinstance(value, list):
        return []
    related: list[dict[str, str]] = []
    for item in value:
        if not isinstance(item, dict):
            continue
        pairs = getattr(item, "pairs", None) or list(item.items())
        current: dict[str, str] = {}
        for key, raw in pairs:
            if key not in ("id", "name"):
                continue
            if key in current:  # a repeat starts the next related resource
                related.append(current)
                current = {}
            current[key] = _id_text(raw) if key == "id" else str(raw)
        if current:
            related.append(current)
    return [{"id": r.get("id", ""), "name": r.get("name", "")} for r in related]


@dataclass
class ProcoreDelivery:
    """One Procore webhook delivery in the hub's terms, whatever its payload version."""

    payload_version: str
    delivery_id: str
    idempotency_key: str
    event_type: str
    resource_name: str
    resource_id: str
    project_id: str
    company_id: str
    user_id: str
    timestamp: str | None
    related_resources: list[dict[str, str]] = field(default_factory=list)
    shadowed_resources: list[dict[str, str]] = field(default_factory=list)
    repeated_keys: list[str] = field(default_factory=list)

    @property
    def domain_and_kind(self) -> tuple[str, str]:
        known = RESOURCE_KINDS.get(self.resource_name.strip().lower())
        if known:
            return known
        slug = re.sub(r"[^a-z0-9]+", "_", self.resource_name.lower()).strip("_") or "resource"
        return FALLBACK_DOMAIN, slug


def _invalid(message: str, **details) -> InvalidEventError:
    return InvalidEventError(f"Not a Procore webhook delivery: {message}", details=details)


def procore_delivery_parse(*, payload: Any, body: bytes | None = None) -> ProcoreDelivery:
    """Read a v2.0, v3.0 or v4.0 delivery; raise ApplicationError(invalid_event) if unusable."""
    if body is not None:
        try:
            payload = json_loads_keeping_pairs(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _invalid(f"the body is not JSON ({exc})") from exc
    if not isinstance(payload, dict):
        raise _invalid(f"the body is a JSON {type(payload).__name__}, expected an object")

    version = str(payload.get("api_version") or payload.get("payload_version") or "").strip()
    if not version:
        # v4.0 deliveries may omit the version; its renamed keys give it away.
        version = "v4.0" if ("reason" in payload or "resource_type" in payload) else "v2.0"
    version = version if version.startswith("v") else f"v{version}"

    event_type = payload.get("event_type", payload.get("reason"))
    resource_name = payload.get("resource_name", payload.get("resource_type"))
    try:
        delivery_id = _id_text(payload.get("id"))
        ulid = _id_text(payload.get("ulid"))
        resource_id = _id_text(payload.get("resource_id"))
        project_id = _id_text(payload.get("project_id"))
        company_id = _id_text(payload.get("company_id"))
        user_id = _id_text(payload.get("user_id"))
    except ValueError as exc:
        raise _invalid(str(exc)) from exc

    missing = [
        name
        for name, value in (
            ("event_type/reason", event_type),
            ("resource_name/resource_type", resource_name),
            ("resource_id", resource_id),
        )
        if not value
    ]
    if missing:
        raise _invalid("missing " + ", ".join(missing), missing=missing)
    if not isinstance(event_type, str) or not isinstance(resource_name, str):
        raise _invalid("event_type/reason and resource_name/resource_type must be strings")

    # v4 dedupes on its string id; a v2/v3 delivery without ulid still has its numeric id.
    key = delivery_id if version.startswith("v4") else (ulid or delivery_id)
    if not key:
        raise _invalid("no delivery id (ulid for v2.0/v3.0, id for v4.0)")

    repeated = _repeated_keys(payload)
    shadowed: list[dict[str, str]] = []
    if {"resource_name", "resource_id"} & set(repeated) or {"resource_type"} & set(repeated):
        names = [v for k, v in payload.pairs if k in ("resource_name", "resource_type")]
        ids = [v for k, v in payload.pairs if k == "resource_id"]
        for name, rid in zip(names[:-1], ids[:-1], strict=False):
            shadowed.append({"name": str(name), "id": _id_text(rid)})

    return ProcoreDelivery(
        payload_version=version,
        delivery_id=delivery_id,
        idempotency_key=key,
        event_type=event_type.strip().lower(),
        resource_name=resource_name.strip(),
        resource_id=resource_id,
        project_id=project_id,
        company_id=company_id,
        user_id=user_id,
        timestamp=payload.get("timestamp") or None,
        related_resources=_related_resources(payload.get("related_resources")),
        shadowed_resources=shadowed,
        repeated_keys=repeated,
    )


# --- follow-up resources -----------------------------------------------------------------------


def _name(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("name") or "")
    return str(value or "")


def _custom_field(raw: dict, *labels: str) -> str:
    fields = raw.get("custom_fields") or {}
    if not isinstance(fields, dict):
        return ""
    wanted = [label.lower() for label in labels]
    for item in fields.values():
        if isinstance(item, dict) and str(item.get("label", "")).lower() in wanted:
            value = item.get("value")
            if isinstance(value, dict):
                value = value.get("label") or value.get("name") or ""
            return "" if value is None else str(value)
    return ""


def _refs(text: str) -> list[str]:
    return [part for part in re.split(r"[;,\s]+", text or "") if part]


def submittal_final_response(approvers: Any) -> str:
    """The latest returned response of the approval workflow ('' while nobody has answered)."""
    if not isinstance(approvers, list):
        return ""
    answered = []
    for index, approver in enumerate(approvers):
        if not isinstance(approver, dict):
            continue
        response = approver.get("response") or {}
        name = _name(response).strip()
        considered = (
            str(response.get("considered", "")).lower() if isinstance(response, dict) else ""
        )
        if not name or considered == "pending" or name.lower() == "pending":
            continue
        order = (
            int(approver.get("workflow_group_number") or 0),
            str(approver.get("returned_date") or ""),
            index,
        )
        answered.append((order, name))
    if not answered:
        return ""
    return max(answered)[1]


def submittal_normalise(raw: dict, *, project_number: str = "") -> dict[str, Any]:
    spec = raw.get("specification_section") or {}
    status = raw.get("status") or {}
    return {
        "kind": "submittal",
        "external_id": _id_text(raw.get("id")),
        "document_external_id": _id_text(raw.get("id")),
        "number": str(raw.get("number") or ""),
        "title": str(raw.get("title") or ""),
        "discipline": _name(raw.get("type")),
        "spec_section": str(spec.get("number") or "") if isinstance(spec, dict) else "",
        "spec_section_title": str(spec.get("description") or "") if isinstance(spec, dict) else "",
        "revision": str(raw.get("revision") if raw.get("revision") is not None else ""),
        "status": _name(status),
        "response": submittal_final_response(raw.get("approvers")),
        "is_current": None,
        "due_date": raw.get("due_date") or None,
        "received_at": raw.get("received_date") or None,
        "issued_at": raw.get("issue_date") or None,
        "updated_at": raw.get("updated_at") or None,
        "procurement_refs": _refs(_custom_field(raw, "procurement lines", "procurement refs")),
        "project_number": project_number or _project_number(raw),
        "url": str(raw.get("url") or ""),
    }


def drawing_revision_normalise(raw: dict, *, project_number: str = "") -> dict[str, Any]:
    return {
        "kind": "drawing_revision",
        "external_id": _id_text(raw.get("id")),
        "document_external_id": _id_text(raw.get("drawing_id")) or _id_text(raw.get("id")),
        "number": str(raw.get("number") or ""),
        "title": str(raw.get("title") or ""),
        "discipline": _name(raw.get("discipline")),
        "spec_section": "",
        "spec_section_title": "",
        "revision": str(raw.get("revision_number") or ""),
        "status": _custom_field(raw, "suitability", "status code") or _name(raw.get("status")),
        "response": "",
        "is_current": bool(raw.get("current")) if raw.get("current") is not None else None,
        "due_date": None,
        "received_at": raw.get("received_date") or None,
        "issued_at": raw.get("drawing_date") or None,
        "updated_at": raw.get("updated_at") or None,
        "procurement_refs": _refs(_custom_field(raw, "procurement lines", "procurement refs")),
        "project_number": project_number or _project_number(raw),
        "url": str(raw.get("pdf_url") or ""),
    }


def change_event_normalise(raw: dict, *, project_number: str = "") -> dict[str, Any]:
    lines = []
    for item in raw.get("line_items") or []:
        if not isinstance(item, dict):
            continue
        cost_code = item.get("cost_code") or {}
        lines.append(
            {
                "external_id": _id_text(item.get("id")),
                "description": str(item.get("description") or ""),
                "cost_code": str(cost_code.get("full_code") or cost_code.get("code") or "")
                if isinstance(cost_code, dict)
                else str(cost_code),
                # Money stays text until the domain parses it to Decimal (never float).
                "amount": str(item.get("cost_rom") or item.get("revenue_rom") or "0"),
                "currency": str(item.get("currency") or raw.get("currency") or ""),
            }
        )
    return {
        "kind": "change_event",
        "external_id": _id_text(raw.get("id")),
        "number": str(raw.get("number") or ""),
        "title": str(raw.get("title") or ""),
        "status": _name(raw.get("status")),
        "reason": _name(raw.get("change_reason")),
        "lines": lines,
        "updated_at": raw.get("updated_at") or None,
        "project_number": project_number or _project_number(raw),
    }


def _project_number(raw: dict) -> str:
    project = raw.get("project")
    if isinstance(project, dict):
        return str(project.get("project_number") or "")
    return ""


# kind → (path template, normaliser)
def _ball_in_court(raw: dict) -> str:
    holders = raw.get("ball_in_courts") or raw.get("ball_in_court") or []
    if isinstance(holders, dict):
        holders = [holders]
    if isinstance(holders, str):
        return holders
    return ", ".join(_name(holder) for holder in holders if _name(holder))


def _impact(value: Any) -> tuple[str, Any]:
    """Procore impact objects: {"status": "yes_known"|"yes_unknown"|"no_impact"|"tbd"|"n_a",
    "value": amount or days}."""
    if isinstance(value, dict):
        return str(value.get("status") or ""), value.get("value")
    return str(value or ""), None


def rfi_normalise(raw: dict, *, project_number: str = "") -> dict[str, Any]:
    cost_status, cost_value = _impact(raw.get("cost_impact"))
    schedule_status, schedule_value = _impact(raw.get("schedule_impact"))
    status = raw.get("status")
    return {
        "kind": "rfi",
        "external_id": _id_text(raw.get("id")),
        "document_external_id": _id_text(raw.get("id")),
        "number": str(raw.get("number") or raw.get("full_number") or ""),
        "title": str(raw.get("subject") or raw.get("title") or ""),
        "status": _name(status) if isinstance(status, dict) else str(status or ""),
        "due_date": raw.get("due_date") or None,
        "updated_at": raw.get("updated_at") or None,
        "project_number": project_number or _project_number(raw),
        "url": str(raw.get("url") or ""),
        "rfi": {
            "subject": str(raw.get("subject") or ""),
            "status": _name(status) if isinstance(status, dict) else str(status or ""),
            "ball_in_court": _ball_in_court(raw),
            "due_date": raw.get("due_date") or None,
            "cost_impact": cost_status,
            # Money stays text until the register parses it to Decimal (never float).
            "cost_impact_amount": None if cost_value is None else str(cost_value),
            "schedule_impact": schedule_status,
            "schedule_impact_days": schedule_value,
        },
    }


RESOURCE_ENDPOINTS = {
    "rfi": ("/rest/v1.0/projects/{project_id}/rfis/{resource_id}", rfi_normalise),
    "submittal": ("/rest/v1.0/projects/{project_id}/submittals/{resource_id}", submittal_normalise),
    "drawing_revision": (
        "/rest/v1.0/projects/{project_id}/drawing_revisions/{resource_id}",
        drawing_revision_normalise,
    ),
    "change_event": ("/rest/v1.0/change_events/{resource_id}", change_event_normalise),
}


@register("procore")
class ProcoreConnector(Connector):
    """Procore-style deliveries (Standard Webhooks-signed at the hub) and REST follow-up GETs."""

    native_signature = False
    # Deliveries carry ids only: the pipeline asks event_details() for the resource.
    needs_details = True

    def __init__(self, system, *, transport: httpx.BaseTransport | None = None):
        super().__init__(system, transport=transport)
        self._client: httpx.Client | None = None

    # --- inbound ---
    def parse_event(
        self, *, headers: dict[str, str], payload: Any, body: bytes | None = None
    ) -> ParsedEvent:
        delivery = procore_delivery_parse(payload=payload, body=body)
        domain, kind = delivery.domain_and_kind
        return ParsedEvent(
            domain=domain,
            operation=f"{kind}.{delivery.event_type}",
            idempotency_key=delivery.idempotency_key,
            external_id=delivery.resource_id,
            project_ref=delivery.project_id,
            occurred_at=delivery.timestamp,
            payload={
                "platform": "procore",
                "payload_version": delivery.payload_version,
                "delivery_id": delivery.delivery_id,
                "event_type": delivery.event_type,
                "resource_type": delivery.resource_name,
                "resource_kind": kind,
                "resource_id": delivery.resource_id,
                "project_id": delivery.project_id,
                # The key the pipeline's project mapping reads (project-reference mapping per
                # system, else the project number found by the follow-up GET).
                "project_ref": delivery.project_id,
                "company_id": delivery.company_id,
                "user_id": delivery.user_id,
                "timestamp": delivery.timestamp,
                "related_resources": delivery.related_resources,
                "shadowed_resources": delivery.shadowed_resources,
                "repeated_keys": delivery.repeated_keys,
            },
        )

    # --- follow-up GET ---
    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            credentials = self.system.credentials or {}
            headers = {"Accept": "application/json"}
            if credentials.get("access_token"):
                headers["Authorization"] = f"Bearer {credentials['access_token']}"
            if credentials.get("company_id"):
                headers["Procore-Company-Id"] = str(credentials["company_id"])
            self._client = http_client_build(
                base_url=self.system.base_url, headers=headers, transport=self.transport
            )
        return self._client

    def resource_fetch(self, *, kind: str, resource_id: str, project_id: str) -> dict[str, Any]:
        """GET the resource behind a delivery and return it normalised (DOCUMENT_RESOURCE_KEYS)."""
        endpoint = RESOURCE_ENDPOINTS.get(kind)
        if endpoint is None:
            raise PermanentError(
                f"Procore resource kind {kind!r} has no follow-up GET in this connector",
                code="unsupported_resource",
            )
        if not self.system.base_url:
            raise PermanentError(
                f"System {self.system.code} has no base URL for the follow-up GET",
                code="not_configured",
            )
        path, normalise = endpoint
        url = path.format(project_id=project_id, resource_id=resource_id)
        params = {"project_id": project_id} if "{project_id}" not in path else None
        raw = get_json(self.client, url, params=params, remote=f"Procore ({self.system.code})")
        return normalise(raw)

    def event_details(self, *, domain: str, operation: str, payload: dict) -> dict[str, Any]:
        """The parsed payload plus `resource`: the fetched, normalised resource details."""
        if payload.get("event_type") == "delete":
            # A deleted resource cannot be fetched; the id is all there is.
            return {**payload, "resource": None}
        kind = payload.get("resource_kind", "")
        resource_id = payload.get("resource_id", "")
        if kind == "change_event_line_item":
            # A line item's delivery names its change event as a related resource (v3.0): the
            # change event carries every line, so that is what the hub fetches.
            parent = next(
                (r["id"] for r in payload.get("related_resources") or []
                 if r.get("name", "").lower() == "change events" and r.get("id")),
                "",
            )  # fmt: skip
            if not parent:
                raise PermanentError(
                    "A change event line item delivery without its change event (payload v2.0 "
                    "or v4.0 carries no related resources): switch the hook to v3.0",
                    code="unsupported_resource",
                )
            kind, resource_id = "change_event", parent
        resource = self.resource_fetch(
            kind=kind, resource_id=resource_id, project_id=payload.get("project_id", "")
        )
        return {**payload, "resource": resource}

    def health(self) -> HealthResult:
        if not self.system.base_url:
            return HealthResult(ok=True, detail="inbound only (no base URL for follow-up GETs)")
        try:
            response = self.client.get("/rest/v1.0/me")
        except httpx.HTTPError as exc:
            return HealthResult(ok=False, detail=f"unreachable: {exc.__class__.__name__}")
        latency = response.elapsed.total_seconds() * 1000 if response.elapsed else None
        return HealthResult(
            ok=response.status_code < 400, detail=f"HTTP {response.status_code}", latency_ms=latency
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
