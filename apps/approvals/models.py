from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from apps.approvals.choices import DocumentType, RequestStatus, StepStatus

MONEY = {"max_digits": 18, "decimal_places": 2}


class AuthorityRule(models.Model):
    """One row of the authority matrix: who (a role or a user) may approve which document type,
    on which project, up to which amount, for which cost codes, at which approval level."""

    role = models.CharField(max_length=50, blank=True, help_text="A role (group) name, or empty")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="authority_rules",
    )
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="authority_rules",
        help_text="Empty: every project the approver is a member of",
    )
    document_type = models.CharField(max_length=30, choices=DocumentType)
    level = models.PositiveSmallIntegerField(default=1)
    amount_limit = models.DecimalField(**MONEY, null=True, blank=True, help_text="Empty: no limit")
    currency = models.CharField(max_length=3, default="EUR")
    # Cost-code scope: the codes (or code prefixes, e.g. "03" for concrete) this authority covers;
    # empty list = all cost codes.
    cost_code_prefixes = models.JSONField(default=list, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document_type", "level", "amount_limit"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=True) & ~Q(role=""))
                | (Q(user__isnull=False) & Q(role="")),
                name="authority_role_xor_user",
            ),
        ]
        indexes = [models.Index(fields=["document_type", "active"], name="authority_doc_active")]

    def __str__(self) -> str:
        who = self.user.get_username() if self.user_id else f"role:{self.role}"
        limit = f"≤ {self.amount_limit} {self.currency}" if self.amount_limit is not None else "∞"
        return f"{who} · {self.document_type} · L{self.level} · {limit}"


class ApprovalLevelThreshold(models.Model):
    """Multi-step approval: above `above_amount` a request also needs a step at `level`."""

    document_type = models.CharField(max_length=30, choices=DocumentType)
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    level = models.PositiveSmallIntegerField()
    above_amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default="EUR")

    class Meta:
        ordering = ["document_type", "level"]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=2), name="threshold_level_at_least_2"),
        ]

    def __str__(self) -> str:
        return f"{self.document_type}: level {self.level} above {self.above_amount} {self.currency}"


class ApprovalRequest(models.Model):
    """A request to approve one document (requisition, PO, change order, variance, override,
    posting), with its steps; the document is referenced generically."""

    document_type = models.CharField(max_length=30, choices=DocumentType)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="approval_requests",
    )
    title = models.CharField(max_length=255)
    summary = models.TextField(blank=True)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    cost_codes = models.JSONField(default=list, blank=True)
    # Empty when the hub itself asks (e.g. the posting gate after an automatic match).
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="approval_requests",
    )
    # Who created the document (may differ from who asks for approval): also barred from approving.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(max_length=20, choices=RequestStatus, default=RequestStatus.PENDING)
    required_levels = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    # Extra context for the decision (budget check figures, match variances...).
    context = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # One open request per document and purpose: a double click cannot open two.
            models.UniqueConstraint(
                fields=["content_type", "object_id", "document_type"],
                condition=Q(status="pending"),
                name="uniq_pending_approval_per_document",
            ),
        ]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="approval_target"),
            models.Index(fields=["status", "document_type"], name="approval_status_doc"),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.get_document_type_display()}: {self.title}"


class ApprovalStep(models.Model):
    """One level of an approval request; steps are decided in level order."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="steps")
    level = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=StepStatus, default=StepStatus.WAITING)
    due_at = models.DateTimeField(null=True, blank=True)
    # 0 = with its own level; n = escalated n levels up (the next level / group lead is asked).
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="approval_decisions",
    )
    # When the decider acted as a delegate: whose authority they used.
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    delegation = models.ForeignKey(
        "approvals.Delegation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["request", "level"]
        constraints = [
            models.UniqueConstraint(fields=["request", "level"], name="uniq_step_level"),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="approval_step_due")]

    def __str__(self) -> str:
        return f"request #{self.request_id} level {self.level} ({self.status})"


class Delegation(models.Model):
    """A user lends their approval authority to another for a period (holidays, site absence)."""

    delegator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations_given"
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations_received"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Empty list = every document type the delegator may approve.
    document_types = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="delegation_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(delegator=models.F("delegate")), name="delegation_not_to_self"
            ),
        ]

    def __str__(self) -> str:
        period = f"{self.starts_at:%Y-%m-%d}–{self.ends_at:%Y-%m-%d}"
        return f"{self.delegator} → {self.delegate} ({period})"

    def is_active_at(self, moment) -> bool:
        return self.revoked_at is None and self.starts_at <= moment < self.ends_at
