"""Monitoring vocabulary: rollup granularities, alert metrics, conditions, severities."""

from __future__ import annotations

from django.db import models


class Granularity(models.TextChoices):
    MINUTE = "minute", "Minute"
    HOUR = "hour", "Hour"
    DAY = "day", "Day"


class AlertMetric(models.TextChoices):
    FAILURE_RATE = "failure_rate", "Failure rate % (failed + dead of finished)"
    DEAD_LETTERS = "dead_letters", "Dead-letters in window"
    QUEUE_AGE = "queue_age", "Oldest pending age (minutes)"
    QUEUE_DEPTH = "queue_depth", "Queue depth (open transactions)"
    QUOTA_USE = "quota_use", "API quota use % (last minute)"
    OPEN_EXCEPTIONS = "open_exceptions", "Open exception items"
    UNMATCHED_INVOICES = "unmatched_invoices", "Unmatched invoices (open items)"
    AMOUNT_AT_RISK = "amount_at_risk", "Amount at risk on open exception items"
    APPROVALS_OVERDUE = "approvals_overdue", "Approvals overdue (open items past SLA)"


class Condition(models.TextChoices):
    GT = "gt", ">"
    GTE = "gte", "≥"


class Severity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class AlertEventKind(models.TextChoices):
    OPENED = "opened", "Opened"
    NOTIFIED = "notified", "Notified"
    THROTTLED = "throttled", "Repeat throttled"
    QUIET = "quiet", "Held (quiet hours)"
    RESOLVED = "resolved", "Resolved"
