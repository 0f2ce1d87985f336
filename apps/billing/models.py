"""Owner progress billing: the owner contract with its schedule of values, and pay applications
(one per period) that bill the work completed, approved owner change orders and retention."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from apps.billing.choices import ContractStatus, PayApplicationStatus, ProgressSource

MONEY = {"max_digits": 18, "decimal_places": 2}
PERCENT = {"max_digits": 7, "decimal_places": 4}
QUANTITY = {"max_digits": 18, "decimal_places": 4}
ZERO = Decimal("0.00")


class OwnerContract(models.Model):
    """The contract with the project's owner (client): what the hub bills against."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="owner_contracts"
    )
    number = models.CharField(max_length=40, unique=True)
    title = models.CharField(max_length=255)
    customer_name = models.CharField(max_length=200)
    # The customer's reference in Odoo (res.partner.ref); created there on the first invoice.
    customer_ref = models.CharField(max_length=64)
    currency = models.CharField(max_length=3)
    retention_pct = models.DecimalField(**PERCENT, default=Decimal("0"))
    status = models.CharField(max_length=20, choices=ContractStatus, default=ContractStatus.ACTIVE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "number"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def original_sum(self) -> Decimal:
        return sum((line.scheduled_value for line in self.sov_lines.all()), ZERO)


class SovLine(models.Model):
    """One line of the schedule of values: a cost code's share of the contract sum."""

    contract = models.ForeignKey(OwnerContract, on_delete=models.CASCADE, related_name="sov_lines")
    line_no = models.PositiveIntegerField()
    cost_code = models.ForeignKey("projects.CostCode", on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=255)
    scheduled_value = models.DecimalField(**MONEY)
    # Progress from the schedule: the task code of the activity whose percent complete applies.
    activity_code = models.CharField(max_length=120, blank=True)
    # Progress from quantities: the contract quantity and its unit.
    quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    unit = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["contract", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "line_no"], name="uniq_sov_line_no")
        ]

    def __str__(self) -> str:
        return f"{self.line_no}. {self.cost_code.code} {self.description}"


class PayApplication(models.Model):
    """A progress billing for one period: work completed this period and to date, approved owner
    change orders, retention receivable and the amount due; an Odoo customer invoice once
    approved."""

    contract = models.ForeignKey(
        OwnerContract, on_delete=models.PROTECT, related_name="pay_applications"
    )
    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="pay_applications"
    )
    number = models.CharField(max_length=60, unique=True)
    sequence = models.PositiveIntegerField()
    period_start = models.DateField()
    period_end = models.DateField()
    progress_source = models.CharField(max_length=20, choices=ProgressSource)
    status = models.CharField(
        max_length=20, choices=PayApplicationStatus, default=PayApplicationStatus.DRAFT
    )
    currency = models.CharField(max_length=3)
    retention_pct = models.DecimalField(**PERCENT)
    contract_sum_to_date = models.DecimalField(**MONEY, default=ZERO)
    change_orders_to_date = models.DecimalField(**MONEY, default=ZERO)
    completed_previous = models.DecimalField(**MONEY, default=ZERO)
    completed_this_period = models.DecimalField(**MONEY, default=ZERO)
    completed_to_date = models.DecimalField(**MONEY, default=ZERO)
    retention_to_date = models.DecimalField(**MONEY, default=ZERO)
    retention_previous = models.DecimalField(**MONEY, default=ZERO)
    retention_this_period = models.DecimalField(**MONEY, default=ZERO)
    amount_due = models.DecimalField(**MONEY, default=ZERO)
    # From Odoo (account.move): its id, name, state and what has been paid.
    external_ref = models.CharField(max_length=100, blank=True)
    odoo_name = models.CharField(max_length=100, blank=True)
    odoo_state = models.CharField(max_length=20, blank=True)
    payment_state = models.CharField(max_length=20, blank=True)
    paid_amount = models.DecimalField(**MONEY, default=ZERO)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["contract", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "sequence"], name="uniq_pay_app_sequence")
        ]
        indexes = [models.Index(fields=["updated_at", "id"], name="pay_app_updated")]

    def __str__(self) -> str:
        return self.number

    @property
    def status_colour(self) -> str:
        return PayApplicationStatus(self.status).colour


class PayApplicationLine(models.Model):
    """One billed line: a schedule-of-values line or an approved owner change order."""

    pay_application = models.ForeignKey(
        PayApplication, on_delete=models.CASCADE, related_name="lines"
    )
    line_no = models.PositiveIntegerField()
    sov_line = models.ForeignKey(
        SovLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    change_order = models.ForeignKey(
        "procurement.ChangeOrder",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pay_application_lines",
    )
    cost_code = models.CharField(max_length=20, blank=True)
    description = models.CharField(max_length=255)
    scheduled_value = models.DecimalField(**MONEY)
    percent_to_date = models.DecimalField(**PERCENT)
    quantity_to_date = models.DecimalField(**QUANTITY, null=True, blank=True)
    previous_value = models.DecimalField(**MONEY, default=ZERO)
    this_period_value = models.DecimalField(**MONEY, default=ZERO)
    to_date_value = models.DecimalField(**MONEY, default=ZERO)

    class Meta:
        ordering = ["pay_application", "line_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["pay_application", "line_no"], name="uniq_pay_app_line_no"
            )
        ]

    def __str__(self) -> str:
        return f"{self.pay_application.number}/{self.line_no}"
