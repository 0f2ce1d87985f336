from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.fields import EncryptedTextField, fingerprint_value, mask_account
from apps.procurement.choices import (
    BillingBasis,
    ChangeOrderKind,
    ChangeOrderStatus,
    ClaimStatus,
    CommitmentKind,
    CommitmentStatus,
    ImportRowOutcome,
    ImportStatus,
    InvoiceKind,
    InvoiceStatus,
    MatchStatus,
    PaymentSource,
    PaymentStatus,
    RequisitionStatus,
    VendorStatus,
)

MONEY = {"max_digits": 18, "decimal_places": 2}
QUANTITY = {"max_digits": 18, "decimal_places": 4}
UNIT_PRICE = {"max_digits": 18, "decimal_places": 4}
PERCENT = {"max_digits": 5, "decimal_places": 2}
ZERO = Decimal("0")
USER = settings.AUTH_USER_MODEL


class DocumentSequence(models.Model):
    """The last number handed out per document prefix (REQ, PO, SC, CO, RCV, PC, PAY, ...)."""

    prefix = models.CharField(max_length=10, unique=True)
    last_value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}:{self.last_value}"


class Vendor(models.Model):
    """A supplier or subcontractor, with what makes it eligible to receive a commitment."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    # Tax id and bank details are encrypted at rest (issue #13) and shown masked; a change is
    # applied only after a second person verifies it (apps.vendors). The fingerprints are keyed
    # hashes for duplicate detection without the plaintext.
    vat = EncryptedTextField(blank=True)
    vat_fingerprint = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    email = models.EmailField(blank=True)
    # The account payments go to (bank reconciliation matches counterparties on it).
    iban = EncryptedTextField(blank=True)
    iban_fingerprint = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    bank_account = EncryptedTextField(blank=True, help_text="Account number when not an IBAN")
    bank_name = EncryptedTextField(blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    status = models.CharField(max_length=20, choices=VendorStatus, default=VendorStatus.PENDING)
    blocked_reason = models.CharField(max_length=255, blank=True)
    insurance_expiry = models.DateField(null=True, blank=True)
    compliance_expiry = models.DateField(
        null=True, blank=True, help_text="Tax clearance / prequalification valid until"
    )
    external_ref = models.CharField(max_length=100, blank=True, help_text="Odoo res.partner id")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args, **kwargs):
        self.vat_fingerprint = fingerprint_value(self.vat)
        self.iban_fingerprint = fingerprint_value(self.iban or self.bank_account)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "vat_fingerprint", "iban_fingerprint"}
        super().save(*args, **kwargs)

    @property
    def iban_masked(self) -> str:
        return mask_account(self.iban or self.bank_account)

    @property
    def vat_masked(self) -> str:
        return mask_account(self.vat, visible=3)

    def eligibility_problems(self, on: date) -> list[dict]:
        """Why this vendor may not receive a commitment on a given day (empty = eligible)."""
        problems = []
        if self.status == VendorStatus.BLOCKED:
            problems.append(
                {
                    "code": "vendor_blocked",
                    "message": f"blocked: {self.blocked_reason or 'no reason given'}",
                }
            )
        elif self.status != VendorStatus.APPROVED:
            problems.append({"code": "vendor_not_approved", "message": "not approved yet"})
        if self.insurance_expiry is None:
            problems.append({"code": "insurance_missing", "message": "no insurance certificate"})
        elif self.insurance_expiry < on:
            problems.append(
                {
                    "code": "insurance_expired",
                    "message": f"insurance expired on {self.insurance_expiry}",
                }
            )
        if self.compliance_expiry is not None and self.compliance_expiry < on:
            problems.append(
                {
                    "code": "compliance_expired",
                    "message": f"compliance documents expired on {self.compliance_expiry}",
                }
            )
        return problems


class MatchTolerance(models.Model):
    """Quantity and price tolerances for the 3-way match, per vendor, per project or both.

    Each tolerance has a percentage and an absolute amount (in the currency); when both are set
    the stricter one applies. Empty = not used; both empty = an exact match is required.
    """

    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    vendor = models.ForeignKey(
        Vendor, null=True, blank=True, on_delete=models.CASCADE, related_name="tolerances"
    )
    quantity_pct = models.DecimalField(**PERCENT, null=True, blank=True)
    quantity_amount = models.DecimalField(**MONEY, null=True, blank=True)
    price_pct = models.DecimalField(**PERCENT, null=True, blank=True)
    price_amount = models.DecimalField(**MONEY, null=True, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "vendor"]

    def __str__(self) -> str:
        scope = " / ".join(
            s for s in [getattr(self.project, "code", ""), getattr(self.vendor, "code", "")] if s
        )
        return f"tolerance {scope or 'default'}"


class Requisition(models.Model):
    """A request to buy, checked against the budget and approved before it becomes a PO."""

    number = models.CharField(max_length=30, unique=True)
    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="requisitions"
    )
    title = models.CharField(max_length=255)
    vendor = models.ForeignKey(
        Vendor, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(
        max_length=20, choices=CommitmentKind, default=CommitmentKind.PURCHASE_ORDER
    )
    needed_by = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    total_amount = models.DecimalField(**MONEY, default=ZERO)
    status = models.CharField(
        max_length=20, choices=RequisitionStatus, default=RequisitionStatus.DRAFT
    )
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="requisitions")
    budget_check = models.JSONField(default=dict, blank=True)
    override_reason = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["project", "status"], name="requisition_project_status")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class RequisitionLine(models.Model):
    """One item of a requisition, on one budget line."""

    requisition = models.ForeignKey(Requisition, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField()
    budget_line = models.ForeignKey(
        "projects.BudgetLine", on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(max_length=255)
    # The catalogue item (Odoo product.product default_code) when there is one.
    product_code = models.CharField(max_length=64, blank=True)
    quantity = models.DecimalField(**QUANTITY)
    unit = models.CharField(max_length=20, default="ea")
    unit_price = models.DecimalField(**UNIT_PRICE)
    amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["requisition", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["requisition", "line_no"], name="uniq_requisition_line")
        ]

    def __str__(self) -> str:
        return f"{self.requisition.number}/{self.line_no}"


class Commitment(models.Model):
    """A purchase order or subcontract: the money promised to a vendor, line by cost code."""

    number = models.CharField(max_length=30, unique=True)
    kind = models.CharField(max_length=20, choices=CommitmentKind)
    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="commitments"
    )
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="commitments")
    requisition = models.ForeignKey(
        Requisition, null=True, blank=True, on_delete=models.PROTECT, related_name="commitments"
    )
    title = models.CharField(max_length=255)
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=20, choices=CommitmentStatus, default=CommitmentStatus.DRAFT
    )
    total_amount = models.DecimalField(**MONEY, default=ZERO)
    # Contract terms for retention: withheld on each bill, capped, released in two halves.
    retention_pct = models.DecimalField(**PERCENT, default=ZERO)
    retention_cap_pct = models.DecimalField(
        **PERCENT, null=True, blank=True, help_text="Cap on retention held, % of commitment value"
    )
    retention_release_at_completion_pct = models.DecimalField(
        **PERCENT,
        default=Decimal("50"),
        help_text="Share of held retention released at practical completion; the rest at the "
        "end of the defects liability period",
    )
    practical_completion_date = models.DateField(null=True, blank=True)
    # Delivery timing drives the cash-flow forecast and schedule-driven procurement: the date
    # planned when issued, the date expected now (shifted by milestone slips), and the schedule
    # activity (task_code) the delivery is tied to.
    planned_delivery_date = models.DateField(null=True, blank=True)
    expected_delivery_date = models.DateField(null=True, blank=True)
    milestone_code = models.CharField(
        max_length=40, blank=True, db_index=True, help_text="Schedule activity id (task_code)"
    )
    review_flag = models.CharField(
        max_length=255, blank=True, help_text="Why this commitment needs review (e.g. a slip)"
    )
    defects_liability_end = models.DateField(null=True, blank=True)
    retention_held = models.DecimalField(**MONEY, default=ZERO)
    retention_released = models.DecimalField(**MONEY, default=ZERO)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    external_ref = models.CharField(
        max_length=100, blank=True, help_text="Odoo purchase.order name"
    )
    budget_check = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["project", "status"], name="commitment_project_status"),
            models.Index(fields=["vendor", "status"], name="commitment_vendor_status"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def retention_balance(self) -> Decimal:
        return self.retention_held - self.retention_released


class CommitmentLine(models.Model):
    """One line of a commitment on one budget line, with what was received and billed so far."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField()
    budget_line = models.ForeignKey(
        "projects.BudgetLine", on_delete=models.PROTECT, related_name="commitment_lines"
    )
    description = models.CharField(max_length=255)
    product_code = models.CharField(max_length=64, blank=True)
    quantity = models.DecimalField(**QUANTITY)
    unit = models.CharField(max_length=20, default="ea")
    unit_price = models.DecimalField(**UNIT_PRICE)
    amount = models.DecimalField(**MONEY)
    billing_basis = models.CharField(
        max_length=20, choices=BillingBasis, default=BillingBasis.RECEIVED
    )
    # Goods received, or subcontract progress certified, to date (in the line's unit).
    received_quantity = models.DecimalField(**QUANTITY, default=ZERO)
    # Billed to date net of credit notes (in the line's unit and in money before retention).
    invoiced_quantity = models.DecimalField(**QUANTITY, default=ZERO)
    invoiced_amount = models.DecimalField(**MONEY, default=ZERO)
    external_ref = models.CharField(max_length=100, blank=True, help_text="purchase.order.line id")

    class Meta:
        ordering = ["commitment", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["commitment", "line_no"], name="uniq_commitment_line")
        ]
        indexes = [models.Index(fields=["budget_line"], name="commitment_line_budget")]

    def __str__(self) -> str:
        return f"{self.commitment.number}/{self.line_no}"

    @property
    def received_value(self) -> Decimal:
        return self.received_quantity * self.unit_price


