"""Subcontractor compliance: documents with expiry, policies per entity, the holds they cause."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.compliance.choices import DocumentKind, DocumentSource, HoldKind, HoldStatus

USER = settings.AUTH_USER_MODEL


class ComplianceDocument(models.Model):
    """An insurance certificate, licence, safety record or lien waiver of a vendor, for one
    project or (project empty) for all of them, valid until `expires_on` (empty: no expiry)."""

    vendor = models.ForeignKey(
        "procurement.Vendor", on_delete=models.CASCADE, related_name="compliance_documents"
    )
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=DocumentKind)
    reference = models.CharField(max_length=120, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=30, choices=DocumentSource, default=DocumentSource.UPLOAD)
    # The document register entry or the connector's id when it came through the document
    # connector; the uploaded file's name otherwise.
    document_ref = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["vendor", "kind", "-expires_on"]
        indexes = [models.Index(fields=["vendor", "kind"], name="compliance_doc_vendor_kind")]

    def __str__(self) -> str:
        until = f" until {self.expires_on}" if self.expires_on else ""
        return f"{self.get_kind_display()} of {self.vendor.code}{until}"

    def is_valid_on(self, day) -> bool:
        if self.valid_from and self.valid_from > day:
            return False
        return self.expires_on is None or self.expires_on >= day


class CompliancePolicy(models.Model):
    """Which document a subcontractor must hold, and what its absence does. Entity empty = the
    group default; an entity's policy for a kind replaces the group's for its projects."""

    entity = models.ForeignKey(
        "entities.Entity",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="compliance_policies",
    )
    kind = models.CharField(max_length=20, choices=DocumentKind)
    required = models.BooleanField(default=True)
    block_commitment = models.BooleanField(default=True)
    hold_claim_payment = models.BooleanField(default=True)
    warn_days = models.PositiveIntegerField(default=30)

    class Meta:
        ordering = ["entity", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "kind"],
                name="uniq_compliance_policy",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        scope = self.entity.code if self.entity_id else "group"
        return f"{scope}: {self.get_kind_display()}"


class ComplianceHold(models.Model):
    """A commitment blocked or a claim payment held for missing/expired documents; released
    automatically when valid documents arrive."""

    vendor = models.ForeignKey("procurement.Vendor", on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=HoldKind)
    invoice = models.ForeignKey(
        "procurement.Invoice", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    missing = models.JSONField(default=list)
    status = models.CharField(
        max_length=20, choices=HoldStatus, default=HoldStatus.ACTIVE, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by_document = models.ForeignKey(
        ComplianceDocument, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.vendor.code} ({self.status})"

    @property
    def trace_key(self) -> str:
        return f"compliance:{self.vendor_id}:{self.project_id or 0}"

    @property
    def status_colour(self) -> str:
        return HoldStatus(self.status).colour


class ComplianceWarning(models.Model):
    """One expiry warning sent for a document (so the daily sweep warns once per document)."""

    document = models.OneToOneField(
        ComplianceDocument, on_delete=models.CASCADE, related_name="warning"
    )
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"warning for {self.document} at {self.sent_at:%Y-%m-%d}"
