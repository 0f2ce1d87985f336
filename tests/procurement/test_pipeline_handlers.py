"""Procurement's domain handlers in the sync pipeline (no Odoo needed): estimating budgets,
requisitions from field apps with the budget-check control, bills from unknown vendors."""

from decimal import Decimal

import pytest

from apps.exceptions.models import ExceptionItem
from apps.procurement.models import BudgetImport, Requisition

D = Decimal
pytestmark = pytest.mark.django_db


def test_estimating_budget_version_is_applied_and_bad_rows_become_one_item(
    school_budget, sync_systems, make_inbound, run_pipeline
):
    tx = make_inbound(
        sync_systems.estimating,
        "budget_line",
        {
            "budget_id": "EST-SCH-001",
            "version": 4,
            "project": "SCH-001",
            "currency": "EUR",
            "lines": [
                {
                    "phase": "Substructure",
                    "cost_code": "03 31 13",
                    "description": "Concrete",
                    "amount": "205000.00",
                },
                {
                    "phase": "P3",
                    "cost_code": "09 21 16",
                    "description": "Boards",
                    "amount": "118000.00",
                },
                {
                    "phase": "Roof",
                    "cost_code": "07 21 13",
                    "description": "Insulation",
                    "amount": "40000.00",
                },
            ],
            "errors": [],
        },
        operation="import",
    )
    (tx,) = run_pipeline(tx)
    assert tx.status == "delivered", tx.last_error_message
    assert school_budget.line("P1", "03 31 13").original_amount == D("205000.00")
    assert school_budget.line("P3", "09 21 16").original_amount == D("118000.00")
    report = BudgetImport.objects.get()
    assert (report.accepted_rows, report.refused_rows) == (2, 1)
    assert report.uploaded_by is None and str(tx.pk) in report.source
    item = ExceptionItem.objects.get(trace_key__startswith="budget:estimating:")
    assert "project SCH-001 has no phase 'Roof'" in item.reason


def test_field_app_requisition_over_budget_is_held_by_the_control(
    school_budget, sync_systems, make_inbound, run_pipeline, rob
):
    payload = {
        "reference": "FLD-881",
        "project": "SCH-001",
        "title": "Drylining",
        "requested_by": "rob",
        "lines": [
            {"phase": "P3", "cost_code": "09 21 16", "quantity": "1000", "unit_price": "130"}
        ],
    }
    (held,) = run_pipeline(make_inbound(sync_systems.procore, "requisition", payload))
    assert held.status == "held"
    item = ExceptionItem.objects.get(category="budget_exceeded")
    assert "exceeds the available budget by 10000.00 EUR" in item.reason
    assert not Requisition.objects.exists()
    payload = {
        **payload,
        "reference": "FLD-882",
        "lines": [{**payload["lines"][0], "quantity": "10"}],
    }
    (ok,) = run_pipeline(make_inbound(sync_systems.procore, "requisition", payload))
    assert ok.status == "delivered", ok.last_error_message
    requisition = Requisition.objects.get()
    assert requisition.status == "pending_approval" and requisition.requested_by == rob


def test_bill_from_an_unknown_odoo_vendor_is_held_for_a_mapping(
    school, sync_systems, make_inbound, run_pipeline
):
    payload = {
        "number": "X-1",
        "kind": "bill",
        "vendor_id": 999,
        "vendor_name": "Nobody Ltd",
        "invoice_date": "2026-01-10",
        "currency": "EUR",
        "lines": [{"description": "?", "quantity": "1", "unit_price": "10"}],
    }
    (tx,) = run_pipeline(make_inbound(sync_systems.odoo, "invoice", payload, external_id="77"))
    assert tx.status == "held"
    assert ExceptionItem.objects.get().category == "unknown_vendor"


def test_issued_po_writes_its_outbound_row_in_the_same_transaction_unless_suspended(
    procure, sync_systems
):
    from apps.ledger.models import Transaction
    from apps.procurement import outbound

    po = procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "1", "unit_price": "10"}]
    )
    row = Transaction.objects.get(direction="outbound", domain="commitment")
    assert (row.system, row.subject_id, row.status) == (sync_systems.odoo, po.number, "pending")
    assert row.payload["lines"][0]["cost_code"] == "03 31 13"
    with outbound.suspended("test"):
        procure.issued_commitment(
            lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "1", "unit_price": "10"}]
        )
    assert Transaction.objects.filter(direction="outbound", domain="commitment").count() == 1
