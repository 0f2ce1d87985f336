"""Autodesk Construction Cloud-style connector ("acc").

Deliveries are an envelope (reference/platform-formats.md):
`{"version": "1.0", "resourceUrn", "hook": {"hookId", "tenant", "event", "system", "scope",
"hookAttribute": {"projectId", "hubId"}, …}, "payload": {…}}`, signed natively:
`x-adsk-signature: sha1hash=<hex HMAC-SHA1 of the body with the hook's secret>` — so ingest asks
`verify_signature` instead of the Standard Webhooks check (`native_signature = True`).
Dedupe key: the `x-adsk-delivery-id` header, else the payload's id (version urn for documents).

Document events (system `data`: `dm.version.added|modified|deleted`) are followed by a GET of
the version from the Data Management API (`/data/v1/projects/b.<project>/versions/<urn>`);
the ISO 19650 suitability and revision come from the version's custom attributes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from apps.connectors.base import Connector, HealthResult, ParsedEvent
from apps.connectors.documents.rest import get_json
from apps.connectors.documents.signing import adsk_signature_valid
from apps.connectors.errors import InvalidEventError, PermanentError
from apps.connectors.http import http_client_build
from apps.connectors.registry import register

COST_SYSTEM = "autodesk.construction.cost"
DATA_SYSTEM = "data"

# event prefix (before the first ".") of the cost system → domain
COST_DOMAINS = {
    "budget": "budget_line",
    "contract": "commitment",
    "cor": "change_order",
    "oco": "change_order",
    "sco": "change_order",
    "pco": "change_order",
    "rfq": "change_order",
    "costpayment": "payment",
    "expense": "invoice",
    "mainContract": "commitment",
}
COST_COLLECTIONS = {"budget": "budgets", "contract": "contracts", "cor": "change-orders/cor"}


def _invalid(message: str, **details) -> InvalidEventError:
    return InvalidEventError(
        f"Not an Autodesk Construction Cloud delivery: {message}", details=details
    )


def acc_project_id(value: str) -> str:
    """ACC spells project ids with a `b.` prefix in the Data Management API and without it in
    the construction APIs: the hub keeps the bare id."""
    value = (value or "").strip()
    return value[2:] if value.startswith("b.") else value


def acc_event_domain(*, system: str, event: str) -> tuple[str, str]:
    """(domain, operation) for an ACC event name like `dm.version.added` or `budget.created-1.0`."""
    name = event.strip()
    base = name.rsplit("-", 1)[0] if "-" in name else name  # drop the event's schema version
    if system == DATA_SYSTEM or base.startswith("dm."):
        return "document", base.removeprefix("dm.")  # "version.added"
    if system == COST_SYSTEM:
        prefix = base.split(".", 1)[0]
        domain = COST_DOMAINS.get(prefix) or COST_DOMAINS.get(prefix.lower()) or "platform_event"
        return domain, base
    return "platform_event", base


def acc_delivery_parse(*, headers: dict[str, str], payload: Any) -> dict[str, Any]:
    """The envelope in the hub's terms; raise ApplicationError(invalid_event) if unusable."""
    if not isinstance(payload, dict):
        raise _invalid(f"the body is a JSON {type(payload).__name__}, expected an object")
    hook = payload.get("hook")
    body = payload.get("payload")
    if not isinstance(hook, dict):
        raise _invalid("missing the `hook` object")
    if not isinstance(body, dict):
        raise _invalid("missing the `payload` object")
    event = hook.get("event")
    if not isinstance(event, str) or not event.strip():
        raise _invalid("missing hook.event")
    system = str(hook.get("system") or "")
    attributes = hook.get("hookAttribute") if isinstance(hook.get("hookAttribute"), dict) else {}
    project = acc_project_id(
        str(attributes.get("projectId") or body.get("projectId") or body.get("project") or "")
    )
    # For document events the version urn is the resource; cost events carry the record id.
    resource_id = str(body.get("source") or body.get("id") or payload.get("resourceUrn") or "")
    lowered = {k.lower(): v for k, v in headers.items()}
    delivery_id = str(lowered.get("x-adsk-delivery-id") or "").strip()
    key = delivery_id or (f"{event}:{resource_id}" if resource_id else "")
    if not key:
        raise _invalid("no x-adsk-delivery-id header and no id in the payload")
    domain, operation = acc_event_domain(system=system, event=event)
    return {
        "platform": "acc",
        "envelope_version": str(payload.get("version") or ""),
        "delivery_id": delivery_id,
        "idempotency_key": key,
        "event": event,
        "system": system,
        "domain": domain,
        "operation": operation,
        "hook_id": str(hook.get("hookId") or ""),
        "tenant": str(hook.get("tenant") or ""),
        "hub_id": str(attributes.get("hubId") or ""),
        "project_id": project,
        "project_ref": project,
        "resource_urn": str(payload.get("resourceUrn") or ""),
        "resource_id": resource_id,
        "lineage_urn": str(body.get("lineageUrn") or payload.get("resourceUrn") or ""),
        "container_id": str(body.get("containerId") or ""),
        "occurred_at": body.get("modifiedTime")
        or body.get("updatedAt")
        or body.get("createdTime")
        or hook.get("createdDate")
        or None,
        "name": str(body.get("name") or ""),
        "version_number": str(body.get("version") or ""),
    }


def _custom_attributes(data: dict) -> dict[str, str]:
    items = data.get("customAttributes") or []
    result: dict[str, str] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("name"):
            result[str(item["name"]).strip().lower()] = (
                "" if item.get("value") is None else str(item["value"])
            )
    return result


