from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.health import CHECKS
from apps.exceptions.models import ExceptionItem
from apps.ledger.dispatch import dispatch_once
from apps.ledger.models import Transaction, TransactionEvent
from apps.sync.breaker import breaker_get, readiness_check_breakers
from apps.sync.models import Binding, CircuitBreaker, DeliverySettings, QuotaUsage

pytestmark = pytest.mark.django_db


def _deliver():
    return dispatch_once(limit=100)


def _due_now(*transactions):
    Transaction.objects.filter(pk__in=[t.pk for t in transactions]).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def _reload(tx):
    return Transaction.objects.get(pk=tx.pk)


def test_delivery_sets_binding_and_records_the_round_trip(test_connector, make_outbound):
    tx = make_outbound(test_connector.target, "V1", {"ref": "V1", "name": "Acme"})
    _deliver()
    tx = _reload(tx)
    assert tx.status == "delivered"
    binding = Binding.objects.get(system=test_connector.target, domain="vendor", canonical_id="V1")
    assert binding.external_id == tx.external_id
    attempt = TransactionEvent.objects.get(transaction_id=tx.pk, kind="attempt")
    assert attempt.detail["outcome"] == "ok"
    assert attempt.detail["calls"][0]["method"] == "push"
    assert attempt.duration_ms is not None
    assert test_connector.records["target"]["vendor:V1"]["payload"]["name"] == "Acme"
    assert QuotaUsage.objects.get(system=test_connector.target).calls == 1


def test_many_records_travel_in_one_call(test_connector, make_outbound):
    rows = [make_outbound(test_connector.target, f"V{i}", {"ref": f"V{i}"}) for i in range(7)]
    _deliver()
    assert {_reload(t).status for t in rows} == {"delivered"}
    assert [c["method"] for c in test_connector.call_log] == ["push_many"]
    assert test_connector.call_log[0]["records"] == 7


def test_batches_follow_the_systems_batch_size(test_connector, make_outbound):
    DeliverySettings.objects.create(system=test_connector.target, batch_size=3)
    for i in range(7):
        make_outbound(test_connector.target, f"V{i}", {"ref": f"V{i}"})
    _deliver()
    assert [c["records"] for c in test_connector.call_log] == [3, 3, 1]


def test_transient_errors_then_success(test_connector, make_outbound):
    test_connector.script["target"] = ["transient", "transient"]
    tx = make_outbound(test_connector.target, "V1", {"ref": "V1"})
    _deliver()
    tx = _reload(tx)
    assert tx.status == "retrying" and tx.attempts == 1
    assert tx.next_attempt_at > timezone.now()
    assert _deliver() == 0  # not due yet: nothing claimed
    _due_now(tx)
    _deliver()
    assert _reload(tx).status == "retrying"
    _due_now(tx)
    _deliver()
    tx = _reload(tx)
    assert tx.status == "delivered" and tx.attempts == 3
    statuses = list(
        TransactionEvent.objects.filter(transaction_id=tx.pk, kind="transition")
        .order_by("id")
        .values_list("to_status", flat=True)
    )
    assert statuses == ["retrying", "retrying", "delivered"]
    assert len(test_connector.records["target"]) == 1


def test_backoff_grows_and_retry_after_is_honoured(test_connector, make_outbound):
    DeliverySettings.objects.create(system=test_connector.target, backoff_base_seconds=10)
    test_connector.script["target"] = ["transient", "transient", ("retry_after", 120)]
    tx = make_outbound(test_connector.target, "V1", {"ref": "V1"})
    delays = []
    for _ in range(3):
        before = timezone.now()
        _deliver()
        tx = _reload(tx)
        delays.append((tx.next_attempt_at - before).total_seconds())
        _due_now(tx)
    assert 5 <= delays[0] <= 10.5  # base · 2^0 with 50–100% jitter
    assert 10 <= delays[1] <= 20.5  # base · 2^1
    assert 119 <= delays[2] <= 121  # the target's Retry-After


def test_exhausted_attempts_dead_letter_with_exception_then_replay_resolves(
    test_connector, make_outbound, ada
):
    DeliverySettings.objects.create(system=test_connector.target, max_attempts=2)
    test_connector.script["target"] = ["transient", "transient"]
    tx = make_outbound(test_connector.target, "V1", {"ref": "V1"}, max_attempts=2)
    _deliver()
    _due_now(tx)
    _deliver()
    tx = _reload(tx)
    assert tx.status == "dead"
    item = ExceptionItem.objects.get()
    assert item.category == "delivery_failed"
    assert item.trace_key == "delivery:target:vendor:V1"
    assert "dead-lettered" in item.reason

    from apps.sync.replay import transaction_replay_one

    child = transaction_replay_one(transaction=tx, actor=ada, reason="target is back")
    _deliver()
    assert _reload(child).status == "delivered"
    item.refresh_from_db()
    assert item.status == "resolved" and item.resolution_action == "auto_resolved"


