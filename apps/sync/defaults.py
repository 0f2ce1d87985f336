"""Defaults the sync engine starts with (also what `manage.py seed_demo` restores if missing)."""

from __future__ import annotations

# The default system-of-record rules (issue 6): Odoo owns the money, the scheduling platform
# owns activities and milestones, document control owns document status and revisions,
# estimating owns the original budget and Odoo the approved budget revisions.
# (domain, field, authority system kind, conflict policy, note)
DEFAULT_SOR_RULES = [
    # (domain, field, authority kind, conflict policy, note)
    ("vendor", "", "odoo", "flag", "Vendor master data is kept in Odoo."),
    ("commitment", "", "odoo", "flag", "Purchase orders and subcontracts live in Odoo."),
    (
        "receipt",
        "",
        "odoo",
        "accept",
        "Field apps capture receipts on site; they are forwarded to Odoo, which stays the book "
        "of record.",
    ),
    ("invoice", "", "odoo", "flag", "Vendor bills are posted in Odoo."),
    ("payment", "", "odoo", "flag", "Payments are made and recorded in Odoo."),
    ("posting", "", "odoo", "ignore", "Financial postings only ever come from Odoo."),
    ("activity", "", "scheduling", "ignore", "The scheduling platform owns activities."),
    ("milestone", "", "scheduling", "ignore", "The scheduling platform owns milestones."),
    ("document", "status", "document_control", "ignore", "Document control owns status."),
    ("document", "revision", "document_control", "ignore", "Document control owns revisions."),
    (
        "budget_line",
        "original_amount",
        "estimating",
        "flag",
        "The original budget comes from estimating.",
    ),
    (
        "budget_line",
        "approved_changes",
        "odoo",
        "flag",
        "Approved budget revisions are made in Odoo.",
    ),
]
