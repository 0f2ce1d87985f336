"""Requisition → approval → PO (vendor eligibility), receipts and their segregation of duties,
progress claims, change orders revising budget and commitment, posting gate and payments."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from apps.approvals.choices import Decision, DocumentType
from apps.approvals.selectors import approval_requests_for, posting_gate_passed
from apps.approvals.services import approval_decide
from apps.audit.models import AuditEntry
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.exceptions.models import ExceptionItem
from apps.procurement.choices import CommitmentKind, MatchStatus
from apps.procurement.models import Commitment
from apps.procurement.services import (
    budget_lines_recompute,
    change_order_create,
    change_order_submit,
    commitment_create,
    commitment_create_from_requisition,
    commitment_submit,
    invoice_export_posting,
    invoice_record,
    invoice_variance_request,
    payment_record,
    progress_claim_certify,
    progress_claim_submit,
    receipt_record,
    requisition_cancel,
    requisition_create,
    requisition_submit,
    vendor_approve,
)
from tests.plugins.procurement import pending_request

D = Decimal


def requisition(budget, rob, amount, vendor=None, code=("P3", "09 21 16")):
    return requisition_create(
        project=budget.project,
        requested_by=rob,
        title="Plasterboard",
        vendor=vendor,
        lines=[
            {
                "phase": code[0],
                "cost_code": code[1],
                "quantity": "100",
                "unit": "m2",
                "unit_price": amount,
            }
        ],
    )


def test_approved_requisition_becomes_an_issued_po_with_its_approval(
    procure, school_budget, rob, alice, vendors
):
    req = requisition(school_budget, rob, "120", vendor=vendors["readymix"])
    requisition_submit(requisition=req, actor=rob)
    line = school_budget.line("P3", "09 21 16")
    assert line.pending_commitments == D("12000.00")
    procure.approve(req)
    req.refresh_from_db()
    assert req.status == "converted"
    po = Commitment.objects.get(requisition=req)
    assert po.status == "issued" and po.approved_by == alice
    assert po.total_amount == D("12000.00")
    line.refresh_from_db()
    assert (line.pending_commitments, line.committed) == (D("0.00"), D("12000.00"))
    assert budget_lines_recompute(project=school_budget.project) == {}


def test_ineligible_vendor_blocks_the_po_but_keeps_the_approved_requisition(
    procure, school_budget, rob, alice, vendors, ada
):
    req = requisition(school_budget, rob, "120", vendor=vendors["expired"])
    requisition_submit(requisition=req, actor=rob)
    procure.approve(req)
    req.refresh_from_db()
    assert req.status == "approved"
    assert not Commitment.objects.filter(requisition=req).exists()
    item = ExceptionItem.objects.get(trace_key=f"requisition:{req.id}:vendor")
    assert item.category == "compliance_hold" and "insurance expired" in item.reason
    # The money stays earmarked as pending until the PO exists.
    assert school_budget.line("P3", "09 21 16").pending_commitments == D("12000.00")
    with pytest.raises(ApplicationError) as refused:
        commitment_create_from_requisition(requisition=req, actor=rob)
    assert refused.value.code == "vendor_ineligible"
    assert refused.value.details["problems"][0]["code"] == "insurance_expired"
    # New insurance certificate: the PO can be created, and the item closes.
    vendor_approve(
        vendor=vendors["expired"], actor=ada, insurance_expiry=date.today() + timedelta(days=90)
    )
    po = commitment_create_from_requisition(requisition=req, actor=rob)
    assert po.status == "issued"
    item.refresh_from_db()
    assert item.status == "resolved"


@pytest.mark.parametrize("vendor_key", ["expired", "blocked"])
def test_ineligible_vendor_cannot_get_a_po_submitted(
    procure, school_budget, rob, vendors, vendor_key
):
    po = commitment_create(
        project=school_budget.project,
        vendor=vendors[vendor_key],
        kind=CommitmentKind.PURCHASE_ORDER,
        title="Boards",
        lines=[
            {
                "budget_line": school_budget.line("P3", "09 21 16"),
                "quantity": "1",
                "unit_price": "10",
            }
        ],
        created_by=rob,
    )
    with pytest.raises(ApplicationError) as refused:
        commitment_submit(commitment=po, actor=rob)
    assert refused.value.code == "vendor_ineligible"
    assert school_budget.line("P3", "09 21 16").pending_commitments == D("0.00")


def test_blocked_budget_is_refused_with_the_figures_and_audited(school_budget, rob, authority):
    req = requisition(school_budget, rob, "1300")  # 130,000 on a 120,000 line
    with pytest.raises(ApplicationError) as refused:
        requisition_submit(requisition=req, actor=rob)
    assert refused.value.code == "budget_blocked" and refused.value.status_code == 409
    assert refused.value.details["lines"][0]["available_after"] == "-10000.00"
    req.refresh_from_db()
    assert req.status == "draft"
    refusal = AuditEntry.objects.get(action="requisition.submit_refused")
    assert refusal.actor == rob and refusal.detail["code"] == "budget_blocked"


def test_control_override_needs_override_authority(school_budget, rob, alice, dora, authority):
    req = requisition(school_budget, rob, "1300")
    requisition_submit(requisition=req, actor=rob, override_reason="client instructed upgrade")
    request = pending_request(req)
    assert request.document_type == DocumentType.CONTROL_OVERRIDE
    assert (
        ExceptionItem.objects.get(trace_key=f"requisition:{req.id}:budget").category
        == "budget_exceeded"
    )
    with pytest.raises(PermissionDeniedError) as refused:
        approval_decide(request_id=request.id, actor=alice, decision=Decision.APPROVE)
    assert refused.value.code == "no_authority"
    approval_decide(request_id=request.id, actor=dora, decision=Decision.APPROVE)
    req.refresh_from_db()
    assert req.status == "approved"
    line = school_budget.line("P3", "09 21 16")
    assert line.available == D("-10000.00")


def test_requisition_cancel_releases_its_reservation(school_budget, rob, authority):
    req = requisition(school_budget, rob, "100")
    requisition_submit(requisition=req, actor=rob)
    requisition_cancel(requisition=req, actor=rob, reason="not needed")
    assert school_budget.line("P3", "09 21 16").pending_commitments == D("0.00")
    assert approval_requests_for(target=req).get().status == "cancelled"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_cannot_both_take_the_last_budget(school_budget, rob, authority):
    """Two requisitions that each fit but not together: the row lock lets only one through."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks between connections")
    first = requisition(school_budget, rob, "700")  # 70,000 of 120,000
    second = requisition(school_budget, rob, "700")
    barrier = threading.Barrier(2)
    outcomes = []

    def submit(req):
        try:
            barrier.wait(timeout=10)
            requisition_submit(requisition=req, actor=rob)
            outcomes.append("ok")
        except ApplicationError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(r,)) for r in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["budget_blocked", "ok"]
    assert school_budget.line("P3", "09 21 16").pending_commitments == D("70000.00")


