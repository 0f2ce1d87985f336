"""Field-app events → canonical receipt / progress_claim / field_quantity events, with the
device's time kept and offline resends deduplicated on the device's event id."""

from __future__ import annotations

import pytest

from apps.connectors.errors import InvalidEventError
from apps.connectors.field.connector import FieldConnector, device_time_parse
from apps.connectors.models import System


def _connector() -> FieldConnector:
    return FieldConnector(System(code="field", name="Field", kind="field"))


def _event(event_type: str, **data) -> dict:
    base = {
        "project": "SCH-001",
        "device_id": "tab-07",
        "event_id": "e-100",
        "device_time": "2025-05-02T16:45:00+02:00",
        "reported_by": "site.foreman",
    }
    return {"type": event_type, "timestamp": "2025-05-02T15:00:03Z", "data": {**base, **data}}


def test_daily_quantity_becomes_a_field_quantity_with_device_time_kept():
    event = _connector().parse_event(
        headers={"webhook-id": "msg_1"},
        payload=_event(
            "daily_quantity.reported",
            cost_code="03 30 00",
            quantity="42.5",
            unit="m3",
            date="2025-05-02",
        ),
    )
    assert (event.domain, event.operation) == ("field_quantity", "quantity")
    assert event.idempotency_key == "field:tab-07:e-100"
    assert event.project_ref == "SCH-001"
    # The device's own clock reading stays as sent; occurred_at is the same instant in UTC.
    assert event.payload["device_time"] == "2025-05-02T16:45:00+02:00"
    assert event.occurred_at == "2025-05-02T14:45:00Z"
    assert event.payload["quantity"] == "42.5"
    assert event.payload["unit"] == "m3"
    assert event.payload["errors"] == []


def test_delivery_on_site_becomes_a_receipt_with_its_lines():
    event = _connector().parse_event(
        headers={},
        payload=_event(
            "delivery.received",
            po_number="P00042",
            delivery_note="DN-889",
            lines=[
                {"line_ref": "1", "cost_code": "03 20 00", "quantity_received": "12", "unit": "t"}
            ],
        ),
    )
    assert (event.domain, event.operation) == ("receipt", "received")
    assert event.external_id == "P00042"
    assert event.payload["lines"] == [
        {
            "line_ref": "1",
            "line_no": 1,
            "cost_code": "03 20 00",
            "unit": "t",
            "quantity_received": "12",
            "row": 1,
        }
    ]


def test_progress_becomes_a_progress_claim_for_the_commitment():
    event = _connector().parse_event(
        headers={},
        payload=_event(
            "progress.reported",
            commitment_ref="SC-0007",  # the older spelling of commitment_number
            period_end="2025-05-31",
            lines=[{"line_ref": "2", "percent_complete": "35"}],
        ),
    )
    assert (event.domain, event.operation) == ("progress_claim", "submitted")
    assert event.external_id == "SC-0007"
    assert event.payload["commitment_number"] == "SC-0007"
    assert event.payload["lines"][0]["percent_complete"] == "35"
    assert event.payload["lines"][0]["line_no"] == 2


@pytest.mark.parametrize(
    ("event_type", "operation"),
    [("equipment.logged", "equipment_hours"), ("timesheet.submitted", "labour_hours")],
)
def test_equipment_and_timesheets_are_field_quantities(event_type, operation):
    event = _connector().parse_event(headers={}, payload=_event(event_type, hours="7.5"))
    assert (event.domain, event.operation) == ("field_quantity", operation)
    assert event.payload["hours"] == "7.5"


def test_offline_resend_with_a_new_webhook_id_has_the_same_key():
    first = _connector().parse_event(
        headers={"webhook-id": "a"}, payload=_event("equipment.logged")
    )
    again = _connector().parse_event(
        headers={"webhook-id": "b"}, payload=_event("equipment.logged")
    )
    assert first.idempotency_key == again.idempotency_key


def test_event_without_its_own_id_dedupes_on_the_webhook_id():
    payload = _event("equipment.logged")
    del payload["data"]["event_id"]
    assert (
        _connector().parse_event(headers={"Webhook-Id": "msg_7"}, payload=payload).idempotency_key
        == "msg_7"
    )
    with pytest.raises(InvalidEventError, match="deduplicate"):
        _connector().parse_event(headers={}, payload=payload)


def test_wrong_numbers_and_missing_references_are_listed_for_the_pipeline():
    event = _connector().parse_event(
        headers={},
        payload=_event(
            "progress.reported",
            project="",
            lines=[
                {"percent_complete": "135"},
                {"percent_complete": "lots"},
                {"quantity_to_date": "-3"},
            ],
        ),
    )
    reasons = [error["reason"] for error in event.payload["errors"]]
    assert any("no project" in reason for reason in reasons)
    assert any("commitment" in reason for reason in reasons)
    assert any("above 100" in reason for reason in reasons)
    assert any("not a number" in reason for reason in reasons)
    assert any("negative" in reason for reason in reasons)


def test_device_time_without_offset_is_flagged_not_guessed():
    assert device_time_parse("2025-05-02T16:45:00") == ("2025-05-02T16:45:00", True, "")
    assert device_time_parse("yesterday")[2].startswith("device_time")
    event = _connector().parse_event(
        headers={}, payload=_event("equipment.logged", device_time="2025-05-02T16:45:00")
    )
    assert event.payload["device_time_naive"] is True


@pytest.mark.parametrize(
    "payload",
    [
        "text",
        {"type": "daily_quantity.reported"},
        {"type": "weather.reported", "data": {}},
        {"data": {"project": "SCH-001"}},
    ],
)
def test_unusable_field_events_are_refused(payload):
    with pytest.raises(InvalidEventError):
        _connector().parse_event(headers={"webhook-id": "x"}, payload=payload)
