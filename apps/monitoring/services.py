"""Monitoring writes: incremental ledger rollups and alert evaluation."""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import transaction as db_transaction
from django.utils import timezone

from apps.ledger.choices import EventKind, TransactionStatus
from apps.ledger.models import Transaction, TransactionEvent
from apps.monitoring.choices import AlertEventKind, AlertStatus, Condition, Granularity
from apps.monitoring.models import (
    LATENCY_BUCKETS_MS,
    Alert,
    AlertEvent,
    AlertRule,
    LedgerRollup,
    RollupWatermark,
)

# Rows younger than this are left for the next run: a concurrent writer may still commit a
# lower id, and waiting a few seconds keeps the watermark from jumping over it.
ROLLUP_SAFETY_LAG = timedelta(seconds=5)
ROLLUP_BATCH = 20_000
ROLLUP_MAX_BATCHES = 50

_OUTCOME_FIELD = {
    TransactionStatus.DELIVERED: "delivered",
    TransactionStatus.FAILED: "failed",
    TransactionStatus.DEAD: "dead",
    TransactionStatus.DUPLICATE: "duplicates",
    TransactionStatus.RETRYING: "retries",
    TransactionStatus.IGNORED: "ignored",
}
_COUNTERS = [
    "received",
    "delivered",
    "failed",
    "dead",
    "duplicates",
    "retries",
    "ignored",
    "latency_count",
    "latency_sum_ms",
]


def bucket_floor(at: datetime, granularity: str) -> datetime:
    at = at.astimezone(UTC)
    if granularity == Granularity.MINUTE:
        return at.replace(second=0, microsecond=0)
    if granularity == Granularity.HOUR:
        return at.replace(minute=0, second=0, microsecond=0)
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def _empty() -> dict:
    row = dict.fromkeys(_COUNTERS, 0)
    row["latency_buckets"] = [0] * (len(LATENCY_BUCKETS_MS) + 1)
    return row


def _add(acc: dict, *, at, system_id, domain, direction, field, latency_ms=None) -> None:
    for granularity in Granularity.values:
        row = acc[(granularity, bucket_floor(at, granularity), system_id, domain, direction)]
        row[field] += 1
        if latency_ms is not None:
            row["latency_count"] += 1
            row["latency_sum_ms"] += latency_ms
            row["latency_buckets"][bisect.bisect_left(LATENCY_BUCKETS_MS, latency_ms)] += 1


def _flush(acc: dict) -> None:
    for (granularity, bucket, system_id, domain, direction), counts in acc.items():
        row, _ = LedgerRollup.objects.select_for_update().get_or_create(
            granularity=granularity,
            bucket_start=bucket,
            system_id=system_id,
            domain=domain,
            direction=direction,
            defaults={"latency_buckets": [0] * (len(LATENCY_BUCKETS_MS) + 1)},
        )
        for name in _COUNTERS:
            setattr(row, name, getattr(row, name) + counts[name])
        buckets = list(row.latency_buckets or []) or [0] * (len(LATENCY_BUCKETS_MS) + 1)
        added = counts["latency_buckets"]
        row.latency_buckets = [a + b for a, b in zip(buckets, added, strict=True)]
        row.save()


def _until(rows, ready) -> list:
    """The leading run of rows that are ready (stops at the first that is not)."""
    result = []
    for row in rows:
        if not ready(row):
            break
        result.append(row)
    return result


def _watermark(name: str) -> RollupWatermark:
    RollupWatermark.objects.get_or_create(name=name)
    return RollupWatermark.objects.select_for_update().get(name=name)


def rollups_update(*, now: datetime | None = None) -> dict:
    """Aggregate ledger rows past the watermarks into minute/hour/day rollups; returns counts."""
    now = now or timezone.now()
    horizon = now - ROLLUP_SAFETY_LAG
    done = {"transactions": 0, "events": 0}
    for _ in range(ROLLUP_MAX_BATCHES):
        with db_transaction.atomic():
            acc: dict = defaultdict(_empty)
            tx_mark = _watermark("transactions")
            # Cut at the first row still inside the safety lag rather than filtering it out: the
            # watermark must never pass a row that was not counted.
            rows = _until(
                Transaction.objects.filter(id__gt=tx_mark.last_id)
                .order_by("id")
                .values_list("id", "received_at", "system_id", "domain", "direction")[
                    :ROLLUP_BATCH
                ],
                lambda row: row[1] < horizon,
            )
            for _tx_id, received_at, system_id, domain, direction in rows:
                _add(
                    acc,
                    at=received_at,
                    system_id=system_id,
                    domain=domain,
                    direction=direction,
                    field="received",
                )
            if rows:
                tx_mark.last_id = rows[-1][0]
                tx_mark.save(update_fields=["last_id", "updated_at"])
            ev_mark = _watermark("events")
            # Events wait until their transaction is counted and they are past the lag.
            last_tx = tx_mark.last_id
            events = _until(
                TransactionEvent.objects.filter(id__gt=ev_mark.last_id)
                .order_by("id")
                .values_list(
                    "id",
                    "kind",
                    "to_status",
                    "at",
                    "transaction__system_id",
                    "transaction__domain",
                    "transaction__direction",
                    "transaction__received_at",
                    "transaction_id",
                )[:ROLLUP_BATCH],
                lambda ev, last_tx=last_tx: ev[3] < horizon and ev[8] <= last_tx,
            )
            for event in events:
                _, kind, to_status, at, system_id, domain, direction, received_at, _ = event
                field = _OUTCOME_FIELD.get(to_status)
                if kind != EventKind.TRANSITION or field is None or system_id is None:
                    continue
                latency = None
                if to_status == TransactionStatus.DELIVERED and received_at is not None:
                    latency = max(0, int((at - received_at).total_seconds() * 1000))
                _add(
                    acc,
                    at=at,
                    system_id=system_id,
                    domain=domain,
                    direction=direction,
                    field=field,
                    latency_ms=latency,
                )
            if events:
                ev_mark.last_id = events[-1][0]
                ev_mark.save(update_fields=["last_id", "updated_at"])
            _flush(acc)
            done["transactions"] += len(rows)
            done["events"] += len(events)
        if len(rows) < ROLLUP_BATCH and len(events) < ROLLUP_BATCH:
            break
    return done


