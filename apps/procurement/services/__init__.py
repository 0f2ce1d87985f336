"""Procurement services (writes), one module per document; import from here."""

from apps.procurement.services.budget import budget_import_run, budget_rows_apply
from apps.procurement.services.change_orders import (
    change_order_cancel,
    change_order_create,
    change_order_decided,
    change_order_submit,
)
from apps.procurement.services.commitments import (
    commitment_cancel,
    commitment_close,
    commitment_complete,
    commitment_create,
    commitment_create_from_requisition,
    commitment_decided,
    commitment_issue,
    commitment_link_external,
    commitment_submit,
    commitments_schedule_slip_apply,
)
from apps.procurement.services.facts import (
    budget_line_facts,
    budget_line_recompute,
    budget_lines_recompute,
)
from apps.procurement.services.invoices import (
    invoice_export_posting,
    invoice_mark_posted,
    invoice_match,
    invoice_posting_decided,
    invoice_record,
    invoice_reject,
    invoice_variance_decided,
    invoice_variance_request,
    invoices_rematch_for_commitment,
    retention_expected,
)
from apps.procurement.services.payments import payment_allocate, payment_reconcile, payment_record
from apps.procurement.services.receiving import (
    progress_claim_certify,
    progress_claim_reject,
    progress_claim_submit,
    receipt_record,
)
from apps.procurement.services.requisitions import (
    requisition_budget_check,
    requisition_cancel,
    requisition_create,
    requisition_decided,
    requisition_submit,
)
from apps.procurement.services.vendors import (
    match_tolerance_set,
    vendor_approve,
    vendor_block,
    vendor_eligibility_check,
    vendor_upsert,
)

__all__ = [
    "budget_import_run",
    "budget_rows_apply",
    "budget_line_facts",
    "budget_line_recompute",
    "budget_lines_recompute",
    "change_order_cancel",
    "change_order_create",
    "change_order_decided",
    "change_order_submit",
    "commitment_cancel",
    "commitment_close",
    "commitment_complete",
    "commitment_create",
    "commitment_create_from_requisition",
    "commitment_decided",
    "commitment_issue",
    "commitment_link_external",
    "commitment_submit",
    "commitments_schedule_slip_apply",
    "invoice_export_posting",
    "invoice_mark_posted",
    "invoice_match",
    "invoice_posting_decided",
    "invoice_record",
    "invoice_reject",
    "invoice_variance_decided",
    "invoice_variance_request",
    "invoices_rematch_for_commitment",
    "match_tolerance_set",
    "payment_allocate",
    "payment_reconcile",
    "payment_record",
    "progress_claim_certify",
    "progress_claim_reject",
    "progress_claim_submit",
    "receipt_record",
    "requisition_budget_check",
    "requisition_cancel",
    "requisition_create",
    "requisition_decided",
    "requisition_submit",
    "retention_expected",
    "vendor_approve",
    "vendor_block",
    "vendor_eligibility_check",
    "vendor_upsert",
]