# --- receipts and progress claims ---------------------------------------------------------------


def test_po_approver_cannot_confirm_its_receipt(procure, alice, sam):
    po = procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "10", "unit_price": "100"}]
    )
    with pytest.raises(PermissionDeniedError) as refused:
        procure.receive(po, {1: "5"}, by=alice)
    assert refused.value.code == "sod_po_approver_receipt"
    receipt = procure.receive(po, {1: "5"}, by=sam)
    assert receipt.lines.get().quantity == D("5")


def test_requisition_approver_cannot_confirm_receipt_of_the_resulting_po(
    procure, school_budget, rob, alice, vendors, school
):
    from django.contrib.auth.models import Group

    from apps.accounts import roles
    from apps.accounts.services import user_create

    req = requisition(school_budget, rob, "10", vendor=vendors["readymix"])
    requisition_submit(requisition=req, actor=rob)
    procure.approve(req)
    po = Commitment.objects.get(requisition=req)
    # alice also works as a site manager now: still not on a PO she approved.
    alice.groups.add(Group.objects.get(name=roles.REQUESTER))
    with pytest.raises(PermissionDeniedError):
        procure.receive(po, {1: "1"}, by=alice)
    other = user_create(
        username="site2", password="x-pass-123", roles=[roles.REQUESTER], projects=[school]
    )
    procure.receive(po, {1: "1"}, by=other)


