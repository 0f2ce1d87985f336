"""Procore-style deliveries: payload v2.0, v3.0 (with repeated JSON keys) and v4.0, parsed into
ParsedEvents with the right dedupe key; follow-up GET errors mapped to typed connector errors."""

from __future__ import annotations

import json

import httpx
import pytest

from apps.connectors.documents.procore import (
    ProcoreConnector,
    procore_delivery_parse,
    submittal_final_response,
    submittal_normalise,
)
from apps.connectors.errors import InvalidEventError, PermanentError, TransientError
from apps.connectors.models import System

# The vendor's own v3.0 example (procore/documentation webhooks/payload_formats.md): it repeats
# resource_name and resource_id at the top level. Kept byte-for-byte in its structure.
V3_WITH_REPEATED_KEYS = b"""{
 "id": 123456789,
 "ulid": "0A1B2C3D4F5G6H7I8J9K0LMN",
 "timestamp": "2025-02-06T23:34:12.246562Z",
 "metadata": {
 "source_user_id": 987654321,
 "source_project_id": 2468013579,
 "source_operation_id": null,
 "source_company_id": 1357908642,
 "source_application_id": null
 },
 "user_id": 987654321,
 "company_id": 1357908642,
 "project_id": 2468013579,
 "api_version": "v3.0",
 "event_type": "update",
 "resource_name": "RFIs",
 "resource_id": 54321,
 "resource_name": "Direct Cost Line Items",
  "resource_id": 379913,
  "related_resources": [
    {
      "id": 1234,
      "name": "Direct Costs"
    }
  ]
}"""

V2 = {
    "id": 123456789,
    "ulid": "01HQ4Z8V6K2M3N4P5Q6R7S8T9V",
    "timestamp": "2025-02-06T23:34:12.246562Z",
    "metadata": {"source_user_id": 987654321},
    "user_id": 987654321,
    "company_id": 1357908642,
    "project_id": 2468013579,
    "api_version": "v2.0",
    "event_type": "update",
    "resource_name": "Submittals",
    "resource_id": 54321,
}

V4 = {
    "id": "01JMYXMZRBVKK0PC6XS8SA4QRE",
    "timestamp": "2025-02-25T16:04:43.619085Z",
    "reason": "update",
    "company_id": "8",
    "project_id": "6778",
    "user_id": "5447",
    "resource_type": "Drawing Revisions",
    "resource_id": "379913",
}


def _connector(**fields) -> ProcoreConnector:
    system = System(code="procore", name="Procore", kind="document_control", **fields)
    return ProcoreConnector(system)


def test_v2_delivery_dedupes_on_ulid_and_maps_submittals_to_documents():
    event = _connector().parse_event(headers={}, payload=V2)
    assert event.idempotency_key == "01HQ4Z8V6K2M3N4P5Q6R7S8T9V"
    assert (event.domain, event.operation) == ("document", "submittal.update")
    assert event.external_id == "54321"
    assert event.project_ref == "2468013579"
    assert event.occurred_at == "2025-02-06T23:34:12.246562Z"
    assert event.payload["payload_version"] == "v2.0"
    assert event.payload["related_resources"] == []


def test_v3_repeated_keys_keep_the_last_resource_and_record_the_shadowed_one():
    body = V3_WITH_REPEATED_KEYS
    event = _connector().parse_event(headers={}, payload=json.loads(body), body=body)
    assert event.idempotency_key == "0A1B2C3D4F5G6H7I8J9K0LMN"
    assert event.payload["resource_type"] == "Direct Cost Line Items"
    assert event.external_id == "379913"
    assert (event.domain, event.operation) == ("invoice", "direct_cost_line_item.update")
    assert event.payload["related_resources"] == [{"id": "1234", "name": "Direct Costs"}]
    # Nothing silently lost: the pairs the last ones overwrote are kept and named.
    assert event.payload["shadowed_resources"] == [{"name": "RFIs", "id": "54321"}]
    assert set(event.payload["repeated_keys"]) == {"resource_name", "resource_id"}