# --- alerting ---------------------------------------------------------------------------------


def _breached(rule: AlertRule, value: Decimal) -> bool:
    if rule.condition == Condition.GTE:
        return value >= rule.threshold
    return value > rule.threshold


def _in_quiet_hours(rule: AlertRule, now: datetime) -> bool:
    start, end = rule.quiet_start_hour, rule.quiet_end_hour
    if start is None or end is None or start == end:
        return False
    hour = now.hour
    return start <= hour < end if start < end else (hour >= start or hour < end)


def _notify(*, alert: Alert, rule: AlertRule, state: str, value: Decimal, now: datetime) -> str:
    """Queue the message in the exceptions outbox (email + the hub's webhook channel)."""
    from apps.exceptions.notifications import notification_queue

    quiet = _in_quiet_hours(rule, now)
    recipients = list(rule.email_recipients or [])
    subject = f"[{rule.severity.upper()}] {state}: {rule.name} = {value}"
    body = (
        f"Alert rule '{rule.name}' ({rule.get_metric_display()} {rule.get_condition_display()} "
        f"{rule.threshold} over {rule.window_minutes} min) is {state}; value {value}."
    )
    notification = notification_queue(
        kind=f"alert_{state}"[:20],
        item=None,
        throttle_key=f"monitoring-alert:{rule.pk}:{state}",
        recipients=recipients,
        subject=subject,
        body=body,
        now=now,
    )
    if quiet and notification.status != "digest":
        type(notification).objects.filter(pk=notification.pk).update(status="digest")
    return AlertEventKind.QUIET if quiet else AlertEventKind.NOTIFIED


def alert_rule_evaluate(*, rule: AlertRule, now: datetime | None = None) -> Alert | None:
    """Evaluate one rule: open an alert on breach, throttle repeats, resolve when it clears."""
    from apps.monitoring.selectors import alert_metric_value

    now = now or timezone.now()
    value = alert_metric_value(rule=rule, now=now)
    with db_transaction.atomic():
        alert = Alert.objects.select_for_update().filter(rule=rule, status=AlertStatus.OPEN).first()
        if _breached(rule, value):
            if alert is None:
                alert = Alert.objects.create(
                    rule=rule,
                    value=value,
                    peak_value=value,
                    opened_at=now,
                    last_seen_at=now,
                    last_notified_at=now,
                    notifications=1,
                )
                AlertEvent.objects.create(
                    alert=alert, kind=AlertEventKind.OPENED, value=value, at=now
                )
                kind = _notify(alert=alert, rule=rule, state="opened", value=value, now=now)
                AlertEvent.objects.create(alert=alert, kind=kind, value=value, at=now)
                return alert
            alert.value = value
            alert.peak_value = max(alert.peak_value, value)
            alert.last_seen_at = now
            due = alert.last_notified_at is None or now - alert.last_notified_at >= timedelta(
                minutes=rule.repeat_minutes
            )
            if due:
                kind = _notify(alert=alert, rule=rule, state="still firing", value=value, now=now)
                alert.last_notified_at = now
                alert.notifications += 1
            else:
                kind = AlertEventKind.THROTTLED
                alert.throttled += 1
            alert.save()
            AlertEvent.objects.create(alert=alert, kind=kind, value=value, at=now)
            return alert
        if alert is not None:
            alert.status = AlertStatus.RESOLVED
            alert.value = value
            alert.resolved_at = now
            alert.last_seen_at = now
            alert.save()
            AlertEvent.objects.create(
                alert=alert, kind=AlertEventKind.RESOLVED, value=value, at=now
            )
            _notify(alert=alert, rule=rule, state="resolved", value=value, now=now)
        return alert


def alerts_evaluate(*, now: datetime | None = None) -> dict:
    """Evaluate every enabled rule (the per-minute schedule)."""
    now = now or timezone.now()
    open_count = 0
    rules = AlertRule.objects.filter(enabled=True).select_related("system", "project", "entity")
    for rule in rules.order_by("id")[:1000]:
        alert = alert_rule_evaluate(rule=rule, now=now)
        if alert is not None and alert.status == AlertStatus.OPEN:
            open_count += 1
    return {"open": open_count}


def alert_rule_create(*, actor, **fields) -> AlertRule:
    """Create an alert rule (audited)."""
    from apps.audit.services import audit_record

    rule = AlertRule.objects.create(**fields)
    audit_record(
        actor=actor, action="monitoring.alert_rule.create", target=rule, detail={"name": rule.name}
    )
    return rule
