from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.exceptions.choices import (
    ACTIVE_STATUSES,
    SEVERITY_COLOURS,
    STATUS_COLOURS,
    ExceptionCategory,
    ExceptionStatus,
    LinkRole,
    ResolutionAction,
    Severity,
)


class ExceptionItem(models.Model):
    """A problem a person must own: what went wrong, why, how much is at risk, who, by when."""

    category = models.CharField(max_length=40, choices=ExceptionCategory, db_index=True)
    severity = models.CharField(max_length=10, choices=Severity, default=Severity.MEDIUM)
    status = models.CharField(
        max_length=20, choices=ExceptionStatus, default=ExceptionStatus.OPEN, db_index=True
    )
    title = models.CharField(max_length=200)
    # Plain words for a reviewer: what happened and what would fix it.
    reason = models.TextField()
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exception_items",
    )
    system = models.ForeignKey(
        "connectors.System",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exception_items",
    )
    amount_at_risk = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_exception_items",
    )
    # A role name (apps.accounts.roles): the group whose queue the item lands in.
    owner_group = models.CharField(max_length=50, blank=True, db_index=True)
    sla_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    tags = models.JSONField(default=list, blank=True)
    # Groups repeats of the same problem, e.g. "cost_code:p6:CC-0330" or "delivery:odoo:vendor:7".
    trace_key = models.CharField(max_length=300, db_index=True)
    occurrences = models.PositiveIntegerField(default=1)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    # Machine-readable facts for the fix (e.g. {"mapping_kind": "cost_code", "value": "CC-0330"}).
    details = models.JSONField(default=dict, blank=True)
    resolution_action = models.CharField(max_length=30, choices=ResolutionAction, blank=True)
    resolution_note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resolved_exception_items",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    # When the "SLA about to breach" warning and the breach escalation went out (sent once).
    sla_warned_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # One active item per problem: repeats attach to it instead of flooding the queue.
            # Also what makes two workers opening the same item at once safe.
            models.UniqueConstraint(
                fields=["trace_key"],
                condition=Q(status__in=[s.value for s in ACTIVE_STATUSES]),
                name="uniq_active_exception_per_trace_key",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "category"], name="exc_status_category"),
            models.Index(fields=["project", "status"], name="exc_project_status"),
            # The queue's counters (per category, per view, per ageing bucket) read only the
            # active items: a covering partial index lets PostgreSQL count them from the index
            # alone (index-only scan) instead of visiting every active row of the table.
            models.Index(
                fields=["project", "category", "first_seen_at", "assignee", "sla_due_at"],
                include=["id"],
                condition=Q(status__in=[s.value for s in ACTIVE_STATUSES]),
                name="exc_active_counts",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_category_display()}: {self.title}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def severity_colour(self) -> str:
        return SEVERITY_COLOURS.get(self.severity, "grey")

    @property
    def status_colour(self) -> str:
        return STATUS_COLOURS.get(self.status, "grey")

    def is_overdue(self, now=None) -> bool:
        from django.utils import timezone

        if not self.is_active or self.sla_due_at is None:
            return False
        return self.sla_due_at < (now or timezone.now())


class ExceptionLink(models.Model):
    """A transaction tied to an item (the cause, each repeat, the one that resolved it)."""

    item = models.ForeignKey(ExceptionItem, on_delete=models.CASCADE, related_name="links")
    # No database constraint: the ledger tables may become monthly partitions (DESIGN §4b).
    transaction = models.ForeignKey(
        "ledger.Transaction",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="exception_links",
    )
    role = models.CharField(max_length=20, choices=LinkRole, default=LinkRole.CAUSE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "transaction"], name="uniq_exception_link")
        ]

    def __str__(self) -> str:
        return f"item {self.item_id} ↔ tx {self.transaction_id} ({self.role})"


class ExceptionComment(models.Model):
    """A note on an item: by a person, or by the system when it changes state (its history)."""

    item = models.ForeignKey(ExceptionItem, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    body = models.TextField()
    is_system = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        who = self.author.get_username() if self.author else "system"
        return f"{who} on #{self.item_id}: {self.body[:40]}"


class ExceptionCategoryConfig(models.Model):
    """Per category: whose queue it lands in, how severe it is by default, and its SLA."""

    category = models.CharField(max_length=40, choices=ExceptionCategory, unique=True)
    owner_group = models.CharField(max_length=50)
    severity = models.CharField(max_length=10, choices=Severity)
    sla_hours = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["category"]

    def __str__(self) -> str:
        return f"{self.category}: {self.owner_group}, {self.severity}, {self.sla_hours}h"


class SavedFilter(models.Model):
    """A reviewer's named queue filter (the query string of the queue page)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exception_filters"
    )
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="uniq_exception_filter_name")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.name}"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    DIGEST = "digest", "Held for the hourly digest"
    DIGESTED = "digested", "Sent in a digest"
    FAILED = "failed", "Failed (will retry)"


class ExceptionNotification(models.Model):
    """An outbox row: one alert about an item (assigned, new, SLA soon, SLA breached).

    Rows are written in the same database transaction as the change they announce and sent by a
    worker, so a mail or webhook outage delays an alert but never loses it. Alerts sharing a
    throttle key within the throttle window are held for the hourly digest instead."""

    kind = models.CharField(max_length=20)
    item = models.ForeignKey(
        ExceptionItem, null=True, on_delete=models.CASCADE, related_name="notifications"
    )
    throttle_key = models.CharField(max_length=200, db_index=True)
    recipients = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=NotificationStatus, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "created_at"], name="exc_notif_status")]

    def __str__(self) -> str:
        return f"{self.kind} {self.throttle_key} ({self.status})"


class OverrideRequest(models.Model):
    """A reviewer asks to let a held financial transaction past a control; a second person
    decides (segregation of duties: the requester can never approve their own request)."""

    item = models.ForeignKey(
        ExceptionItem, on_delete=models.CASCADE, related_name="override_requests"
    )
    transaction_id = models.BigIntegerField()
    stage = models.CharField(max_length=20)
    reason = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, default="pending")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"override {self.stage} tx {self.transaction_id} ({self.status})"
