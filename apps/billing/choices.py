from django.db import models


class ContractStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"

    @property
    def colour(self) -> str:
        return {"active": "green", "closed": "grey"}[self.value]


class ProgressSource(models.TextChoices):
    SCHEDULE = "schedule", "Schedule (activity percent complete)"
    QUANTITIES = "quantities", "Entered quantities"
    PERCENT = "percent", "Entered percent complete"


class PayApplicationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    APPROVED = "approved", "Approved (sent to Odoo)"
    INVOICED = "invoiced", "Invoiced in Odoo"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"

    @property
    def colour(self) -> str:
        return {
            "draft": "grey",
            "pending_approval": "amber",
            "approved": "blue",
            "invoiced": "blue",
            "partially_paid": "amber",
            "paid": "green",
            "rejected": "red",
            "cancelled": "grey",
        }[self.value]


# A pay application in one of these still counts as billed (the next one starts from it).
BILLED_STATUSES = (
    PayApplicationStatus.APPROVED,
    PayApplicationStatus.INVOICED,
    PayApplicationStatus.PARTIALLY_PAID,
    PayApplicationStatus.PAID,
)
# Not yet decided: a second pay application cannot be opened for the contract meanwhile.
OPEN_STATUSES = (PayApplicationStatus.DRAFT, PayApplicationStatus.PENDING_APPROVAL)
