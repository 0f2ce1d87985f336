from django.db import models


class DocumentType(models.TextChoices):
    """What an approval request is about; authority rules are granted per document type."""

    REQUISITION = "requisition", "Requisition"
    PURCHASE_ORDER = "purchase_order", "Purchase order"
    SUBCONTRACT = "subcontract", "Subcontract"
    CHANGE_ORDER = "change_order", "Change order"
    INVOICE_VARIANCE = "invoice_variance", "Invoice variance"
    CONTROL_OVERRIDE = "control_override", "Control override"
    # The accounting-approver gate: nothing is exported to Odoo as a posting without it.
    POSTING = "posting", "Posting to accounting"
    # Owner progress billing (apps/billing): approved pay applications become Odoo invoices.
    PAY_APPLICATION = "pay_application", "Pay application"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"

    @property
    def colour(self) -> str:
        return {"pending": "amber", "approved": "green", "rejected": "red", "cancelled": "grey"}[
            self.value
        ]


class StepStatus(models.TextChoices):
    WAITING = "waiting", "Waiting for an earlier step"
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"

    @property
    def colour(self) -> str:
        return {
            "waiting": "grey",
            "pending": "amber",
            "approved": "green",
            "rejected": "red",
            "cancelled": "grey",
        }[self.value]


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"
