"""Wire formats the simulated platforms send and serve (reference/platform-formats.md)."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, datetime
from typing import Any

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def ulid(rng: random.Random, moment: datetime, *, salt: str = "") -> str:
    """A ULID (48-bit milliseconds + 80 random bits, Crockford base32) from the world's rng;
    `salt` (the run tag) makes two runs of the same seed differ."""
    random_bits = rng.getrandbits(80)
    if salt:
        random_bits ^= int(hashlib.sha256(salt.encode()).hexdigest()[:20], 16)
    value = (int(moment.timestamp() * 1000) << 80) | random_bits
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def procore_delivery(
    *,
    version: str,
    delivery_id: int,
    delivery_ulid: str,
    timestamp: datetime,
    user_id: int,
    company_id: int,
    project_id: int,
    event_type: str,
    resource_name: str,
    resource_id: int,
    related: list[dict] | None = None,
    repeated_keys_quirk: bool = False,
) -> bytes:
    """A Procore webhook delivery body in payload version v2.0, v3.0 or v4.0."""
    if version == "v4.0":
        # v4.0: string ids, `reason` and `resource_type`, the ULID-like string as `id`.
        body = {
            "id": delivery_ulid,
            "timestamp": iso_z(timestamp),
            "reason": event_type,
            "company_id": str(company_id),
            "project_id": str(project_id),
            "user_id": str(user_id),
            "resource_type": resource_name,
            "resource_id": str(resource_id),
        }
        return json.dumps(body).encode()
    head = {
        "id": delivery_id,
        "ulid": delivery_ulid,
        "timestamp": iso_z(timestamp),
        "metadata": {
            "source_user_id": user_id,
            "source_project_id": project_id,
            "source_operation_id": None,
            "source_company_id": company_id,
            "source_application_id": None,
        },
        "user_id": user_id,
        "company_id": company_id,
        "project_id": project_id,
        "api_version": version,
        "event_type": event_type,
    }
    parts = [json.dumps(head)[:-1]]  # the object without its closing brace
    if version == "v3.0" and repeated_keys_quirk and related:
        # The vendor's own v3.0 example repeats resource_name/resource_id: first the parent
        # resource, then the line item the delivery is about. Real receivers must cope.
        parent = related[0]
        parts.append(
            f', "resource_name": {json.dumps(parent["name"])}, "resource_id": {parent["id"]}'
        )
    parts.append(
        f', "resource_name": {json.dumps(resource_name)}, "resource_id": {int(resource_id)}'
    )
    if version == "v3.0":
        parts.append(f', "related_resources": {json.dumps(related or [])}')
    parts.append("}")
    return "".join(parts).encode()


def acc_envelope(
    *,
    event: str,
    system: str,
    hook_id: str,
    tenant: str,
    project_guid: str,
    hub_id: str,
    resource_urn: str,
    payload: dict[str, Any],
    created: datetime,
) -> bytes:
    """An Autodesk Construction Cloud webhook envelope."""
    body = {
        "version": "1.0",
        "resourceUrn": resource_urn,
        "hook": {
            "hookId": hook_id,
            "tenant": tenant,
            "callbackUrl": "https://hub.example.com/api/v1/inbound/acc/events",
            "createdBy": "integrationhub",
            "event": event,
            "createdDate": created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000",
            "system": system,
            "creatorType": "Application",
            "status": "active",
            "scope": {"folder": tenant},
            "hookAttribute": {"projectId": f"b.{project_guid}", "hubId": hub_id},
            "urn": f"urn:adsk.webhooks:events.hook:{hook_id}",
        },
        "payload": payload,
    }
    return json.dumps(body).encode()


def standard_payload(*, event_type: str, timestamp: datetime, data: dict[str, Any]) -> bytes:
    """The Standard Webhooks payload structure: {"type", "timestamp", "data"}."""
    return json.dumps({"type": event_type, "timestamp": iso_z(timestamp), "data": data}).encode()


def acc_version_resource(version: dict[str, Any], *, base_url: str = "") -> dict[str, Any]:
    """A Data Management `versions` resource (JSON:API) for one simulated document version."""
    attributes = [
        {"id": 1001, "name": "Document number", "type": "string", "value": version["number"]},
        {"id": 1002, "name": "Revision", "type": "string", "value": version["revision"]},
        {"id": 1003, "name": "Status", "type": "string", "value": version["status"]},
        {
            "id": 1004,
            "name": "Project number",
            "type": "string",
            "value": version["project_number"],
        },
        {"id": 1005, "name": "Discipline", "type": "string", "value": version["discipline"]},
    ]
    if version.get("procurement_refs"):
        attributes.append(
            {
                "id": 1006,
                "name": "Procurement lines",
                "type": "string",
                "value": "; ".join(version["procurement_refs"]),
            }
        )
    urn = version["urn"]
    project_url = f"{base_url}/data/v1/projects/b.{version['project_guid']}"
    return {
        "jsonapi": {"version": "1.0"},
        "links": {"self": {"href": project_url}},
        "data": {
            "type": "versions",
            "id": urn,
            "attributes": {
                "name": version["file_name"],
                "displayName": version["file_name"],
                "createTime": version["created"],
                "createUserId": "SIMUSER01",
                "lastModifiedTime": version["modified"],
                "versionNumber": version["version_number"],
                "fileType": "pdf",
                "extension": {
                    "type": "versions:autodesk.bim360:File",
                    "version": "1.0",
                    "data": {
                        "customAttributes": attributes,
                        "approvalStatus": version.get("approval") or {},
                        "isLatest": version["is_latest"],
                    },
                },
            },
            "relationships": {
                "item": {"data": {"type": "items", "id": version["lineage_urn"]}},
            },
            "links": {"self": {"href": f"{project_url}/versions/{urn}"}},
        },
    }
