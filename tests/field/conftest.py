"""Field operations fixtures: the `field` system and a helper that takes site-app events through
the real connector, the ledger and the pipeline."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from apps.connectors.field.connector import FieldConnector


def site_event(event_type: str, event_id: str, device_time: str, **data) -> dict:
    """A field-app event as devices send it (apps/connectors/field)."""
    return {
        "type": event_type,
        "timestamp": "2026-03-02T18:00:00Z",
        "data": {
            "project": "SCH-001",
            "device_id": "tab-07",
            "event_id": event_id,
            "device_time": device_time,
            **data,
        },
    }


@pytest.fixture
def field_system(system_factory):
    """The site-app system (connector `field`), signing with tests.plugins.ledger.INBOUND_SECRET."""
    return system_factory("field", kind="field", connector="field")


@pytest.fixture
def post_batch(client):
    """post_batch(events, secret=...) → the signed POST /api/v1/inbound/field/batches."""
    import json

    from tests.plugins.ledger import INBOUND_SECRET, webhook_headers

    def post(events, *, system_code="field", secret=INBOUND_SECRET, batch_id="b-1", raw=None):
        body = raw if raw is not None else json.dumps({"batch_id": batch_id, "events": events})
        body = body.encode("utf-8") if isinstance(body, str) else body
        return client.post(
            f"/api/v1/inbound/{system_code}/batches",
            data=body,
            content_type="application/json",
            headers=webhook_headers(secret, body),
        )

    return post


@pytest.fixture
def deliver(field_system, run_pipeline):
    """deliver(*events) → the processed transactions (duplicates answered by the ledger)."""
    from apps.ledger.choices import Trigger
    from apps.ledger.ingest import project_id_for
    from apps.ledger.services import transaction_record_inbound

    connector = FieldConnector(field_system)

    def run(*events, arrived_at: datetime | None = None):
        transactions = []
        for event in events:
            parsed = connector.parse_event(headers={}, payload=event)
            tx, created = transaction_record_inbound(
                system=field_system,
                domain=parsed.domain,
                operation=parsed.operation,
                payload=parsed.payload,
                idempotency_key=parsed.idempotency_key,
                trigger=Trigger.WEBHOOK,
                external_id=parsed.external_id,
                project=project_id_for(parsed.project_ref),
                occurred_at=datetime.fromisoformat(parsed.occurred_at.replace("Z", "+00:00")),
                received_at=arrived_at or datetime.now(UTC),
            )
            if created:
                transactions.append(tx)
        return run_pipeline(*transactions) if transactions else []

    return run
