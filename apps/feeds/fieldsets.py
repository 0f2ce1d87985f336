"""The feeds' stable, versioned field sets (v1). A field is never renamed, retyped or removed
within a version; additions or changes make a v2 next to v1.

Each entity: the model's queryset, the change-time column the cursor walks, how rows are scoped
to the reader's projects, and the ordered fields (name, accessor)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

VERSION = "v1"


@dataclass(frozen=True)
class FeedSpec:
    entity: str
    description: str
    queryset: Callable[[], QuerySet]
    # The column the cursor walks: the row's last change time.
    time_field: str
    # The lookup to the project for scoping ("id" for projects themselves); None = see below.
    project_field: str | None
    fields: tuple[tuple[str, str | Callable[[Any], Any]], ...]
    # Rows without a project are shown to every admitted role (ledger rows of vendor syncs).
    include_unscoped: bool = False

    @property
    def field_names(self) -> list[str]:
        return [name for name, _ in self.fields]


def _projects():
    from apps.projects.models import Project

    return Project.objects.all()


def _budget_lines():
    from apps.projects.models import BudgetLine

    return BudgetLine.objects.select_related("project", "phase", "cost_code")


def _commitments():
    from apps.procurement.models import Commitment

    return Commitment.objects.select_related("project", "vendor")


def _invoices():
    from apps.procurement.models import Invoice

    return Invoice.objects.select_related("project", "vendor", "commitment")


def _payments():
    from apps.procurement.models import Payment

    return Payment.objects.select_related("vendor")


def _documents():
    from apps.documents.models import Document

    return Document.objects.select_related("project", "system")


def _pay_applications():
    from apps.billing.models import PayApplication

    return PayApplication.objects.select_related("project", "contract")


def _transactions():
    from apps.ledger.models import Transaction

    return Transaction.objects.select_related("system", "project")


def _payment_projects(payment) -> str:
    codes = sorted(
        {a.invoice.project.code for a in payment.allocations.all() if a.invoice.project_id}
    )
    return " ".join(codes)


SPECS: dict[str, FeedSpec] = {
    spec.entity: spec
    for spec in (
        FeedSpec(
            "projects",
            "Projects",
            _projects,
            "updated_at",
            "id",
            (
                ("id", "id"),
                ("code", "code"),
                ("name", "name"),
                ("status", "status"),
                ("currency", "currency"),
                ("created_at", "created_at"),
                ("updated_at", "updated_at"),
            ),
        ),
        FeedSpec(
            "budget_lines",
            "Budget lines with their running figures",
            _budget_lines,
            "updated_at",
            "project",
            (
                ("id", "id"),
                ("project", "project.code"),
                ("phase", "phase.code"),
                ("cost_code", "cost_code.code"),
                ("description", "description"),
                ("currency", "currency"),
                ("original_amount", "original_amount"),
                ("approved_changes", "approved_changes"),
                ("revised", "revised"),
                ("committed", "committed"),
                ("pending_commitments", "pending_commitments"),
                ("actual", "actual"),
                ("invoiced", "invoiced"),
                ("estimate_to_complete", "estimate_to_complete"),
                ("forecast_at_completion", "forecast_at_completion"),
                ("updated_at", "updated_at"),
            ),
        ),
        FeedSpec(
            "commitments",
            "Purchase orders and subcontracts",
            _commitments,
            "updated_at",
            "project",
            (
                ("id", "id"),
                ("number", "number"),
                ("kind", "kind"),
                ("project", "project.code"),
                ("vendor", "vendor.code"),
                ("title", "title"),
                ("currency", "currency"),
                ("status", "status"),
                ("total_amount", "total_amount"),
                ("retention_pct", "retention_pct"),
                ("retention_held", "retention_held"),
                ("retention_released", "retention_released"),
                ("approved_at", "approved_at"),
                ("issued_at", "issued_at"),
                ("external_ref", "external_ref"),
                ("created_at", "created_at"),
                ("updated_at", "updated_at"),
            ),
        ),
        FeedSpec(
            "invoices",
            "Vendor bills and credit notes",
            _invoices,
            "updated_at",
            "project",
            (
                ("id", "id"),
                ("number", "number"),
                ("kind", "kind"),
                ("project", "project.code"),
                ("vendor", "vendor.code"),
                ("commitment", "commitment.number"),
                ("invoice_date", "invoice_date"),
                ("due_date", "due_date"),
                ("currency", "currency"),
                ("subtotal", "subtotal"),
                ("tax_amount", "tax_amount"),
                ("retention_withheld", "retention_withheld"),
                ("payable_amount", "payable_amount"),
                ("paid_amount", "paid_amount"),
                ("status", "status"),
                ("match_status", "match_status"),
                ("external_ref", "external_ref"),
                ("received_at", "received_at"),
                ("updated_at", "updated_at"),
            ),
        ),
        FeedSpec(
            "payments",
            "Payments to vendors (recorded once; the feed walks their creation time)",
            _payments,
            "created_at",
            "allocations__invoice__project",
            (
                ("id", "id"),
                ("number", "number"),
                ("vendor", "vendor.code"),
                ("projects", _payment_projects),
                ("amount", "amount"),
                ("currency", "currency"),
                ("paid_on", "paid_on"),
                ("reference", "reference"),
                ("source", "source"),
                ("status", "status"),
                ("unallocated_amount", "unallocated_amount"),
                ("external_ref", "external_ref"),
                ("created_at", "created_at"),
            ),
        ),
        FeedSpec(
            "documents",
            "The document register (submittals, drawings, documents, RFIs)",
            _documents,
            "updated_at",
            "project",
            (
                ("id", "id"),
                ("project", "project.code"),
                ("system", "system.code"),
                ("kind", "kind"),
                ("external_id", "external_id"),
                ("number", "number"),
                ("title", "title"),
                ("discipline", "discipline"),
                ("current_revision", "current_revision"),
                ("status_code", "status_code"),
                ("status_label", "status_label"),
                ("status_meaning", "status_meaning"),
                ("received_on", "received_on"),
                ("review_due_on", "review_due_on"),
                ("responded_at", "responded_at"),
                ("created_at", "created_at"),
                ("updated_at", "updated_at"),
            ),
        ),
        FeedSpec(
            "pay_applications",
            "Owner pay applications (progress billings)",
            _pay_applications,
            "updated_at",
            "project",
            (
                ("id", "id"),
                ("number", "number"),
                ("contract", "contract.number"),
                ("project", "project.code"),
                ("sequence", "sequence"),
                ("period_start", "period_start"),
                ("period_end", "period_end"),
                ("status", "status"),
                ("currency", "currency"),
                ("contract_sum_to_date", "contract_sum_to_date"),
                ("change_orders_to_date", "change_orders_to_date"),
                ("completed_this_period", "completed_this_period"),
                ("completed_to_date", "completed_to_date"),
                ("retention_to_date", "retention_to_date"),
                ("amount_due", "amount_due"),
                ("paid_amount", "paid_amount"),
                ("payment_state", "payment_state"),
                ("external_ref", "external_ref"),
                ("approved_at", "approved_at"),
                ("updated_at", "updated_at"),
            ),
        ),
        FeedSpec(
            "transactions",
            "The ledger: every message in or out of the hub (no payloads)",
            _transactions,
            "updated_at",
            "project",
            (
                ("id", "id"),
                ("direction", "direction"),
                ("system", "system.code"),
                ("domain", "domain"),
                ("operation", "operation"),
                ("status", "status"),
                ("project", "project.code"),
                ("reference", "reference"),
                ("external_id", "external_id"),
                ("subject_domain", "subject_domain"),
                ("subject_id", "subject_id"),
                ("correlation_id", "correlation_id"),
                ("parent_id", "parent_id"),
                ("trigger", "trigger"),
                ("attempts", "attempts"),
                ("last_error_code", "last_error_code"),
                ("occurred_at", "occurred_at"),
                ("received_at", "received_at"),
                ("completed_at", "completed_at"),
                ("updated_at", "updated_at"),
            ),
            include_unscoped=True,
        ),
    )
}
ENTITIES = tuple(SPECS)
