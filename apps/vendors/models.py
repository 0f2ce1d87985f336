"""Verification of vendor bank-detail and tax-id changes, and suspected duplicate vendors."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.core.fields import EncryptedJSONField
from apps.vendors.choices import ChangeSource, ChangeStatus, DuplicateStatus

USER = settings.AUTH_USER_MODEL


class BankDetailChange(models.Model):
    """A change to a vendor's bank details or tax id, held until a second person verifies it.
    Old and new values are encrypted; screens show them masked."""

    vendor = models.ForeignKey(
        "procurement.Vendor", on_delete=models.CASCADE, related_name="bank_changes"
    )
    source = models.CharField(max_length=20, choices=ChangeSource)
    system = models.ForeignKey(
        "connectors.System", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The ledger transaction that carried the change (no FK: the ledger may be partitioned).
    transaction_id = models.BigIntegerField(null=True, blank=True)
    old_values = EncryptedJSONField()
    new_values = EncryptedJSONField()
    # Who entered the change: a hub user, and/or the user named by the source system.
    entered_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_by_label = models.CharField(max_length=150, blank=True)
    status = models.CharField(
        max_length=20, choices=ChangeStatus, default=ChangeStatus.PENDING, db_index=True
    )
    checklist = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Bank detail change #{self.pk} for {self.vendor.code} ({self.status})"

    @property
    def status_colour(self) -> str:
        return ChangeStatus(self.status).colour

    @property
    def trace_key(self) -> str:
        return f"vendor_bank_change:{self.vendor_id}"


class DuplicateVendorCandidate(models.Model):
    """Two vendor records that look like the same party (same tax id, IBAN or a similar name)."""

    vendor = models.ForeignKey("procurement.Vendor", on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey("procurement.Vendor", on_delete=models.CASCADE, related_name="+")
    reasons = models.JSONField(default=list)
    score = models.DecimalField(max_digits=4, decimal_places=2, default=0)
    status = models.CharField(max_length=20, choices=DuplicateStatus, default=DuplicateStatus.OPEN)
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-score", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "other"], name="uniq_duplicate_pair"),
            models.CheckConstraint(
                condition=models.Q(vendor__lt=models.F("other")), name="duplicate_pair_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vendor_id} ~ {self.other_id} ({', '.join(self.reasons)})"


class VendorLink(models.Model):
    """Vendors recognised as the same party (kept apart, e.g. one per entity or Odoo database)
    or merged into the survivor; bindings follow the survivor on a merge."""

    survivor = models.ForeignKey(
        "procurement.Vendor", on_delete=models.CASCADE, related_name="links_as_survivor"
    )
    linked_code = models.CharField(max_length=40)
    linked_vendor = models.ForeignKey(
        "procurement.Vendor",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="links_as_linked",
    )
    merged = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        verb = "merged into" if self.merged else "linked to"
        return f"{self.linked_code} {verb} {self.survivor.code}"