def test_v3_related_resource_with_repeated_id_name_pairs_becomes_several_resources():
    body = (
        b'{"id": 5, "ulid": "01HQ", "api_version": "v3.0", "event_type": "create", '
        b'"resource_name": "Purchase Order Contract Line Items", "resource_id": 9, '
        b'"project_id": 7, "related_resources": [{"id": 1, "name": "Purchase Order Contracts", '
        b'"id": 2, "name": "Commitment Change Orders"}]}'
    )
    delivery = procore_delivery_parse(payload=json.loads(body), body=body)
    assert delivery.related_resources == [
        {"id": "1", "name": "Purchase Order Contracts"},
        {"id": "2", "name": "Commitment Change Orders"},
    ]
    # Without the raw body only what json.loads kept is available (the last pair).
    fallback = procore_delivery_parse(payload=json.loads(body))
    assert fallback.related_resources == [{"id": "2", "name": "Commitment Change Orders"}]


def test_v4_dedupes_on_its_string_id_and_reads_renamed_keys():
    event = _connector().parse_event(headers={}, payload=V4)
    assert event.idempotency_key == "01JMYXMZRBVKK0PC6XS8SA4QRE"
    assert event.payload["payload_version"] == "v4.0"  # detected from the renamed keys
    assert (event.domain, event.operation) == ("document", "drawing_revision.update")
    assert event.external_id == "379913"
    assert event.project_ref == "6778"


def test_integer_and_string_ids_give_the_same_references():
    as_ints = procore_delivery_parse(payload=V2)
    as_strings = procore_delivery_parse(
        payload={**V2, "project_id": "2468013579", "resource_id": "54321", "id": "123456789"}
    )
    assert (as_ints.project_id, as_ints.resource_id, as_ints.idempotency_key) == (
        as_strings.project_id,
        as_strings.resource_id,
        as_strings.idempotency_key,
    )


def test_the_same_delivery_in_v2_and_v3_shape_has_one_dedupe_key():
    v3 = {**V2, "api_version": "v3.0", "related_resources": []}
    assert procore_delivery_parse(payload=V2).idempotency_key == (
        procore_delivery_parse(payload=v3).idempotency_key
    )


def test_unknown_resource_is_kept_under_a_fallback_domain_not_dropped():
    event = _connector().parse_event(headers={}, payload={**V2, "resource_name": "Punch Items"})
    assert (event.domain, event.operation) == ("platform_event", "punch_items.update")


@pytest.mark.parametrize(
    ("payload", "missing"),
    [
        ({**V2, "resource_id": None}, "resource_id"),
        ({k: v for k, v in V2.items() if k != "event_type"}, "event_type/reason"),
        ({k: v for k, v in V4.items() if k != "resource_type"}, "resource_name/resource_type"),
    ],
)
def test_delivery_without_required_keys_is_refused_with_the_missing_names(payload, missing):
    with pytest.raises(InvalidEventError) as caught:
        _connector().parse_event(headers={}, payload=payload)
    assert caught.value.status_code == 400
    assert caught.value.code == "invalid_event"
    assert missing in caught.value.message


def test_delivery_that_is_not_an_object_or_has_a_float_id_is_refused():
    with pytest.raises(InvalidEventError):
        procore_delivery_parse(payload=[V2])
    with pytest.raises(InvalidEventError, match="id cannot be"):
        procore_delivery_parse(payload={**V2, "resource_id": 1.5})
    with pytest.raises(InvalidEventError, match="not JSON"):
        procore_delivery_parse(payload=None, body=b"{not json")


def test_v4_without_an_id_cannot_be_deduplicated_and_is_refused():
    with pytest.raises(InvalidEventError, match="no delivery id"):
        procore_delivery_parse(payload={k: v for k, v in V4.items() if k != "id"})


def test_submittal_final_response_is_the_latest_workflow_step_that_answered():
    approvers = [
        {"workflow_group_number": 1, "response": {"name": "Approved", "considered": "approved"}},
        {"workflow_group_number": 2, "response": {"name": "Revise and Resubmit"}},
        {"workflow_group_number": 3, "response": {"name": "Pending", "considered": "pending"}},
    ]
    assert submittal_final_response(approvers) == "Revise and Resubmit"
    assert submittal_final_response([]) == ""


