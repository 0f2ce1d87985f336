from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.exceptions.models import ExceptionNotification
from apps.monitoring.models import Alert, AlertRule
from apps.monitoring.services import alert_rule_evaluate, rollups_update


@pytest.fixture
def failure_rule(db):
    return AlertRule.objects.create(
        name="Failure rate > 5% over 10 min",
        metric="failure_rate",
        condition="gt",
        threshold=Decimal("5"),
        window_minutes=10,
        severity="critical",
        email_recipients=["ops@example.com"],
        repeat_minutes=5,
    )


def _kinds(alert):
    return [e.kind for e in alert.events.all()]


@pytest.mark.django_db
def test_alert_fires_once_throttles_repeats_and_resolves(
    failure_rule, system_factory, ledger_traffic
):
    sched = system_factory("sched")
    ledger_traffic(sched, "activity", ["delivered", "failed"])
    now = timezone.now() + timedelta(seconds=30)
    rollups_update(now=now)

    opened = alert_rule_evaluate(rule=failure_rule, now=now)
    again = alert_rule_evaluate(rule=failure_rule, now=now + timedelta(minutes=1))

    assert opened.pk == again.pk
    assert Alert.objects.filter(rule=failure_rule).count() == 1
    again.refresh_from_db()
    assert (again.status, again.value, again.notifications, again.throttled) == (
        "open",
        Decimal("50.00"),
        1,
        1,
    )
    assert ExceptionNotification.objects.filter(kind="alert_opened").count() == 1

    # After the repeat interval it notifies again (once).
    later = alert_rule_evaluate(rule=failure_rule, now=now + timedelta(minutes=6))
    assert later.notifications == 2

    # The failures age out of the 10-minute window: the condition clears, the alert resolves.
    resolved = alert_rule_evaluate(rule=failure_rule, now=now + timedelta(minutes=45))
    assert resolved.status == "resolved"
    assert resolved.resolved_at is not None
    assert _kinds(resolved) == ["opened", "notified", "throttled", "notified", "resolved"]
    assert ExceptionNotification.objects.filter(kind="alert_resolved").count() == 1

    # Quiet after resolution: no new alert while the condition stays clear.
    assert alert_rule_evaluate(rule=failure_rule, now=now + timedelta(minutes=46)) is None
    assert Alert.objects.filter(rule=failure_rule).count() == 1


@pytest.mark.django_db
def test_alert_does_not_fire_below_threshold(failure_rule, system_factory, ledger_traffic):
    sched = system_factory("sched")
    ledger_traffic(sched, "activity", ["delivered"] * 3)
    now = timezone.now() + timedelta(seconds=30)
    rollups_update(now=now)
    assert alert_rule_evaluate(rule=failure_rule, now=now) is None
    assert not Alert.objects.exists()


@pytest.mark.django_db
def test_quiet_hours_hold_the_notification_for_the_digest(system_factory, ledger_traffic):
    rule = AlertRule.objects.create(
        name="Dead letters",
        metric="dead_letters",
        threshold=Decimal("0"),
        window_minutes=10,
        email_recipients=["ops@example.com"],
        quiet_start_hour=0,
        quiet_end_hour=0,  # same hour: no quiet hours
    )
    sched = system_factory("sched")
    ledger_traffic(sched, "activity", ["dead"])
    now = timezone.now() + timedelta(seconds=30)
    rollups_update(now=now)
    rule.quiet_start_hour = now.hour
    rule.quiet_end_hour = (now.hour + 1) % 24
    rule.save()

    alert = alert_rule_evaluate(rule=rule, now=now)

    assert alert.value == Decimal("1")
    assert _kinds(alert) == ["opened", "quiet"]
    assert ExceptionNotification.objects.get(kind="alert_opened").status == "digest"


@pytest.mark.django_db
def test_queue_age_rule_scoped_to_a_system(system_factory, ledger_traffic):
    sched = system_factory("sched")
    other = system_factory("docs", kind="documents")
    ledger_traffic(sched, "activity", ["open"], received_at=timezone.now() - timedelta(minutes=20))
    ledger_traffic(other, "document", ["open"])
    rule = AlertRule.objects.create(
        name="Queue age", metric="queue_age", threshold=Decimal("15"), system=other
    )
    assert alert_rule_evaluate(rule=rule) is None
    rule.system = sched
    rule.save()
    alert = alert_rule_evaluate(rule=rule)
    assert alert.value >= Decimal("20")