class Receipt(models.Model):
    """Goods received on site against a purchase order (Odoo stock.picking)."""

    number = models.CharField(max_length=30, unique=True)
    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="receipts")
    received_on = models.DateField()
    # Empty when the receipt was made in Odoo (its warehouse user) and synchronised here.
    received_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reference = models.CharField(max_length=100, blank=True, help_text="Delivery note number")
    external_ref = models.CharField(max_length=100, blank=True, help_text="Odoo stock.picking name")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.number} ({self.commitment.number})"


class ReceiptLine(models.Model):
    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="lines")
    commitment_line = models.ForeignKey(
        CommitmentLine, on_delete=models.PROTECT, related_name="receipt_lines"
    )
    quantity = models.DecimalField(**QUANTITY)

    def __str__(self) -> str:
        return f"{self.receipt.number}: {self.quantity} of {self.commitment_line}"


class ProgressClaim(models.Model):
    """A subcontractor's claim for work done to date (cumulative % complete or quantities),
    certified on site; certification is the subcontract's "receipt"."""

    number = models.CharField(max_length=30, unique=True)
    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="claims")
    period_end = models.DateField()
    vendor_reference = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=ClaimStatus, default=ClaimStatus.SUBMITTED)
    # Empty when the claim came from the subcontractor's portal through the pipeline.
    submitted_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    certified_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    certified_at = models.DateTimeField(null=True, blank=True)
    claimed_value_to_date = models.DecimalField(**MONEY, default=ZERO)
    certified_value_to_date = models.DecimalField(**MONEY, null=True, blank=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "period_end"],
                condition=~Q(status="rejected"),
                name="uniq_claim_per_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.commitment.number}, {self.period_end})"


