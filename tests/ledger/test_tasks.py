import json
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.ledger import processors, tasks
from apps.ledger.models import Transaction
from tests.ledger.factories import inbound_tx
from tests.ledger.test_dispatch import SEEN


@pytest.fixture
def fake_processors(monkeypatch):
    SEEN.clear()
    monkeypatch.setitem(processors.PROCESSORS, "inbound", "tests.ledger.test_dispatch.fake_inbound")
    monkeypatch.setitem(
        processors.PROCESSORS, "outbound", "tests.ledger.test_dispatch.fake_outbound"
    )
    return SEEN


def test_accepted_event_is_enqueued_after_commit_when_enabled(
    client, inbound_system, signed_post, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.LEDGER_ENQUEUE_ON_COMMIT = True
    sent = []
    monkeypatch.setattr(
        "django_q.tasks.async_task", lambda func, *args, **kwargs: sent.append((func, args))
    )
    body = {"type": "milestone.slipped", "id": "q-1", "data": {}}
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_post(client, "sched", body)
    tx_id = response.json()["transaction_id"]
    assert sent == [("apps.ledger.tasks.process_transactions", ([tx_id],))]
    with django_capture_on_commit_callbacks(execute=True):
        assert signed_post(client, "sched", body).status_code == 200
    assert len(sent) == 1  # a duplicate enqueues nothing


def test_enqueue_is_off_by_default_without_redis(
    client, inbound_system, signed_post, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.LEDGER_ENQUEUE_ON_COMMIT = False
    sent = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *a, **k: sent.append(a))
    with django_capture_on_commit_callbacks(execute=True):
        signed_post(client, "sched", {"type": "a.b", "id": "q-2", "data": {}})
    assert sent == []


def test_broken_broker_does_not_fail_the_accepted_event(
    client, inbound_system, signed_post, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.LEDGER_ENQUEUE_ON_COMMIT = True

    def broken(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr("django_q.tasks.async_task", broken)
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_post(
            client, "sched", {"type": "a.b", "id": "q-3", "data": json.loads("{}")}
        )
    assert response.status_code == 202
    assert Transaction.objects.filter(status="received").count() == 1


def test_process_transactions_task_processes_only_the_given_rows(inbound_system, fake_processors):
    first = inbound_tx(inbound_system)
    second = inbound_tx(inbound_system)
    assert tasks.process_transactions([first.id]) == 1
    assert Transaction.objects.get(id=first.id).status == "delivered"
    assert Transaction.objects.get(id=second.id).status == "received"
    assert tasks.process_transactions([first.id]) == 0  # already done: nothing to claim


def test_dispatch_due_task_drains_the_backlog(inbound_system, fake_processors):
    for _ in range(5):
        inbound_tx(inbound_system)
    assert tasks.dispatch_due(limit=2) == 5
    assert set(Transaction.objects.values_list("status", flat=True)) == {"delivered"}


def test_sweep_task_releases_leases_and_enqueues_a_dispatch(inbound_system, monkeypatch):
    tx = inbound_tx(inbound_system)
    Transaction.objects.filter(id=tx.id).update(
        claimed_by="dead#1", lease_until=timezone.now() - timedelta(seconds=1)
    )
    sent = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda func, *a, **k: sent.append(func))
    result = tasks.sweep()
    assert result["released"] == 1 and result["due"] == 1
    assert sent == ["apps.ledger.tasks.dispatch_due"]


def test_schedules_are_declared():
    from apps.ledger.schedules import SCHEDULES

    names = {spec.name: spec.func for spec in SCHEDULES}
    assert names["ledger-dispatch"] == "apps.ledger.tasks.dispatch_due"
    assert names["ledger-sweep"] == "apps.ledger.tasks.sweep"