def test_over_receipt_beyond_tolerance_is_refused_and_returns_are_bounded(procure, ada):
    from apps.procurement.services import match_tolerance_set

    po = procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "100", "unit_price": "100"}]
    )
    with pytest.raises(ApplicationError) as refused:
        procure.receive(po, {1: "100.01"})
    assert refused.value.code == "over_receipt"
    match_tolerance_set(actor=ada, project=po.project, quantity_pct="2")
    procure.receive(po, {1: "102"})
    with pytest.raises(ApplicationError) as refused:
        procure.receive(po, {1: "-103"})
    assert refused.value.code == "over_return"
    procure.receive(po, {1: "-2"})
    line = po.lines.get()
    line.refresh_from_db()
    assert line.received_quantity == D("100")


def test_same_odoo_picking_twice_records_one_receipt(procure, sam):
    po = procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "10", "unit_price": "100"}]
    )
    line = po.lines.get()
    first = receipt_record(
        commitment=po,
        received_by=sam,
        lines=[{"line": line, "quantity": "4"}],
        external_ref="WH/IN/00007",
    )
    again = receipt_record(
        commitment=po,
        received_by=sam,
        lines=[{"line": line, "quantity": "4"}],
        external_ref="WH/IN/00007",
    )
    assert first.id == again.id
    line.refresh_from_db()
    assert line.received_quantity == D("4")


def test_progress_claims_certify_cumulatively_with_their_own_rules(procure, dora, sam, rob):
    sc = procure.issued_commitment(
        kind=CommitmentKind.SUBCONTRACT,
        vendor="steel",
        title="Steel frame",
        lines=[
            {
                "phase": "P2",
                "cost_code": "05 12 23",
                "quantity": "200",
                "unit": "t",
                "unit_price": "1000",
            }
        ],
        approver=dora,
    )
    line = sc.lines.get()
    with pytest.raises(ApplicationError) as refused:
        progress_claim_submit(
            commitment=sc,
            submitted_by=rob,
            period_end=date(2026, 1, 31),
            lines=[{"line": line, "percent_complete": "101"}],
        )
    assert refused.value.code == "over_claim"
    january = progress_claim_submit(
        commitment=sc,
        submitted_by=rob,
        period_end=date(2026, 1, 31),
        lines=[{"line": line, "quantity_to_date": "50"}],
    )
    with pytest.raises(PermissionDeniedError) as refused:
        progress_claim_certify(claim=january, certified_by=rob)
    assert refused.value.code == "sod_self_approval"
    with pytest.raises(PermissionDeniedError) as refused:
        progress_claim_certify(claim=january, certified_by=dora)
    assert refused.value.code == "sod_po_approver_receipt"
    with pytest.raises(ApplicationError) as refused:
        progress_claim_certify(claim=january, certified_by=sam, certified={line.id: "60"})
    assert refused.value.code == "over_certification"
    progress_claim_certify(claim=january, certified_by=sam, certified={line.id: "45"})
    february = progress_claim_submit(
        commitment=sc,
        submitted_by=rob,
        period_end=date(2026, 2, 28),
        lines=[{"line": line, "percent_complete": "50"}],
    )
    assert february.lines.get().previous_certified_quantity == D("45")
    with pytest.raises(ApplicationError) as refused:  # a second claim for February
        progress_claim_submit(
            commitment=sc,
            submitted_by=rob,
            period_end=date(2026, 2, 28),
            lines=[{"line": line, "percent_complete": "60"}],
        )
    assert refused.value.code == "duplicate_claim" and february.number in refused.value.message
    progress_claim_certify(claim=february, certified_by=sam)
    line.refresh_from_db()
    assert line.received_quantity == D("100")
    assert procure.budget.line("P2", "05 12 23").actual == D("100000.00")
    with pytest.raises(ApplicationError) as refused:
        progress_claim_submit(
            commitment=sc,
            submitted_by=rob,
            period_end=date(2026, 3, 31),
            lines=[{"line": line, "quantity_to_date": "90"}],
        )
    assert refused.value.code == "progress_backwards"


