"""Document deliveries end to end inside the hub: signed Procore/ACC webhooks through the real
ingest endpoint, then the pipeline with its follow-up GET against the platform simulator over
loopback, into the document register."""

from __future__ import annotations

import json

import httpx
import pytest

from apps.documents.choices import DocumentEventKind, StatusMeaning
from apps.documents.models import Document
from apps.exceptions.models import ExceptionItem
from apps.ledger.models import Transaction
from apps.simulators.platforms.signing import adsk_headers, standard_webhooks_headers
from apps.sync.pipeline import transaction_process
from tests.plugins.platforms import PLATFORM_SECRETS

pytestmark = pytest.mark.django_db


def _post(client, delivery, *, body: bytes | None = None):
    body = delivery.body if body is None else body
    if delivery.scheme == "adsk":
        headers = adsk_headers(
            secret=PLATFORM_SECRETS["acc"], delivery_id=delivery.message_id, body=body
        )
    else:
        import time

        headers = standard_webhooks_headers(
            secret=PLATFORM_SECRETS[delivery.system_code],
            msg_id=delivery.message_id,
            timestamp=int(time.time()),
            body=body,
        )
    return client.post(
        f"/api/v1/inbound/{delivery.system_code}/events",
        data=body,
        content_type="application/json",
        headers=headers,
    )


def _procore(world, *, category="good", want="Submittals"):
    """The next Procore delivery about `want` (the world picks resources at random)."""
    for _ in range(200):
        delivery = world._procore(category)
        if want in delivery.event:
            return delivery
    raise AssertionError(f"the world made no {want} delivery")


def _process(response) -> Transaction:
    assert response.status_code == 202, response.content
    tx = Transaction.objects.get(pk=response.json()["transaction_id"])
    transaction_process(transaction=tx)
    tx.refresh_from_db()
    return tx


@pytest.fixture
def hub(client, platform_projects, platform_systems, platform_world, platform_server):
    return client


def test_procore_submittal_is_fetched_and_lands_in_the_register(hub, platform_world):
    created = _procore(platform_world)
    tx = _process(_post(hub, created))
    assert tx.status == "delivered", (tx.last_error_code, tx.last_error_message)
    # The fetched resource is what the ledger keeps as canonical payload (what was applied).
    resource = tx.canonical_payload["resource"]
    submittal = platform_world.submittals[int(resource["external_id"])]
    document = Document.objects.get(external_id=resource["external_id"])
    assert document.project.code == submittal["project"]["project_number"]
    assert document.number == submittal["number"]
    assert document.status_meaning == StatusMeaning.IN_REVIEW
    assert str(document.review_due_on) == submittal["due_date"]


@pytest.mark.parametrize(
    ("response", "event"),
    [
        ("Approved as Noted", DocumentEventKind.SUBMITTAL_APPROVED),
        ("R&R", DocumentEventKind.SUBMITTAL_REVISE_RESUBMIT),
        ("Rejected", DocumentEventKind.SUBMITTAL_REJECTED),
    ],
)
def test_procore_response_derives_the_submittal_event(hub, platform_world, response, event):
    project = platform_world.projects[0]
    with platform_world.lock:
        _, _, submittal_id, _ = platform_world._submittal_create(project)
        created = platform_world.procore_delivery(
            project=project,
            resource_name="Submittals",
            event_type="create",
            resource_id=submittal_id,
        )
    _process(_post(hub, created))
    submittal = platform_world.submittals[submittal_id]
    with platform_world.lock:
        approver = submittal["approvers"][-1]
        approver["response"] = {"id": 9, "name": response, "considered": "x"}
        approver["returned_date"] = "2025-03-10"
        submittal["updated_at"] = "2099-01-01T00:00:00Z"  # newer than the creation
        updated = platform_world.procore_delivery(
            project=project,
            resource_name="Submittals",
            event_type="update",
            resource_id=submittal_id,
        )
    tx = _process(_post(hub, updated))
    assert tx.status == "delivered", tx.last_error_message
    document = Document.objects.get(external_id=str(submittal_id))
    assert list(document.events.values_list("kind", flat=True)) == [event]
    assert document.status_changes.count() == 2


def test_delivery_for_an_unknown_project_is_held_as_invalid_project_reference(hub, platform_world):
    delivery = _procore(platform_world, category="unknown_project")
    tx = _process(_post(hub, delivery))
    assert tx.status == "held"
    item = ExceptionItem.objects.get(links__transaction_id=tx.pk)
    assert item.category == "invalid_project_reference"
    assert not Document.objects.exists()


def test_acc_version_is_verified_natively_fetched_and_registered(hub, platform_world):
    delivery = platform_world._acc("good")
    tx = _process(_post(hub, delivery))
    assert tx.status == "delivered", tx.last_error_message
    version = platform_world.acc_versions[json.loads(delivery.body)["payload"]["source"]]
    document = Document.objects.get(external_id=version["lineage_urn"])
    assert document.current_revision == version["revision"]
    assert document.status_code == version["status"]
    assert document.kind == "document"