class ProgressClaimLine(models.Model):
    claim = models.ForeignKey(ProgressClaim, on_delete=models.CASCADE, related_name="lines")
    commitment_line = models.ForeignKey(
        CommitmentLine, on_delete=models.PROTECT, related_name="claim_lines"
    )
    claimed_quantity_to_date = models.DecimalField(**QUANTITY)
    claimed_percent_to_date = models.DecimalField(**PERCENT, null=True, blank=True)
    previous_certified_quantity = models.DecimalField(**QUANTITY, default=ZERO)
    certified_quantity_to_date = models.DecimalField(**QUANTITY, null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.claim.number}: {self.commitment_line}"


class Invoice(models.Model):
    """A vendor bill or credit note, matched against its commitment and receipts."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="invoices")
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    commitment = models.ForeignKey(
        Commitment, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    progress_claim = models.ForeignKey(
        ProgressClaim, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    kind = models.CharField(max_length=20, choices=InvoiceKind, default=InvoiceKind.INVOICE)
    number = models.CharField(max_length=60, help_text="The vendor's invoice number")
    invoice_date = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(**MONEY, default=ZERO)
    tax_amount = models.DecimalField(**MONEY, default=ZERO)
    # As stated by the vendor (None: not stated; the hub then withholds per contract terms).
    retention_stated = models.DecimalField(**MONEY, null=True, blank=True)
    retention_withheld = models.DecimalField(**MONEY, default=ZERO)
    retention_released = models.DecimalField(**MONEY, default=ZERO)
    # The total the vendor says is due, and what the hub computes from lines and terms.
    stated_total = models.DecimalField(**MONEY, null=True, blank=True)
    payable_amount = models.DecimalField(**MONEY, default=ZERO)
    status = models.CharField(max_length=20, choices=InvoiceStatus, default=InvoiceStatus.RECEIVED)
    match_status = models.CharField(
        max_length=30, choices=MatchStatus, default=MatchStatus.UNMATCHED
    )
    match_reasons = models.JSONField(default=list, blank=True)
    variance_amount = models.DecimalField(**MONEY, default=ZERO)
    payment_hold = models.BooleanField(default=True)
    paid_amount = models.DecimalField(**MONEY, default=ZERO)
    source = models.CharField(max_length=20, choices=PaymentSource, default=PaymentSource.MANUAL)
    external_ref = models.CharField(max_length=100, blank=True, help_text="Odoo account.move id")
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # A vendor never uses one invoice number twice: the same bill arriving again is a
            # duplicate, not a second debt.
            models.UniqueConstraint(
                fields=["vendor", "kind", "number"], name="uniq_vendor_invoice"
            ),
        ]
        indexes = [
            models.Index(fields=["project", "status"], name="invoice_project_status"),
            models.Index(fields=["match_status"], name="invoice_match_status"),
            models.Index(fields=["external_ref"], name="invoice_external_ref"),
        ]

    def __str__(self) -> str:
        label = "CN" if self.kind == InvoiceKind.CREDIT_NOTE else "INV"
        return f"{label} {self.number} ({self.vendor.code})"

    @property
    def sign(self) -> int:
        return -1 if self.kind == InvoiceKind.CREDIT_NOTE else 1

    @property
    def open_amount(self) -> Decimal:
        return self.payable_amount - self.paid_amount


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField()
    commitment_line = models.ForeignKey(
        CommitmentLine,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoice_lines",
    )
    description = models.CharField(max_length=255)
    quantity = models.DecimalField(**QUANTITY)
    unit_price = models.DecimalField(**UNIT_PRICE)
    amount = models.DecimalField(**MONEY)
    match_status = models.CharField(
        max_length=30, choices=MatchStatus, default=MatchStatus.UNMATCHED
    )
    match_reasons = models.JSONField(default=list, blank=True)
    quantity_variance = models.DecimalField(**QUANTITY, default=ZERO)
    price_variance = models.DecimalField(**MONEY, default=ZERO)

    class Meta:
        ordering = ["invoice", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "line_no"], name="uniq_invoice_line")
        ]

    def __str__(self) -> str:
        return f"{self.invoice}/{self.line_no}"


class InvoiceMatch(models.Model):
    """One run of the 3-way match on an invoice: the outcome and every figure behind it."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="matches")
    outcome = models.CharField(max_length=30, choices=MatchStatus)
    reasons = models.JSONField(default=list, blank=True)
    tolerance = models.JSONField(default=dict, blank=True)
    lines = models.JSONField(default=list, blank=True)
    variance_amount = models.DecimalField(**MONEY, default=ZERO)
    expected_retention = models.DecimalField(**MONEY, default=ZERO)
    matched_at = models.DateTimeField(auto_now_add=True)
    matched_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"match #{self.id} of {self.invoice}: {self.outcome}"