# --- change orders --------------------------------------------------------------------------------


def test_change_orders_update_budget_and_commitment(procure, school_budget, rob, dora):
    steel = school_budget.line("P2", "05 12 23")
    sc = procure.issued_commitment(
        kind=CommitmentKind.SUBCONTRACT,
        vendor="steel",
        title="Steel frame",
        lines=[{"budget_line": steel, "quantity": "250", "unit": "t", "unit_price": "1150"}],
        approver=dora,
    )
    steel.refresh_from_db()
    assert steel.available == D("12500.00")  # 300,000 − 287,500
    # A commitment change adding 20 t does not fit the remaining budget...
    sub_co = change_order_create(
        project=school_budget.project,
        kind="subcontract",
        commitment=sc,
        title="Extra bracing",
        lines=[{"commitment_line": sc.lines.get().id, "quantity_delta": "20"}],
        created_by=rob,
    )
    assert sub_co.amount == D("23000.00")
    with pytest.raises(ApplicationError) as refused:
        change_order_submit(change_order=sub_co, actor=rob)
    assert refused.value.code == "budget_blocked"
    # ...until the owner change order raises the budget.
    owner = change_order_create(
        project=school_budget.project,
        kind="owner",
        title="Client adds canopy",
        lines=[{"budget_line": steel, "amount_delta": "30000"}],
        created_by=rob,
    )
    change_order_submit(change_order=owner, actor=rob)
    procure.approve(owner)
    steel.refresh_from_db()
    assert (steel.approved_changes, steel.revised) == (D("30000.00"), D("330000.00"))
    change_order_submit(change_order=sub_co, actor=rob)
    steel.refresh_from_db()
    assert steel.pending_commitments == D("23000.00")
    procure.approve(sub_co)  # alice: 23,000 within her 50,000
    sc.refresh_from_db()
    line = sc.lines.get()
    assert (line.quantity, line.amount, sc.total_amount) == (
        D("270"),
        D("310500.00"),
        D("310500.00"),
    )
    steel.refresh_from_db()
    assert (steel.committed, steel.pending_commitments, steel.available) == (
        D("310500.00"),
        D("0.00"),
        D("19500.00"),
    )
    # A new line and a price change on an existing one.
    co2 = change_order_create(
        project=school_budget.project,
        kind="subcontract",
        commitment=sc,
        title="Rate review",
        lines=[
            {"commitment_line": sc.lines.get().id, "unit_price": "1140"},
            {
                "budget_line": steel,
                "quantity": "1",
                "unit_price": "5000",
                "description": "Crane day",
            },
        ],
        created_by=rob,
    )
    assert co2.amount == D("2300.00")  # −2,700 on the rate, +5,000 crane
    change_order_submit(change_order=co2, actor=rob)
    procure.approve(co2)
    sc.refresh_from_db()
    assert sc.lines.count() == 2 and sc.total_amount == D("312800.00")
    assert budget_lines_recompute(project=school_budget.project) == {}


def test_change_below_what_was_received_is_refused(procure, rob):
    po = procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "10", "unit_price": "100"}]
    )
    procure.receive(po, {1: "8"})
    with pytest.raises(ApplicationError) as refused:
        change_order_create(
            project=po.project,
            kind="subcontract",
            commitment=po,
            title="Less",
            lines=[{"commitment_line": po.lines.get().id, "quantity_delta": "-3"}],
            created_by=rob,
        )
    assert refused.value.code == "change_below_progress"


# --- variance approval, posting gate, payments -------------------------------------------


def held_invoice(procure):
    po = procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "100", "unit_price": "100"}]
    )
    procure.receive(po, {1: "100"})
    invoice = invoice_record(
        vendor=po.vendor,
        number="RMX-900",
        invoice_date=date(2026, 4, 1),
        currency="EUR",
        commitment=po,
        lines=[{"commitment_line": po.lines.get().id, "quantity": "100", "unit_price": "103"}],
    )
    assert invoice.match_status == MatchStatus.EXCEPTION
    return invoice


