"""Field operations: what site apps report (consumption, equipment, hours, quantities,
milestones, deliveries), kept with the device's time and the hub's arrival time."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from apps.field.choices import FieldEventKind, Ownership, RateKind
from apps.projects.models import BudgetLine, Project

MONEY = {"max_digits": 18, "decimal_places": 2}
QUANTITY = {"max_digits": 18, "decimal_places": 4}
ZERO = Decimal("0")


class FieldEvent(models.Model):
    """One applied field event (one per idempotency key: resends are absorbed)."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="field_events")
    budget_line = models.ForeignKey(
        BudgetLine,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="field_events",
    )
    kind = models.CharField(max_length=20, choices=FieldEventKind.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    device_id = models.CharField(max_length=100, blank=True)
    event_id = models.CharField(max_length=100, blank=True)
    # The device's clock (UTC) decides the order of application; arrival is when the hub got it.
    device_time = models.DateTimeField()
    device_time_naive = models.BooleanField(default=False)
    arrived_at = models.DateTimeField()
    applied_at = models.DateTimeField(auto_now_add=True)
    # Arrived after an event of the same cost code with a later device time was applied.
    late = models.BooleanField(default=False)
    cost_code = models.CharField(max_length=50, blank=True)
    quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    hours = models.DecimalField(**QUANTITY, null=True, blank=True)
    percent_complete = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    planned_quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    ownership = models.CharField(max_length=10, choices=Ownership.choices, blank=True)
    equipment_id = models.CharField(max_length=100, blank=True)
    # Timesheets carry the trade / crew only: no names, no pay data (issue 14).
    trade = models.CharField(max_length=100, blank=True)
    crew = models.CharField(max_length=100, blank=True)
    rate = models.DecimalField(**QUANTITY, null=True, blank=True)
    rate_source = models.CharField(max_length=40, blank=True)
    cost = models.DecimalField(**MONEY, default=ZERO)
    currency = models.CharField(max_length=3, blank=True)
    receipt_number = models.CharField(max_length=30, blank=True)
    progress_claim_number = models.CharField(max_length=30, blank=True)
    ledger_transaction_id = models.BigIntegerField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["device_time", "idempotency_key"]
        indexes = [
            models.Index(fields=["project", "device_time"], name="field_event_project_time"),
            models.Index(fields=["budget_line", "device_time"], name="field_event_line_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key}"


class FieldRate(models.Model):
    """An hourly rate for labour (per trade/crew) or equipment (per id/class); project-specific
    rates win over the company-wide ones (project empty). Key "*" is the fallback."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, null=True, blank=True, related_name="field_rates"
    )
    kind = models.CharField(max_length=20, choices=RateKind.choices)
    key = models.CharField(max_length=100)
    rate = models.DecimalField(**QUANTITY)
    currency = models.CharField(max_length=3)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "kind", "key"], name="uniq_field_rate"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key} {self.rate} {self.currency}/h"


class CostCodeProgress(models.Model):
    """Physical progress of a budget line, folded from its field events in device-time order
    (so late and out-of-order delivery give the same figures as in-order delivery)."""

    budget_line = models.OneToOneField(
        BudgetLine, on_delete=models.CASCADE, related_name="field_progress"
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="field_progress")
    planned_quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    quantity_to_date = models.DecimalField(**QUANTITY, default=ZERO)
    unit = models.CharField(max_length=20, blank=True)
    percent_complete = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    as_of = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.budget_line} {self.percent_complete}%"