def version_normalise(raw: dict, *, project_number: str = "") -> dict[str, Any]:
    """A Data Management `versions` resource (JSON:API) → the register's document resource."""
    data = raw.get("data") if isinstance(raw.get("data"), dict) else {}
    attributes = data.get("attributes") or {}
    extension = (attributes.get("extension") or {}).get("data") or {}
    custom = _custom_attributes(extension)
    item = ((data.get("relationships") or {}).get("item") or {}).get("data") or {}
    name = str(attributes.get("displayName") or attributes.get("name") or "")
    number = custom.get("document number") or name.rsplit(".", 1)[0]
    approval = extension.get("approvalStatus") or {}
    version_number = attributes.get("versionNumber")
    return {
        "kind": "file_version",
        "external_id": str(data.get("id") or ""),
        "document_external_id": str(item.get("id") or ""),
        "number": number,
        "title": custom.get("title") or name,
        "discipline": custom.get("discipline", ""),
        "spec_section": "",
        "spec_section_title": "",
        "revision": custom.get("revision") or (f"V{version_number}" if version_number else ""),
        "status": custom.get("status") or custom.get("suitability") or "",
        "response": str(approval.get("label") or "") if isinstance(approval, dict) else "",
        "is_current": extension.get("isLatest", True),
        "due_date": custom.get("review due") or None,
        "received_at": attributes.get("createTime") or None,
        "issued_at": attributes.get("createTime") or None,
        "updated_at": attributes.get("lastModifiedTime") or None,
        "procurement_refs": [
            part
            for part in custom.get("procurement lines", "").replace(",", ";").split(";")
            if part.strip()
        ],
        "project_number": project_number or custom.get("project number", ""),
        "url": str(((data.get("links") or {}).get("self") or {}).get("href") or ""),
    }


@register("acc")
class AccConnector(Connector):
    """ACC-style deliveries: native HMAC-SHA1 signature, envelope parse, Data Management GETs."""

    native_signature = True
    needs_details = True

    def __init__(self, system, *, transport: httpx.BaseTransport | None = None):
        super().__init__(system, transport=transport)
        self._client: httpx.Client | None = None

    # --- inbound ---
    def verify_signature(self, *, headers: dict[str, str], body: bytes, secrets: list[str]) -> bool:
        lowered = {k.lower(): v for k, v in headers.items()}
        return adsk_signature_valid(
            header_value=lowered.get("x-adsk-signature", ""), body=body, secrets=secrets
        )

    def parse_event(
        self, *, headers: dict[str, str], payload: Any, body: bytes | None = None
    ) -> ParsedEvent:
        parsed = acc_delivery_parse(headers=headers, payload=payload)
        return ParsedEvent(
            domain=parsed["domain"],
            operation=parsed["operation"],
            idempotency_key=parsed["idempotency_key"],
            external_id=parsed["resource_id"],
            project_ref=parsed["project_id"],
            occurred_at=parsed["occurred_at"],
            payload=parsed,
        )

    # --- follow-up GET ---
    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            credentials = self.system.credentials or {}
            headers = {"Accept": "application/vnd.api+json, application/json"}
            if credentials.get("access_token"):
                headers["Authorization"] = f"Bearer {credentials['access_token']}"
            self._client = http_client_build(
                base_url=self.system.base_url, headers=headers, transport=self.transport
            )
        return self._client

    def version_fetch(self, *, project_id: str, version_urn: str) -> dict[str, Any]:
        """GET one document version and return it normalised."""
        self._require_base_url()
        project = acc_project_id(project_id)
        url = f"/data/v1/projects/b.{project}/versions/{quote(version_urn, safe='')}"
        raw = get_json(self.client, url, remote=f"ACC ({self.system.code})")
        return version_normalise(raw)

    def cost_fetch(self, *, container_id: str, event: str, resource_id: str) -> dict[str, Any]:
        """GET a cost record (budget, contract, change order request) as the platform sends it."""
        self._require_base_url()
        prefix = event.split(".", 1)[0]
        collection = COST_COLLECTIONS.get(prefix)
        if collection is None:
            raise PermanentError(
                f"ACC cost event {event!r} has no follow-up GET in this connector",
                code="unsupported_resource",
            )
        url = f"/cost/v1/containers/{container_id}/{collection}/{quote(resource_id, safe='')}"
        raw = get_json(self.client, url, remote=f"ACC ({self.system.code})")
        return {"kind": f"cost_{prefix}", "external_id": resource_id, "raw": raw}

    def event_details(self, *, domain: str, operation: str, payload: dict) -> dict[str, Any]:
        """The parsed payload plus `resource`: the fetched, normalised resource details."""
        if payload.get("operation", "").endswith("deleted"):
            return {**payload, "resource": None}
        if payload.get("system") == COST_SYSTEM:
            resource = self.cost_fetch(
                container_id=payload.get("container_id", ""),
                event=payload.get("event", ""),
                resource_id=payload.get("resource_id", ""),
            )
        else:
            resource = self.version_fetch(
                project_id=payload.get("project_id", ""), version_urn=payload.get("resource_id", "")
            )
        return {**payload, "resource": resource}

    def _require_base_url(self) -> None:
        if not self.system.base_url:
            raise PermanentError(
                f"System {self.system.code} has no base URL for the follow-up GET",
                code="not_configured",
            )

    def health(self) -> HealthResult:
        if not self.system.base_url:
            return HealthResult(ok=True, detail="inbound only (no base URL for follow-up GETs)")
        try:
            response = self.client.get("/project/v1/hubs")
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