class ChangeOrder(models.Model):
    """An owner change order (revises the budget) or a commitment change order (revises a PO or
    subcontract); both go through approval before any figure moves."""

    number = models.CharField(max_length=30, unique=True)
    kind = models.CharField(max_length=20, choices=ChangeOrderKind)
    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="change_orders"
    )
    commitment = models.ForeignKey(
        Commitment, null=True, blank=True, on_delete=models.PROTECT, related_name="change_orders"
    )
    owner_change_order = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="commitment_changes"
    )
    title = models.CharField(max_length=255)
    reason = models.TextField(blank=True)
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(**MONEY, default=ZERO)
    status = models.CharField(
        max_length=20, choices=ChangeOrderStatus, default=ChangeOrderStatus.DRAFT
    )
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    external_ref = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="owner", commitment__isnull=True)
                | Q(kind="subcontract", commitment__isnull=False),
                name="change_order_kind_commitment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class ChangeOrderLine(models.Model):
    """One change: a budget revision (owner), or a quantity/price change or a new line on a
    commitment (the amount delta is computed, never typed)."""

    change_order = models.ForeignKey(ChangeOrder, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField()
    budget_line = models.ForeignKey(
        "projects.BudgetLine", on_delete=models.PROTECT, related_name="+"
    )
    commitment_line = models.ForeignKey(
        CommitmentLine, null=True, blank=True, on_delete=models.PROTECT, related_name="change_lines"
    )
    description = models.CharField(max_length=255)
    quantity_delta = models.DecimalField(**QUANTITY, default=ZERO)
    unit_price = models.DecimalField(**UNIT_PRICE, null=True, blank=True)
    amount_delta = models.DecimalField(**MONEY)
    created_commitment_line = models.ForeignKey(
        CommitmentLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["change_order", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["change_order", "line_no"], name="uniq_change_line")
        ]

    def __str__(self) -> str:
        return f"{self.change_order.number}/{self.line_no}"


class Payment(models.Model):
    """Money paid to a vendor (from Odoo, a bank statement or by hand), allocated to bills."""

    number = models.CharField(max_length=30, unique=True)
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    paid_on = models.DateField()
    reference = models.CharField(max_length=140, blank=True)
    source = models.CharField(max_length=20, choices=PaymentSource)
    external_ref = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=PaymentStatus, default=PaymentStatus.RECORDED)
    unallocated_amount = models.DecimalField(**MONEY, default=ZERO)
    recorded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_ref"],
                condition=~Q(external_ref=""),
                name="uniq_payment_external_ref",
            )
        ]
        indexes = [models.Index(fields=["vendor", "paid_on"], name="payment_vendor_date")]

    def __str__(self) -> str:
        return f"{self.number} {self.amount} {self.currency} → {self.vendor.code}"


