"""ACC-style deliveries: the x-adsk-signature check (HMAC-SHA1 of the body, several secrets for
rotation), the envelope parse and its dedupe key, and the Data Management version resource."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from apps.connectors.documents.acc import AccConnector, acc_event_domain, version_normalise
from apps.connectors.errors import InvalidEventError
from apps.connectors.models import System
from apps.connectors.registry import connector_class

PLAIN_SECRET = "acc-hook-secret-1"
WHSEC_KEY = b"0123456789abcdef0123456789abcdef"
WHSEC_SECRET = "whsec_" + base64.b64encode(WHSEC_KEY).decode()

ENVELOPE = {
    "version": "1.0",
    "resourceUrn": "urn:adsk.wipprod:dm.lineage:hC6k4hndRWaeIVhIjvHu8w",
    "hook": {
        "hookId": "8b8e5c1c-8a1c-4c44-a1a7-4f8a0e0d6d7e",
        "tenant": "urn:adsk.wipprod:fs.folder:co.9fA2",
        "event": "dm.version.added",
        "system": "data",
        "scope": {"folder": "urn:adsk.wipprod:fs.folder:co.9fA2"},
        "hookAttribute": {"projectId": "b.3f1c2a4e-7d6b-4e0a-9a51-1c2d3e4f5a6b", "hubId": "b.hub"},
        "createdDate": "2025-01-10T08:00:00.000+0000",
    },
    "payload": {
        "source": "urn:adsk.wipprod:fs.file:vf.hC6k4hndRWaeIVhIjvHu8w?version=3",
        "lineageUrn": "urn:adsk.wipprod:dm.lineage:hC6k4hndRWaeIVhIjvHu8w",
        "version": "3",
        "name": "HOS-ARC-A-101.pdf",
        "modifiedTime": "2025-02-01T10:15:00+0000",
        "project": "3f1c2a4e-7d6b-4e0a-9a51-1c2d3e4f5a6b",
    },
}


def _connector() -> AccConnector:
    return AccConnector(System(code="acc", name="ACC", kind="document_control"))


def _sign(body: bytes, key: bytes) -> str:
    return "sha1hash=" + hmac.new(key, body, hashlib.sha1).hexdigest()


BODY = json.dumps(ENVELOPE).encode()


def test_acc_is_registered_with_a_native_signature():
    assert connector_class("acc") is AccConnector
    assert AccConnector.native_signature is True


def test_signature_with_a_plain_secret_is_accepted():
    headers = {"x-adsk-signature": _sign(BODY, PLAIN_SECRET.encode())}
    assert _connector().verify_signature(headers=headers, body=BODY, secrets=[PLAIN_SECRET])


def test_signature_with_a_whsec_secret_uses_the_decoded_key():
    headers = {"X-Adsk-Signature": _sign(BODY, WHSEC_KEY)}
    assert _connector().verify_signature(headers=headers, body=BODY, secrets=[WHSEC_SECRET])


def test_signature_by_either_of_two_rotating_secrets_is_accepted():
    headers = {"x-adsk-signature": _sign(BODY, PLAIN_SECRET.encode())}
    assert _connector().verify_signature(
        headers=headers, body=BODY, secrets=["the-new-secret", PLAIN_SECRET]
    )


def test_signature_hex_in_upper_case_is_accepted():
    value = _sign(BODY, PLAIN_SECRET.encode())
    headers = {"x-adsk-signature": "sha1hash=" + value.split("=", 1)[1].upper()}
    assert _connector().verify_signature(headers=headers, body=BODY, secrets=[PLAIN_SECRET])


@pytest.mark.parametrize(
    "header",
    [
        "",  # missing
        "sha1hash=",  # empty digest
        "sha256hash=" + hashlib.sha256(BODY).hexdigest(),  # wrong scheme
        "sha1hash=" + "0" * 40,  # wrong digest
    ],
)
def test_missing_or_wrong_signatures_are_refused(header):
    headers = {"x-adsk-signature": header} if header else {}
    assert not _connector().verify_signature(headers=headers, body=BODY, secrets=[PLAIN_SECRET])


def test_signature_of_a_tampered_body_or_with_a_retired_secret_is_refused():
    headers = {"x-adsk-signature": _sign(BODY, PLAIN_SECRET.encode())}
    tampered = BODY.replace(b"A-101", b"A-102")
    assert not _connector().verify_signature(headers=headers, body=tampered, secrets=[PLAIN_SECRET])
    assert not _connector().verify_signature(headers=headers, body=BODY, secrets=["other"])
    assert not _connector().verify_signature(headers=headers, body=BODY, secrets=[])


def test_document_event_dedupes_on_the_delivery_id_header():
    event = _connector().parse_event(
        headers={"X-ADSK-Delivery-Id": "d-123"}, payload=ENVELOPE, body=BODY
    )
    assert event.idempotency_key == "d-123"
    assert (event.domain, event.operation) == ("document", "version.added")
    assert event.external_id == ENVELOPE["payload"]["source"]
    # The hub keeps ACC project ids without the Data Management "b." prefix.
    assert event.project_ref == "3f1c2a4e-7d6b-4e0a-9a51-1c2d3e4f5a6b"
    assert event.payload["lineage_urn"] == ENVELOPE["payload"]["lineageUrn"]


def test_without_a_delivery_id_the_payload_id_is_the_dedupe_key():
    first = _connector().parse_event(headers={}, payload=ENVELOPE)
    again = _connector().parse_event(headers={}, payload=json.loads(BODY))
    assert first.idempotency_key == again.idempotency_key
    assert first.idempotency_key == "dm.version.added:" + ENVELOPE["payload"]["source"]


@pytest.mark.parametrize(
    ("system", "event", "expected"),
    [
        ("autodesk.construction.cost", "budget.created-1.0", ("budget_line", "budget.created")),
        ("autodesk.construction.cost", "cor.updated-1.0", ("change_order", "cor.updated")),
        ("autodesk.construction.cost", "contract.created-1.0", ("commitment", "contract.created")),
        (
            "autodesk.construction.cost",
            "costPayment.created-1.0",
            ("payment", "costPayment.created"),
        ),
        ("data", "dm.version.deleted", ("document", "version.deleted")),
        ("autodesk.construction.issues", "issue.created-1.0", ("platform_event", "issue.created")),
    ],
)
def test_acc_events_map_to_hub_domains(system, event, expected):
    assert acc_event_domain(system=system, event=event) == expected


def test_cost_event_uses_the_cost_record_id():
    envelope = {
        "version": "1.0",
        "hook": {
            "event": "budget.updated-1.0",
            "system": "autodesk.construction.cost",
            "hookAttribute": {"projectId": "p-1"},
        },
        "payload": {"id": "bgt-9", "containerId": "c-1", "projectId": "p-1"},
    }
    event = _connector().parse_event(headers={}, payload=envelope)
    assert event.domain == "budget_line"
    assert event.external_id == "bgt-9"
    assert event.payload["container_id"] == "c-1"


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"version": "1.0", "payload": {}},
        {"version": "1.0", "hook": {"event": "dm.version.added"}},
        {"version": "1.0", "hook": {"system": "data"}, "payload": {"source": "x"}},
    ],
)
def test_envelope_without_hook_event_or_payload_is_refused(payload):
    with pytest.raises(InvalidEventError) as caught:
        _connector().parse_event(headers={"x-adsk-delivery-id": "d"}, payload=payload)
    assert caught.value.status_code == 400


def test_version_resource_reads_iso_status_and_revision_from_custom_attributes():
    raw = {
        "data": {
            "type": "versions",
            "id": "urn:adsk.wipprod:fs.file:vf.abc?version=3",
            "attributes": {
                "displayName": "HOS-ARC-A-101.pdf",
                "versionNumber": 3,
                "createTime": "2025-02-01T10:00:00Z",
                "lastModifiedTime": "2025-02-01T10:15:00Z",
                "extension": {
                    "type": "versions:autodesk.bim360:File",
                    "data": {
                        "customAttributes": [
                            {"name": "Document number", "value": "HOS-ARC-A-101"},
                            {"name": "Revision", "value": "P01.02"},
                            {"name": "Status", "value": "S2"},
                        ],
                        "approvalStatus": {"label": "Approved", "value": "approved"},
                    },
                },
            },
            "relationships": {"item": {"data": {"type": "items", "id": "urn:lineage:abc"}}},
        }
    }
    resource = version_normalise(raw)
    assert resource["number"] == "HOS-ARC-A-101"
    assert resource["revision"] == "P01.02"
    assert resource["status"] == "S2"
    assert resource["response"] == "Approved"
    assert resource["document_external_id"] == "urn:lineage:abc"
