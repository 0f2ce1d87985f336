from __future__ import annotations

from decimal import Decimal

from django.db import models

# Re-exported: other apps import ProjectStatus from here.
from apps.projects.choices import BudgetPolicy, PhaseStatus, ProjectStatus

__all__ = ["BudgetLine", "CostCode", "Phase", "Project", "ProjectStatus"]

MONEY = {"max_digits": 18, "decimal_places": 2}
ZERO = Decimal("0.00")


class Project(models.Model):
    """A construction project: the unit of access scoping and of every financial figure."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=ProjectStatus, default=ProjectStatus.ACTIVE)
    currency = models.CharField(max_length=3, default="EUR")
    # The legal company of the group that owns the project (empty: a single-company install).
    entity = models.ForeignKey(
        "entities.Entity",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
    )
    # Budget control policy (DESIGN §5): what the budget check answers when a request does not fit.
    budget_policy = models.CharField(
        max_length=20, choices=BudgetPolicy, default=BudgetPolicy.HARD_BLOCK
    )
    # Warn when a budget line would be consumed (committed + pending) at or above this share of
    # its revised budget, even though the request still fits.
    budget_warn_at_pct = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("90"))
    # Under the warn policy: an overrun up to this share of the revised budget warns; beyond it the
    # check blocks. Empty = never block (pure warn).
    budget_overrun_block_pct = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, default=Decimal("10")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Phase(models.Model):
    """A phase of a project (enabling works, substructure, ...): the middle level of the budget."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="phases")
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=200)
    sequence = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20, choices=PhaseStatus, default=PhaseStatus.ACTIVE)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["project", "sequence", "code"]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="uniq_phase_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CostCode(models.Model):
    """One node of the cost-code structure (MasterFormat-style: division → ... → item)."""

    code = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=255)
    level = models.PositiveSmallIntegerField(default=1)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def division(self) -> str:
        return self.code[:2]


class BudgetLine(models.Model):
    """The budget of one cost code in one phase of a project, with its running figures.

    The aggregate columns are maintained by the procurement services in the same database
    transaction as the facts that move them (commitments, receipts, claims, invoices, change
    orders), so a budget check is one indexed read; `budget_line_recompute` rebuilds them from
    the facts and proves they agree.
    """

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="budget_lines")
    phase = models.ForeignKey(Phase, on_delete=models.PROTECT, related_name="budget_lines")
    cost_code = models.ForeignKey(CostCode, on_delete=models.PROTECT, related_name="budget_lines")
    description = models.CharField(max_length=255, blank=True)
    currency = models.CharField(max_length=3)
    # From estimating (budget import); changes only through a new import.
    original_amount = models.DecimalField(**MONEY, default=ZERO)
    # Approved owner change orders.
    approved_changes = models.DecimalField(**MONEY, default=ZERO)
    # Approved commitment lines (POs, subcontracts) including approved commitment change orders.
    committed = models.DecimalField(**MONEY, default=ZERO)
    # Requisitions, commitments and commitment change orders submitted but not yet approved.
    pending_commitments = models.DecimalField(**MONEY, default=ZERO)
    # Cost incurred: goods received and subcontract progress certified, at commitment prices.
    actual = models.DecimalField(**MONEY, default=ZERO)
    # Vendor invoices recorded against the line (net of credit notes), before retention.
    invoiced = models.DecimalField(**MONEY, default=ZERO)
    # The project manager's estimate of uncommitted cost still to come; empty = none entered.
    estimate_to_complete = models.DecimalField(**MONEY, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "phase__sequence", "cost_code__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "phase", "cost_code"], name="uniq_budget_line"
            ),
        ]
        indexes = [models.Index(fields=["project", "cost_code"], name="budget_line_project_code")]

    def __str__(self) -> str:
        return f"{self.project.code}/{self.phase.code}/{self.cost_code.code}"

    @property
    def revised(self) -> Decimal:
        return self.original_amount + self.approved_changes

    @property
    def available(self) -> Decimal:
        """DESIGN §5: budget + approved changes − committed − pending commitments."""
        return self.revised - self.committed - self.pending_commitments

    @property
    def forecast_at_completion(self) -> Decimal:
        """Committed + pending + the uncommitted estimate to complete when one is entered;
        otherwise the larger of the revised budget and what is already committed or pending
        (an overrun shows as soon as it is committed, an underrun only once confirmed)."""
        exposure = self.committed + self.pending_commitments
        if self.estimate_to_complete is not None:
            return exposure + self.estimate_to_complete
        return max(self.revised, exposure)

    @property
    def variance_at_completion(self) -> Decimal:
        return self.revised - self.forecast_at_completion
