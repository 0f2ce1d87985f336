"""Exception-item vocabulary: categories, severities, statuses and resolution actions.

Every choice carries a colour (a `badge-<colour>` CSS class) so templates never hard-code them.
"""

from __future__ import annotations

from django.db import models

from apps.accounts.roles import APPROVER, FINANCE, INTEGRATION_ADMIN, PMO


class ExceptionCategory(models.TextChoices):
    UNMATCHED_INVOICE = "unmatched_invoice", "Unmatched invoice"
    PRICE_QUANTITY_VARIANCE = "price_quantity_variance", "Price / quantity variance"
    MISSING_RECEIPT = "missing_receipt", "Missing receipt"
    COST_CODE_ERROR = "cost_code_error", "Cost code error"
    INVALID_PROJECT_REFERENCE = "invalid_project_reference", "Invalid project reference"
    UNKNOWN_VENDOR = "unknown_vendor", "Unknown vendor"
    BUDGET_EXCEEDED = "budget_exceeded", "Budget exceeded"
    APPROVAL_OVERDUE = "approval_overdue", "Approval overdue"
    SOR_CONFLICT = "sor_conflict", "System-of-record conflict"
    SCHEMA_INVALID = "schema_invalid", "Invalid message"
    MAPPING_MISSING = "mapping_missing", "Missing mapping"
    DELIVERY_FAILED = "delivery_failed", "Delivery failed"
    PERMANENT_TARGET_ERROR = "permanent_target_error", "Refused by target system"
    PROCESSING_ERROR = "processing_error", "Processing error"
    DUPLICATE_SUSPECTED = "duplicate_suspected", "Duplicate suspected"
    RECONCILIATION_DIFFERENCE = "reconciliation_difference", "Reconciliation difference"
    MISSED_EVENTS = "missed_events", "Missed events"
    SCHEDULE_SLIP_IMPACT = "schedule_slip_impact", "Schedule slip impact"
    DOCUMENT_HOLD = "document_hold", "Document hold"
    VENDOR_BANK_CHANGE = "vendor_bank_change", "Vendor bank details changed"
    COMPLIANCE_HOLD = "compliance_hold", "Compliance hold"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"

    @property
    def colour(self) -> str:
        return SEVERITY_COLOURS[self.value]

    @property
    def rank(self) -> int:
        """Sort key: critical first."""
        return {"critical": 0, "high": 1, "medium": 2, "low": 3}[self.value]


SEVERITY_COLOURS = {"low": "grey", "medium": "blue", "high": "amber", "critical": "red"}


class ExceptionStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    WAITING = "waiting", "Waiting"
    RESOLVED = "resolved", "Resolved"
    IGNORED = "ignored", "Ignored"

    @property
    def colour(self) -> str:
        return STATUS_COLOURS[self.value]


STATUS_COLOURS = {
    "open": "red",
    "in_progress": "blue",
    "waiting": "amber",
    "resolved": "green",
    "ignored": "grey",
}

# Statuses in which an item still needs a person; a repeat with the same trace key attaches here.
ACTIVE_STATUSES = (ExceptionStatus.OPEN, ExceptionStatus.IN_PROGRESS, ExceptionStatus.WAITING)
CLOSED_STATUSES = (ExceptionStatus.RESOLVED, ExceptionStatus.IGNORED)


class ResolutionAction(models.TextChoices):
    FIXED_AND_REPLAYED = "fixed_and_replayed", "Fixed and replayed"
    MAPPING_FIXED = "mapping_fixed", "Mapping fixed and released"
    CORRECTED_IN_SOURCE = "corrected_in_source", "Corrected in the source system"
    CORRECTED_IN_TARGET = "corrected_in_target", "Corrected in the target system"
    ACCEPTED = "accepted", "Accepted as is"
    OVERRIDDEN = "overridden", "Control overridden"
    REPLAYED = "replayed", "Replayed"
    MANUAL_MATCH = "manual_match", "Matched manually"
    AUTO_RESOLVED = "auto_resolved", "Resolved automatically"
    IGNORED = "ignored", "Ignored"


class LinkRole(models.TextChoices):
    """Why a transaction is linked to an item."""

    CAUSE = "cause", "Caused it"
    REPEAT = "repeat", "Same problem again"
    RESOLUTION = "resolution", "Resolved it"
    REPLAY = "replay", "Replay"


# Seeded defaults per category: (owner group = a role name, severity, SLA hours). Stored in
# ExceptionCategoryConfig so admins can tune them; this table is the fallback and the seed.
CATEGORY_DEFAULTS: dict[str, tuple[str, str, int]] = {
    ExceptionCategory.UNMATCHED_INVOICE: (FINANCE, Severity.HIGH, 48),
    ExceptionCategory.PRICE_QUANTITY_VARIANCE: (FINANCE, Severity.MEDIUM, 48),
    ExceptionCategory.MISSING_RECEIPT: (FINANCE, Severity.MEDIUM, 72),
    ExceptionCategory.COST_CODE_ERROR: (INTEGRATION_ADMIN, Severity.MEDIUM, 24),
    ExceptionCategory.INVALID_PROJECT_REFERENCE: (INTEGRATION_ADMIN, Severity.MEDIUM, 24),
    ExceptionCategory.UNKNOWN_VENDOR: (FINANCE, Severity.MEDIUM, 48),
    ExceptionCategory.BUDGET_EXCEEDED: (FINANCE, Severity.HIGH, 24),
    ExceptionCategory.APPROVAL_OVERDUE: (APPROVER, Severity.MEDIUM, 24),
    ExceptionCategory.SOR_CONFLICT: (INTEGRATION_ADMIN, Severity.MEDIUM, 48),
    ExceptionCategory.SCHEMA_INVALID: (INTEGRATION_ADMIN, Severity.LOW, 72),
    ExceptionCategory.MAPPING_MISSING: (INTEGRATION_ADMIN, Severity.MEDIUM, 24),
    ExceptionCategory.DELIVERY_FAILED: (INTEGRATION_ADMIN, Severity.HIGH, 8),
    ExceptionCategory.PERMANENT_TARGET_ERROR: (INTEGRATION_ADMIN, Severity.HIGH, 24),
    ExceptionCategory.PROCESSING_ERROR: (INTEGRATION_ADMIN, Severity.HIGH, 8),
    ExceptionCategory.DUPLICATE_SUSPECTED: (FINANCE, Severity.HIGH, 24),
    ExceptionCategory.RECONCILIATION_DIFFERENCE: (FINANCE, Severity.HIGH, 48),
    ExceptionCategory.MISSED_EVENTS: (INTEGRATION_ADMIN, Severity.MEDIUM, 24),
    ExceptionCategory.SCHEDULE_SLIP_IMPACT: (PMO, Severity.MEDIUM, 72),
    ExceptionCategory.DOCUMENT_HOLD: (PMO, Severity.MEDIUM, 72),
    ExceptionCategory.VENDOR_BANK_CHANGE: (FINANCE, Severity.CRITICAL, 4),
    ExceptionCategory.COMPLIANCE_HOLD: (FINANCE, Severity.HIGH, 24),
}