def test_acc_delivery_with_a_wrong_signature_is_refused(hub, platform_world):
    delivery = platform_world._acc("good")
    headers = adsk_headers(secret="not-the-secret", delivery_id="d-1", body=delivery.body)
    response = hub.post(
        "/api/v1/inbound/acc/events",
        data=delivery.body,
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 401
    assert not Transaction.objects.exists()


def test_the_same_delivery_twice_is_one_transaction(hub, platform_world):
    delivery = _procore(platform_world)
    first = _post(hub, delivery)
    second = _post(hub, delivery)
    assert first.status_code == 202
    assert second.status_code == 200 and second.json()["duplicate"] is True
    assert second.json()["transaction_id"] == first.json()["transaction_id"]
    assert Transaction.objects.count() == 1


def test_v3_delivery_with_repeated_keys_is_accepted_on_its_ulid(hub, platform_world):
    from datetime import UTC, datetime

    from apps.simulators.platforms.payloads import procore_delivery
    from apps.simulators.platforms.world import Delivery

    project = platform_world.projects[1]  # its hook sends payload v3.0
    assert platform_world.procore_hook_versions[project.procore_id] == "v3.0"
    body = procore_delivery(
        version="v3.0",
        delivery_id=77,
        delivery_ulid="01JQ7Y5D8M2K4N6P8R0T2V4X6Z",
        timestamp=datetime.now(UTC),
        user_id=1,
        company_id=2,
        project_id=project.procore_id,
        event_type="create",
        resource_name="Change Event Line Items",
        resource_id=501,
        related=[{"id": 500, "name": "Change Events"}],
        repeated_keys_quirk=True,
    )
    assert body.count(b'"resource_name"') == 2
    delivery = Delivery(
        seq=1,
        family="documents",
        platform="procore",
        system_code="procore",
        event="v3",
        body=body,
        scheme="standard",
        message_id="msg_v3_quirk",
    )
    tx = Transaction.objects.get(pk=_post(hub, delivery).json()["transaction_id"])
    assert tx.idempotency_key == "01JQ7Y5D8M2K4N6P8R0T2V4X6Z"
    assert tx.external_id == "501"
    assert tx.payload["shadowed_resources"] == [{"name": "Change Events", "id": "500"}]
    assert tx.payload["related_resources"] == [{"id": "500", "name": "Change Events"}]


def test_platform_outage_during_the_follow_up_get_retries_the_transaction(
    hub, platform_world, platform_server
):
    delivery = _procore(platform_world)
    response = _post(hub, delivery)
    httpx.post(f"{platform_server.url}/sim/faults", json={"error_rate": 1.0})
    tx = _process(response)
    assert tx.status == "retrying"
    assert "503" in tx.last_error_message
    httpx.post(f"{platform_server.url}/sim/faults", json={})
    tx.status = "retrying"
    transaction_process(transaction=tx)
    tx.refresh_from_db()
    assert tx.status == "delivered"


def test_status_code_withdrawn_in_the_projects_annex_opens_a_document_hold(hub, platform_world):
    delivery = platform_world._acc("good")
    urn = json.loads(delivery.body)["payload"]["source"]
    platform_world.acc_versions[urn]["status"] = "S6"  # withdrawn in NA 2021 (the default set)
    tx = _process(_post(hub, delivery))
    assert tx.status == "delivered"
    item = ExceptionItem.objects.get(category="document_hold")
    assert "S6" in item.title
    assert Document.objects.get().status_known is False


def test_answer_through_the_pipeline_resolves_the_overdue_review_hold(hub, platform_world):
    from datetime import date, timedelta

    from apps.documents.services import document_reviews_overdue_flag

    project = platform_world.projects[0]
    with platform_world.lock:
        _, _, submittal_id, _ = platform_world._submittal_create(project)
        created = platform_world.procore_delivery(
            project=project,
            resource_name="Submittals",
            event_type="create",
            resource_id=submittal_id,
        )
    _process(_post(hub, created))
    document_reviews_overdue_flag(today=date.today() + timedelta(days=60))
    item = ExceptionItem.objects.get(category="document_hold")
    submittal = platform_world.submittals[submittal_id]
    with platform_world.lock:
        submittal["approvers"][-1]["response"] = {"id": 1, "name": "Approved", "considered": "x"}
        submittal["status"] = {"id": 2, "name": "Closed", "status": "closed"}
        submittal["updated_at"] = "2099-01-01T00:00:00Z"
        updated = platform_world.procore_delivery(
            project=project,
            resource_name="Submittals",
            event_type="update",
            resource_id=submittal_id,
        )
    tx = _process(_post(hub, updated))
    item.refresh_from_db()
    assert item.status == "resolved"
    assert item.links.filter(transaction_id=tx.pk).exists()