class PaymentAllocation(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(**MONEY)

    def __str__(self) -> str:
        return f"{self.payment.number} → {self.invoice}: {self.amount}"


class BudgetImport(models.Model):
    """One budget file from estimating (CSV or XLSX), validated row by row."""

    file_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=10)
    file_sha256 = models.CharField(max_length=64)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=ImportStatus)
    total_rows = models.PositiveIntegerField(default=0)
    accepted_rows = models.PositiveIntegerField(default=0)
    refused_rows = models.PositiveIntegerField(default=0)
    # Empty when the budget came through the pipeline (estimating push); see `source`.
    uploaded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=100, blank=True, help_text="e.g. ledger transaction")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"budget import #{self.id} {self.file_name}"


class BudgetImportRow(models.Model):
    budget_import = models.ForeignKey(BudgetImport, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField()
    project_code = models.CharField(max_length=100, blank=True)
    phase_code = models.CharField(max_length=100, blank=True)
    cost_code = models.CharField(max_length=100, blank=True)
    description = models.CharField(max_length=255, blank=True)
    amount_text = models.CharField(max_length=100, blank=True)
    outcome = models.CharField(max_length=20, choices=ImportRowOutcome)
    reasons = models.JSONField(default=list, blank=True)
    budget_line = models.ForeignKey(
        "projects.BudgetLine", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    previous_amount = models.DecimalField(**MONEY, null=True, blank=True)
    new_amount = models.DecimalField(**MONEY, null=True, blank=True)

    class Meta:
        ordering = ["budget_import", "row_number"]

    def __str__(self) -> str:
        return f"import #{self.budget_import_id} row {self.row_number}: {self.outcome}"