def test_permanent_error_fails_at_once(test_connector, make_outbound):
    test_connector.script["target"] = ["permanent"]
    tx = make_outbound(test_connector.target, "V1", {"ref": "V1"})
    _deliver()
    tx = _reload(tx)
    assert tx.status == "failed" and tx.attempts == 1
    item = ExceptionItem.objects.get()
    assert item.category == "permanent_target_error"
    assert "odoo.exceptions.ValidationError" in item.reason
    # A permanent refusal says nothing about the system's health.
    assert breaker_get(system=test_connector.target).consecutive_failures == 0


def test_breaker_opens_defers_without_spending_attempts_and_recovers(test_connector, make_outbound):
    DeliverySettings.objects.create(
        system=test_connector.target, breaker_failure_threshold=2, breaker_cooldown_seconds=60
    )
    test_connector.script["target"] = ["transient", "transient"]
    first = make_outbound(test_connector.target, "V1", {"ref": "V1"})
    second = make_outbound(test_connector.target, "V2", {"ref": "V2"}, domain="project")
    _deliver()  # two chunks (two domains), two failures: the breaker opens
    breaker = breaker_get(system=test_connector.target)
    assert breaker.state == "open" and breaker.times_opened == 1
    third = make_outbound(test_connector.target, "V3", {"ref": "V3"})
    _deliver()
    third = _reload(third)
    assert third.status == "pending" and third.attempts == 0  # deferred, not attempted
    assert third.next_attempt_at >= breaker.retry_at - timedelta(seconds=1)
    calls_while_open = len(test_connector.call_log)

    ok, detail = readiness_check_breakers()
    assert ok is True and "target open" in detail
    assert "breakers" in CHECKS

    # Cooldown over: one probe goes, succeeds, the breaker closes, the rest flow.
    CircuitBreaker.objects.filter(pk=breaker.pk).update(
        retry_at=timezone.now() - timedelta(seconds=1)
    )
    _due_now(first, second, third)
    _deliver()
    assert len(test_connector.call_log) == calls_while_open + 1  # exactly one probe
    assert breaker_get(system=test_connector.target).state == "closed"
    _due_now(first, second, third)
    _deliver()
    assert {_reload(t).status for t in (first, second, third)} == {"delivered"}


def test_failed_probe_reopens_with_longer_cooldown(test_connector, make_outbound):
    DeliverySettings.objects.create(
        system=test_connector.target, breaker_failure_threshold=1, breaker_cooldown_seconds=60
    )
    test_connector.script["target"] = ["transient", "transient"]
    tx = make_outbound(test_connector.target, "V1", {"ref": "V1"})
    _deliver()
    breaker = breaker_get(system=test_connector.target)
    assert breaker.state == "open"
    CircuitBreaker.objects.filter(pk=breaker.pk).update(
        retry_at=timezone.now() - timedelta(seconds=1)
    )
    _due_now(tx)
    before = timezone.now()
    _deliver()
    breaker = breaker_get(system=test_connector.target)
    assert breaker.state == "open"
    assert (breaker.retry_at - before).total_seconds() >= 110  # 60 s doubled


def test_rate_limit_defers_when_the_bucket_is_empty(test_connector, make_outbound):
    target = test_connector.target
    target.rate_limit_per_minute = 6  # one call every 10 s
    target.save()
    DeliverySettings.objects.create(system=target, rate_limit_burst=1, batch_size=1)
    rows = [make_outbound(target, f"V{i}", {"ref": f"V{i}"}) for i in range(3)]
    _deliver()
    statuses = [_reload(t).status for t in rows]
    assert statuses == ["delivered", "pending", "pending"]
    waiting = _reload(rows[1])
    assert waiting.attempts == 0
    assert 8 <= (waiting.next_attempt_at - timezone.now()).total_seconds() <= 10.5
    assert QuotaUsage.objects.get(system=target).throttled == 1


def test_younger_update_waits_for_the_older_one(test_connector, make_outbound):
    test_connector.script["target"] = ["transient"]
    older = make_outbound(test_connector.target, "V1", {"ref": "V1", "name": "old"})
    younger = make_outbound(test_connector.target, "V1", {"ref": "V1", "name": "new"})
    _deliver()
    assert _reload(older).status == "retrying"
    younger = _reload(younger)
    assert younger.status == "pending" and younger.attempts == 0
    _due_now(older, younger)
    _deliver()
    assert _reload(older).status == "delivered"
    _due_now(younger)
    _deliver()
    assert _reload(younger).status == "delivered"
    assert test_connector.records["target"]["vendor:V1"]["payload"]["name"] == "new"


def test_disabled_target_is_not_called(test_connector, make_outbound):
    test_connector.target.enabled = False
    test_connector.target.save()
    tx = make_outbound(test_connector.target, "V1", {"ref": "V1"})
    _deliver()
    assert _reload(tx).status == "pending"
    assert test_connector.call_log == []
