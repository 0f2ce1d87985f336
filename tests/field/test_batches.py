"""The batch endpoint for offline sync: one signed body, every event acknowledged or refused on
its own (with the transaction id), refusals recorded like single events, resent batches absorbed,
and batches delivered late and out of order give the in-order figures."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.field.models import CostCodeProgress
from apps.field.services import field_rate_set
from apps.ledger.models import RefusedRequest, Transaction
from tests.field.conftest import site_event

D = Decimal
pytestmark = pytest.mark.django_db


def _sheet(event_id: str, when: str, hours: str = "8") -> dict:
    return site_event(
        "timesheet.submitted",
        event_id,
        when,
        cost_code="03 31 13",
        phase="P1",
        trade="concrete",
        hours=hours,
    )


def _pour(event_id: str, when: str, quantity: str) -> dict:
    return site_event(
        "daily_quantity.reported",
        event_id,
        when,
        cost_code="03 31 13",
        phase="P1",
        quantity=quantity,
        unit="m3",
        planned_quantity="400",
    )


def test_each_event_of_a_batch_is_acknowledged_or_refused_on_its_own(
    school_budget, field_system, post_batch
):
    first = _sheet("t-1", "2026-03-02T17:00:00Z")
    events = [
        first,
        {"type": "weather.reported", "data": {"project": "SCH-001", "event_id": "w-1"}},
        _pour("q-1", "2026-03-02T17:10:00Z", "40"),
        first,  # resent inside the same batch
    ]
    response = post_batch(events)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert (answer["events"], answer["accepted"], answer["duplicates"], answer["refused"]) == (
        4,
        2,
        1,
        1,
    )
    statuses = [(r["index"], r["status"]) for r in answer["results"]]
    assert statuses == [(0, "accepted"), (1, "refused"), (2, "accepted"), (3, "duplicate")]
    refused = answer["results"][1]
    assert refused["reason"] == "invalid_event" and refused["transaction_id"] is None
    assert "weather.reported" in refused["message"]
    assert answer["results"][3]["transaction_id"] == answer["results"][0]["transaction_id"]
    assert answer["results"][0]["idempotency_key"] == "field:tab-07:t-1"
    tx = Transaction.objects.get(pk=answer["results"][0]["transaction_id"])
    assert (tx.domain, tx.operation, tx.status) == ("field_quantity", "labour_hours", "received")
    assert tx.occurred_at.isoformat() == "2026-03-02T17:00:00+00:00"  # the device's time
    assert Transaction.objects.count() == 2
    # The refusal is recorded for admins like a refused single event, with the event's excerpt.
    record = RefusedRequest.objects.get()
    assert (record.endpoint, record.http_status, record.reason) == ("batches", 400, "invalid_event")
    assert record.message.startswith("event 1:") and "weather.reported" in record.body_excerpt

    # The device resends the whole batch (no ack received): nothing new is recorded.
    again = post_batch(events).json()
    assert [r["status"] for r in again["results"]] == [
        "duplicate",
        "refused",
        "duplicate",
        "duplicate",
    ]
    assert Transaction.objects.count() == 2


def test_batch_over_the_configured_limit_is_refused_whole(
    school_budget, field_system, post_batch, settings
):
    settings.FIELD_BATCH_MAX_EVENTS = 2
    events = [_sheet(f"t-{i}", "2026-03-02T17:00:00Z") for i in range(3)]
    response = post_batch(events)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "batch_too_large"
    assert not Transaction.objects.exists()
    assert RefusedRequest.objects.get().endpoint == "batches"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ('{"events": []}', 400, "missing_fields"),
        ('{"events": {"type": "x"}}', 400, "missing_fields"),
        ('{"events": [', 400, "malformed_json"),
    ],
)
def test_unusable_batches_are_refused(field_system, post_batch, body, status, code):
    response = post_batch(None, raw=body)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_a_batch_with_a_bad_signature_records_nothing(field_system, post_batch):
    response = post_batch([_sheet("t-1", "2026-03-02T17:00:00Z")], secret="whsec_d3Jvbmc=")
    assert response.status_code == 401
    assert not Transaction.objects.exists()


def _batches() -> list[list[dict]]:
    return [
        [_pour("q-1", "2026-03-02T17:00:00Z", "40"), _sheet("t-1", "2026-03-02T17:30:00Z")],
        [_pour("q-2", "2026-03-03T17:00:00Z", "60"), _sheet("t-2", "2026-03-03T17:30:00Z", "6")],
        [_pour("q-3", "2026-03-04T17:00:00Z", "20")],
    ]


@pytest.mark.parametrize("delivery", ["in_order", "late_and_resent"])
def test_out_of_order_and_duplicated_batches_give_the_in_order_result(
    school_budget, field_system, post_batch, run_pipeline, delivery
):
    field_rate_set(kind="labour", key="concrete", rate="52.50", currency="EUR")
    batches = _batches()
    if delivery == "late_and_resent":
        # The tablet was offline: the newest batch lands first, the oldest twice.
        batches = [batches[2], batches[0], batches[1], batches[0]]
    for batch in batches:
        assert post_batch(batch).status_code == 200
        run_pipeline(*Transaction.objects.filter(status="received"))
    assert set(Transaction.objects.values_list("status", flat=True)) == {"delivered"}
    line = school_budget.line("P1", "03 31 13")
    progress = CostCodeProgress.objects.get(budget_line=line)
    # In order: 40 + 60 + 20 = 120 m3 of 400 → 30%; (8 + 6) h × 52.50 = 735.00.
    assert (line.actual, progress.quantity_to_date, progress.percent_complete) == (
        D("735.00"),
        D("120.0000"),
        D("30.00"),
    )
    assert Transaction.objects.count() == 5


def test_openapi_documents_the_batch_endpoint(client_for, ada):
    import yaml

    schema = yaml.safe_load(client_for(ada).get("/api/schema/").content)
    operation = schema["paths"]["/api/v1/inbound/{system_code}/batches"]["post"]
    assert set(operation["responses"]) >= {"200", "400", "401", "404", "405", "413", "415"}
    assert "202" not in operation["responses"]
    assert operation["security"] == []
    result = schema["components"]["schemas"]["InboundBatchResult"]
    item = result["properties"]["results"]["items"]
    assert item["properties"]["status"]["enum"] == ["accepted", "duplicate", "refused"]
