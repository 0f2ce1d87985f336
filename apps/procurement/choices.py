from django.db import models


class _Coloured(models.TextChoices):
    @property
    def colour(self) -> str:
        return COLOURS.get(self.value, "grey")


COLOURS = {
    "approved": "green",
    "matched": "green",
    "paid": "green",
    "issued": "blue",
    "certified": "green",
    "accepted": "green",
    "converted": "blue",
    "completed": "blue",
    "posted": "blue",
    "matched_within_tolerance": "amber",
    "variance_approved": "amber",
    "pending_approval": "amber",
    "submitted": "amber",
    "partially_paid": "amber",
    "received": "grey",
    "unmatched": "grey",
    "pending": "amber",
    "held": "red",
    "exception": "red",
    "blocked": "red",
    "rejected": "red",
    "refused": "red",
    "cancelled": "grey",
    "closed": "grey",
    "draft": "grey",
}


class VendorStatus(_Coloured):
    PENDING = "pending", "Pending approval"
    APPROVED = "approved", "Approved"
    BLOCKED = "blocked", "Blocked"


class RequisitionStatus(_Coloured):
    DRAFT = "draft", "Draft"
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    APPROVED = "approved", "Approved"
    CONVERTED = "converted", "Converted to commitment"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


class CommitmentKind(models.TextChoices):
    PURCHASE_ORDER = "purchase_order", "Purchase order"
    SUBCONTRACT = "subcontract", "Subcontract"


class CommitmentStatus(_Coloured):
    DRAFT = "draft", "Draft"
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    APPROVED = "approved", "Approved"
    ISSUED = "issued", "Issued to vendor"
    COMPLETED = "completed", "Practically complete"
    CLOSED = "closed", "Closed"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


# Statuses whose lines count as committed cost.
COMMITTED_STATUSES = ("approved", "issued", "completed", "closed")


class BillingBasis(models.TextChoices):
    """Odoo's purchase_method: bill on received quantities (3-way) or on ordered ones (2-way)."""

    RECEIVED = "received", "On received quantities"
    ORDERED = "ordered", "On ordered quantities"


class ClaimStatus(_Coloured):
    SUBMITTED = "submitted", "Submitted"
    CERTIFIED = "certified", "Certified"
    REJECTED = "rejected", "Rejected"


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", "Vendor bill"
    CREDIT_NOTE = "credit_note", "Credit note"


class InvoiceStatus(_Coloured):
    RECEIVED = "received", "Received"
    MATCHED = "matched", "Matched"
    HELD = "held", "Held"
    APPROVED = "approved", "Approved for posting"
    POSTED = "posted", "Posted"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


# Invoices that are facts against their commitment (counted in billed-to-date).
ACTIVE_INVOICE_STATUSES = (
    "received",
    "matched",
    "held",
    "approved",
    "posted",
    "partially_paid",
    "paid",
)


class MatchStatus(_Coloured):
    UNMATCHED = "unmatched", "Not matched yet"
    MATCHED = "matched", "Matched"
    WITHIN_TOLERANCE = "matched_within_tolerance", "Matched within tolerance"
    EXCEPTION = "exception", "Exception"
    VARIANCE_APPROVED = "variance_approved", "Variance approved"


# Outcomes that let an invoice go on to posting and payment.
RELEASED_MATCH_STATUSES = ("matched", "matched_within_tolerance", "variance_approved")


class MatchReason(models.TextChoices):
    """The precise reasons a match can fail (each becomes part of the exception item)."""

    NO_PO = "no_po", "No purchase order"
    COMMITMENT_NOT_OPEN = "commitment_not_open", "Commitment not approved or issued"
    VENDOR_MISMATCH = "vendor_mismatch", "Vendor differs from the commitment's"
    CURRENCY_MISMATCH = "currency_mismatch", "Currency differs from the commitment's"
    NO_RECEIPT = "no_receipt", "Nothing received"
    OVER_BILLED_QUANTITY = "over_billed_quantity", "Over-billed quantity"
    OVER_BILLED_ORDER = "over_billed_order", "Billed more than ordered"
    PRICE_VARIANCE = "price_variance", "Price variance"
    OVER_RETENTION = "over_retention", "Retention above contract terms"
    UNDER_RETENTION = "under_retention", "Retention below contract terms"
    RETENTION_RELEASE_NOT_DUE = "retention_release_not_due", "Retention release not due"
    OVER_RELEASE_RETENTION = "over_release_retention", "Retention release above what is held"
    CREDIT_EXCEEDS_BILLED = "credit_exceeds_billed", "Credit note above what was billed"
    TOTAL_MISMATCH = "total_mismatch", "Invoice total differs from its lines"
    VENDOR_INELIGIBLE = "vendor_ineligible", "Vendor not eligible"


class ChangeOrderKind(models.TextChoices):
    OWNER = "owner", "Owner change order (revises the budget)"
    SUBCONTRACT = "subcontract", "Commitment change order (revises a PO or subcontract)"


class ChangeOrderStatus(_Coloured):
    DRAFT = "draft", "Draft"
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


class PaymentSource(models.TextChoices):
    ODOO = "odoo", "Odoo"
    BANK = "bank", "Bank statement"
    MANUAL = "manual", "Manual"


class PaymentStatus(_Coloured):
    RECORDED = "recorded", "Recorded"
    RECONCILED = "reconciled", "Reconciled"
    VOID = "void", "Void"


class ImportRowOutcome(_Coloured):
    ACCEPTED = "accepted", "Accepted"
    REFUSED = "refused", "Refused"


class ImportStatus(_Coloured):
    VALIDATED = "validated", "Validated (dry run)"
    APPLIED = "applied", "Applied"
    REFUSED = "refused", "Refused"