def test_submittal_normalise_reads_spec_section_and_procurement_refs():
    resource = submittal_normalise(
        {
            "id": 77,
            "number": "03 30 00-1",
            "revision": 0,
            "title": "Concrete mix design",
            "status": {"name": "Closed"},
            "specification_section": {"number": "03 30 00", "description": "Cast-in-Place"},
            "approvers": [{"workflow_group_number": 1, "response": {"name": "Approved"}}],
            "custom_fields": {
                "custom_field_1": {"label": "Procurement lines", "value": "REQ-7/1; PO-12/2"}
            },
            "due_date": "2025-03-01",
            "project": {"id": 1, "project_number": "SCH-001"},
        }
    )
    assert resource["response"] == "Approved"
    assert resource["revision"] == "0"
    assert resource["spec_section"] == "03 30 00"
    assert resource["procurement_refs"] == ["REQ-7/1", "PO-12/2"]
    assert resource["project_number"] == "SCH-001"


def _fetch_with(handler) -> dict:
    connector = ProcoreConnector(
        System(code="procore", name="Procore", kind="document_control", base_url="http://p.test"),
        transport=httpx.MockTransport(handler),
    )
    return connector.resource_fetch(kind="submittal", resource_id="5", project_id="1")


def test_follow_up_get_not_found_is_a_permanent_error():
    with pytest.raises(PermanentError) as caught:
        _fetch_with(lambda request: httpx.Response(404, json={"errors": "not found"}))
    assert caught.value.code == "not_found"
    assert caught.value.status_code == 404


def test_follow_up_get_rate_limited_is_transient_with_retry_after():
    with pytest.raises(TransientError) as caught:
        _fetch_with(lambda request: httpx.Response(429, headers={"Retry-After": "7"}))
    assert caught.value.retry_after == 7.0
    assert caught.value.code == "rate_limited"


def test_follow_up_get_server_error_and_timeout_are_transient():
    with pytest.raises(TransientError):
        _fetch_with(lambda request: httpx.Response(503, text="maintenance"))

    def timeout(request):
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(TransientError) as caught:
        _fetch_with(timeout)
    assert caught.value.code == "timeout"


def test_follow_up_get_that_is_not_json_is_permanent():
    with pytest.raises(PermanentError) as caught:
        _fetch_with(lambda request: httpx.Response(200, text="<html>login</html>"))
    assert caught.value.code == "invalid_response"


def test_follow_up_get_sends_the_oauth_token_and_company_header():
    seen = {}

    def handler(request):
        seen.update(request.headers)
        seen["path"] = request.url.path
        return httpx.Response(200, json={"id": 5, "title": "x", "approvers": []})

    connector = ProcoreConnector(
        System(
            code="procore",
            name="Procore",
            kind="document_control",
            base_url="http://p.test",
            credentials={"access_token": "tok-123", "company_id": 8},
        ),
        transport=httpx.MockTransport(handler),
    )
    resource = connector.resource_fetch(kind="submittal", resource_id="5", project_id="1")
    assert resource["external_id"] == "5"
    assert seen["authorization"] == "Bearer tok-123"
    assert seen["procore-company-id"] == "8"
    assert seen["path"] == "/rest/v1.0/projects/1/submittals/5"


def test_change_event_line_item_details_come_from_its_related_change_event():
    seen = []

    def handler(request):
        seen.append(str(request.url))
        return httpx.Response(
            200,
            json={
                "id": 500,
                "number": "007",
                "line_items": [
                    {"id": 501, "cost_code": {"full_code": "03 30 00"}, "cost_rom": "1200.00"}
                ],
            },
        )

    connector = ProcoreConnector(
        System(code="procore", name="Procore", kind="document_control", base_url="http://p.test"),
        transport=httpx.MockTransport(handler),
    )
    payload = {
        "resource_kind": "change_event_line_item",
        "resource_id": "501",
        "project_id": "7",
        "related_resources": [{"id": "500", "name": "Change Events"}],
    }
    details = connector.event_details(domain="change_order", operation="x", payload=payload)
    assert details["resource"]["lines"][0]["cost_code"] == "03 30 00"
    assert details["resource"]["lines"][0]["amount"] == "1200.00"
    assert seen == ["http://p.test/rest/v1.0/change_events/500?project_id=7"]
    with pytest.raises(PermanentError):
        connector.event_details(
            domain="change_order", operation="x", payload={**payload, "related_resources": []}
        )
