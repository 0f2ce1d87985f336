"""Monitoring: pre-aggregated ledger rollups (the dashboards never scan the raw ledger) and
admin-configured alert rules with their alerts and history."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from apps.monitoring.choices import (
    AlertEventKind,
    AlertMetric,
    AlertStatus,
    Condition,
    Granularity,
    Severity,
)

# Upper bounds (ms) of the latency histogram buckets; the last bucket is "+Inf".
LATENCY_BUCKETS_MS = [100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 900000]


class LedgerRollup(models.Model):
    """Counts per (bucket, granularity, system, domain, direction), maintained incrementally
    from ledger rows past a watermark (services.rollups_update)."""

    bucket_start = models.DateTimeField()
    granularity = models.CharField(max_length=6, choices=Granularity)
    system = models.ForeignKey("connectors.System", on_delete=models.CASCADE, related_name="+")
    domain = models.CharField(max_length=50)
    direction = models.CharField(max_length=10)
    received = models.PositiveBigIntegerField(default=0)
    delivered = models.PositiveBigIntegerField(default=0)
    failed = models.PositiveBigIntegerField(default=0)
    dead = models.PositiveBigIntegerField(default=0)
    duplicates = models.PositiveBigIntegerField(default=0)
    retries = models.PositiveBigIntegerField(default=0)
    ignored = models.PositiveBigIntegerField(default=0)
    latency_count = models.PositiveBigIntegerField(default=0)
    latency_sum_ms = models.PositiveBigIntegerField(default=0)
    # Non-cumulative counts per LATENCY_BUCKETS_MS bound plus one overflow bucket.
    latency_buckets = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["granularity", "bucket_start", "system", "domain", "direction"],
                name="monitoring_rollup_key",
            )
        ]
        indexes = [
            models.Index(fields=["granularity", "bucket_start"], name="monitoring_rollup_time")
        ]

    def __str__(self) -> str:
        return f"{self.granularity} {self.bucket_start:%Y-%m-%d %H:%M} {self.domain}"


class RollupWatermark(models.Model):
    """The last ledger id aggregated, per source ("transactions", "events")."""

    name = models.CharField(max_length=40, unique=True)
    last_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_id}"


class AlertRule(models.Model):
    name = models.CharField(max_length=200)
    metric = models.CharField(max_length=30, choices=AlertMetric)
    system = models.ForeignKey(
        "connectors.System", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    domain = models.CharField(max_length=50, blank=True)
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # An entity's rule: the metric over the entity's projects, or over its Odoo System where the
    # metric is per System (failure rate, dead letters, quota).
    entity = models.ForeignKey(
        "entities.Entity", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    condition = models.CharField(max_length=3, choices=Condition, default=Condition.GT)
    threshold = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal("0"))
    window_minutes = models.PositiveIntegerField(default=10)
    severity = models.CharField(max_length=10, choices=Severity, default=Severity.WARNING)
    email_recipients = models.JSONField(default=list, blank=True)
    webhook = models.BooleanField(default=False)
    # A still-firing alert notifies again at most once per this many minutes.
    repeat_minutes = models.PositiveIntegerField(default=60)
    # Quiet hours (UTC): notifications are held for the digest instead of sent.
    quiet_start_hour = models.PositiveSmallIntegerField(null=True, blank=True)
    quiet_end_hour = models.PositiveSmallIntegerField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Alert(models.Model):
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    status = models.CharField(max_length=10, choices=AlertStatus, default=AlertStatus.OPEN)
    value = models.DecimalField(max_digits=18, decimal_places=2)
    peak_value = models.DecimalField(max_digits=18, decimal_places=2)
    opened_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    last_notified_at = models.DateTimeField(null=True, blank=True)
    notifications = models.PositiveIntegerField(default=0)
    throttled = models.PositiveIntegerField(default=0)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # De-duplication: one open alert per rule, whatever the workers do.
            models.UniqueConstraint(
                fields=["rule"],
                condition=models.Q(status="open"),
                name="monitoring_alert_one_open_per_rule",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.status} since {self.opened_at:%Y-%m-%d %H:%M}"


class AlertEvent(models.Model):
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=AlertEventKind)
    value = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"
