"""Sync engine vocabulary. Statuses carry a colour (`badge-<colour>`)."""

from __future__ import annotations

from django.db import models


class Domain(models.TextChoices):
    """The business data kinds the hub knows (DESIGN §3). Handlers may add more domains."""

    PROJECT = "project", "Project"
    COST_CODE = "cost_code", "Cost code"
    BUDGET_LINE = "budget_line", "Budget line"
    VENDOR = "vendor", "Vendor"
    REQUISITION = "requisition", "Requisition"
    COMMITMENT = "commitment", "Commitment (PO / subcontract)"
    RECEIPT = "receipt", "Receipt"
    PROGRESS_CLAIM = "progress_claim", "Progress claim"
    INVOICE = "invoice", "Invoice"
    CHANGE_ORDER = "change_order", "Change order"
    PAYMENT = "payment", "Payment"
    POSTING = "posting", "Financial posting"
    ACTIVITY = "activity", "Schedule activity"
    MILESTONE = "milestone", "Milestone"
    DOCUMENT = "document", "Document"


# Money domains: a replay of one of these that a person overrode needs a second person (SoD).
FINANCIAL_DOMAINS = frozenset(
    {
        Domain.BUDGET_LINE,
        Domain.REQUISITION,
        Domain.COMMITMENT,
        Domain.RECEIPT,
        Domain.PROGRESS_CLAIM,
        Domain.INVOICE,
        Domain.CHANGE_ORDER,
        Domain.PAYMENT,
        Domain.POSTING,
    }
)


class ConflictPolicy(models.TextChoices):
    IGNORE = "ignore", "Ignore (record as ignored)"
    FLAG = "flag", "Flag for review (exception item)"
    ACCEPT = "accept", "Accept"

    @property
    def colour(self) -> str:
        return {"ignore": "grey", "flag": "amber", "accept": "green"}[self.value]


class SyncMode(models.TextChoices):
    EVENT = "event", "Real-time on event"
    INTERVAL = "interval", "Every N minutes"
    CRON = "cron", "Cron schedule"
    MANUAL = "manual", "Manual only"


BATCH_MODES = (SyncMode.INTERVAL, SyncMode.CRON)


class SyncDirection(models.TextChoices):
    ONE_WAY = "one_way", "Source → target"
    TWO_WAY = "two_way", "Both ways"


class MappingKind(models.TextChoices):
    COST_CODE = "cost_code", "Cost code"
    PROJECT = "project", "Project reference"
    VENDOR = "vendor", "Vendor"
    UNIT = "unit", "Unit of measure"
    STATUS = "status", "Status value"


class JobKind(models.TextChoices):
    SYNC = "sync", "Batch sync"
    RECONCILE = "reconcile", "Reconciliation"
    REPLAY = "replay", "Bulk replay"
    ORPHANS = "orphans", "Orphan check"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Finished with failures"
    FAILED = "failed", "Failed"

    @property
    def colour(self) -> str:
        return JOB_STATUS_COLOURS[self.value]


JOB_STATUS_COLOURS = {
    "queued": "grey",
    "running": "blue",
    "succeeded": "green",
    "partial": "amber",
    "failed": "red",
}
JOB_FINISHED = (JobStatus.SUCCEEDED, JobStatus.PARTIAL, JobStatus.FAILED)


class JobTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    MANUAL = "manual", "Run now"


class BreakerState(models.TextChoices):
    CLOSED = "closed", "Closed (calls flow)"
    OPEN = "open", "Open (calls paused)"
    HALF_OPEN = "half_open", "Half-open (probing)"

    @property
    def colour(self) -> str:
        return BREAKER_COLOURS[self.value]


BREAKER_COLOURS = {"closed": "green", "open": "red", "half_open": "amber"}


class SuggestionStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class ReplayRequestStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a second approver"
    EXECUTED = "executed", "Approved and replayed"
    REJECTED = "rejected", "Rejected"

    @property
    def colour(self) -> str:
        return {"pending": "amber", "executed": "green", "rejected": "grey"}[self.value]