def test_variance_approval_then_posting_gate_then_payment(procure, fiona, alice, rob):
    invoice = held_invoice(procure)
    with pytest.raises(ApplicationError) as refused:
        invoice_export_posting(invoice=invoice)
    assert refused.value.code == "posting_not_approved"
    request = invoice_variance_request(
        invoice=invoice, actor=rob, comment="price rise agreed by phone"
    )
    assert request.amount == D("300.00")
    with pytest.raises(PermissionDeniedError):
        approval_decide(request_id=request.id, actor=alice, decision=Decision.APPROVE)
    approval_decide(request_id=request.id, actor=fiona, decision=Decision.APPROVE)
    invoice.refresh_from_db()
    assert invoice.match_status == MatchStatus.VARIANCE_APPROVED and invoice.payment_hold
    assert ExceptionItem.objects.get(trace_key=f"invoice:{invoice.id}:match").status == "resolved"
    # A manual payment of a bill still behind the posting gate is refused.
    with pytest.raises(ApplicationError) as refused:
        payment_record(
            vendor=invoice.vendor,
            amount="10300",
            currency="EUR",
            paid_on=date(2026, 4, 20),
            source="manual",
            allocations=[{"invoice": invoice, "amount": "10300"}],
        )
    assert refused.value.code == "payment_not_allowed"
    posting = pending_request(invoice, DocumentType.POSTING)
    approval_decide(request_id=posting.id, actor=fiona, decision=Decision.APPROVE)
    invoice.refresh_from_db()
    assert invoice.status == "approved" and not invoice.payment_hold
    assert posting_gate_passed(target=invoice)
    payment = payment_record(
        vendor=invoice.vendor,
        amount="5000",
        currency="EUR",
        paid_on=date(2026, 4, 20),
        source="manual",
        allocations=[{"invoice": invoice, "amount": "5000"}],
        recorded_by=fiona,
    )
    invoice.refresh_from_db()
    assert invoice.status == "partially_paid" and invoice.open_amount == D("5300.00")
    payment_record(
        vendor=invoice.vendor,
        amount="5300",
        currency="EUR",
        paid_on=date(2026, 5, 20),
        source="odoo",
        external_ref="account.payment,77",
        allocations=[{"invoice": invoice, "amount": "5300"}],
    )
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert payment.unallocated_amount == D("0.00")


def test_structural_problems_cannot_be_approved_as_a_variance(procure, vendors, school, rob):
    invoice = invoice_record(
        vendor=vendors["readymix"],
        number="X-1",
        invoice_date=date(2026, 4, 1),
        currency="EUR",
        project=school,
        lines=[{"description": "?", "quantity": "1", "unit_price": "10"}],
    )
    with pytest.raises(ApplicationError) as refused:
        invoice_variance_request(invoice=invoice, actor=rob, comment="pay it")
    assert refused.value.code == "variance_not_approvable"


def test_odoo_payment_on_a_held_bill_is_recorded_and_flagged(procure):
    invoice = held_invoice(procure)
    payment = payment_record(
        vendor=invoice.vendor,
        amount="10300",
        currency="EUR",
        paid_on=date(2026, 4, 20),
        source="odoo",
        external_ref="account.payment,5",
        allocations=[{"invoice": invoice, "amount": "10300"}],
    )
    again = payment_record(
        vendor=invoice.vendor,
        amount="10300",
        currency="EUR",
        paid_on=date(2026, 4, 20),
        source="odoo",
        external_ref="account.payment,5",
        allocations=[{"invoice": invoice, "amount": "10300"}],
    )
    assert again.id == payment.id
    invoice.refresh_from_db()
    assert invoice.paid_amount == D("10300.00")
    item = ExceptionItem.objects.get(trace_key=f"payment:{payment.id}:invoice:{invoice.id}")
    assert (
        item.category == "reconciliation_difference" and "not released for payment" in item.reason
    )
