"""Manual invoice match (exception action for unmatched invoices and price/quantity variances):
the preview writes nothing and shows the variance per line; confirming records the match, audits
it, resolves the item and sends the bill to the posting gate; a variance beyond tolerance waits
for a second person; the page and the API offer it with the queue's roles and project scope."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from apps.approvals.choices import Decision, DocumentType
from apps.approvals.models import AuthorityRule
from apps.approvals.services import approval_decide
from apps.audit.models import AuditEntry
from apps.core.errors import ApplicationError
from apps.exceptions.manual_match import exception_manual_match
from apps.exceptions.models import ExceptionItem
from apps.procurement.models import InvoiceMatch
from apps.procurement.services import invoice_record
from apps.procurement.services.manual_match import invoice_match_preview
from tests.plugins.procurement import pending_request

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def po(procure):
    """Two lines: 100 m3 of concrete at 118.00 and 20 t of rebar at 900.00; 80 m3 and 20 t
    received on two site receipts."""
    commitment = procure.issued_commitment(
        lines=[
            {
                "phase": "P1",
                "cost_code": "03 31 13",
                "description": "Ready-mix C30/37",
                "quantity": "100",
                "unit": "m3",
                "unit_price": "118",
            },
            {
                "phase": "P1",
                "cost_code": "03 31 13",
                "description": "Rebar B500",
                "quantity": "20",
                "unit": "t",
                "unit_price": "900",
            },
        ]
    )
    procure.receive(commitment, {1: "50", 2: "20"})
    procure.receive(commitment, {1: "30"})
    return commitment


def _unmatched_bill(po, *, number="RMX-501", concrete=("80", "118"), rebar=("20", "900")):
    """The vendor's bill names no PO: the 3-way match holds it as an unmatched invoice."""
    invoice = invoice_record(
        vendor=po.vendor,
        number=number,
        invoice_date=date(2026, 3, 1),
        currency="EUR",
        lines=[
            {"description": "Concrete", "quantity": concrete[0], "unit_price": concrete[1]},
            {"description": "Steel", "quantity": rebar[0], "unit_price": rebar[1]},
        ],
    )
    item = ExceptionItem.objects.get(trace_key=f"invoice:{invoice.pk}:match")
    assert item.category == "unmatched_invoice" and invoice.status == "held"
    return invoice, item


def _allocations(invoice, po, receipts=None):
    receipts = receipts if receipts is not None else [r.pk for r in po.receipts.all()]
    po_lines = {line.line_no: line.pk for line in po.lines.all()}
    return [
        {"invoice_line": line.pk, "commitment_line": po_lines[line.line_no], "receipts": receipts}
        for line in invoice.lines.order_by("line_no")
    ]


def test_preview_shows_the_variance_per_line_and_writes_nothing(po):
    invoice, item = _unmatched_bill(po, concrete=("90", "120"))
    matches, audits = InvoiceMatch.objects.count(), AuditEntry.objects.count()
    preview = invoice_match_preview(invoice=invoice, allocations=_allocations(invoice, po))
    concrete, steel = preview["lines"]
    # 90 m3 billed, 80 received on the two receipts: 10 over at 118 = 1180; price +2.00 × 90.
    assert concrete["picked_received"] == D("80") and concrete["quantity_variance"] == D("10")
    assert concrete["quantity_variance_amount"] == D("1180.00")
    assert concrete["price_variance"] == D("2.00")
    assert concrete["price_variance_amount"] == D("180.00")
    assert concrete["amount_variance"] == D("1360.00")
    assert concrete["status"] == "exception"
    assert steel["status"] == "matched" and steel["at_risk"] == D("0.00")
    assert preview["variance_amount"] == D("1360.00")
    assert preview["outcome"] == "exception" and preview["needs_approval"] is True
    # Nothing written: the bill is still unmatched, no match or audit row was added.
    invoice.refresh_from_db()
    assert invoice.commitment_id is None and invoice.lines.filter(commitment_line=None).count() == 2
    assert (InvoiceMatch.objects.count(), AuditEntry.objects.count()) == (matches, audits)


def test_picking_fewer_receipts_shows_the_quantity_not_covered(po):
    invoice, _item = _unmatched_bill(po)
    first = po.receipts.order_by("number").first()
    preview = invoice_match_preview(
        invoice=invoice, allocations=_allocations(invoice, po, [first.pk])
    )
    concrete = preview["lines"][0]
    assert concrete["receipts"] == [first.number] and concrete["picked_received"] == D("50")
    assert concrete["quantity_variance"] == D("30") and preview["outcome"] == "exception"


def test_manual_match_within_tolerance_resolves_the_item_and_opens_the_posting_gate(po, fiona):
    invoice, item = _unmatched_bill(po)
    result = exception_manual_match(
        item=item,
        actor=fiona,
        allocations=_allocations(invoice, po),
        note="PO on the delivery note",
    )
    assert result.released and result.posting_request is not None
    invoice.refresh_from_db()
    assert invoice.commitment == po and invoice.status == "matched"
    assert invoice.match_status == "matched" and invoice.variance_amount == D("0.00")
    assert {line.commitment_line.line_no for line in invoice.lines.all()} == {1, 2}
    # The billed-to-date facts moved to the PO lines.
    assert po.lines.get(line_no=1).invoiced_quantity == D("80")
    assert po.lines.get(line_no=2).invoiced_amount == D("18000.00")
    record = InvoiceMatch.objects.filter(invoice=invoice).latest("pk")
    assert record.outcome == "matched" and record.matched_by == fiona
    assert record.lines[0]["manual"] is True and len(record.lines[0]["receipts"]) == 2
    assert any(r["code"] == "manual_match" for r in record.reasons)
    item.refresh_from_db()
    assert item.status == "resolved" and item.resolution_action == "manual_match"
    assert item.resolved_by == fiona and "PO on the delivery note" in item.resolution_note
    entry = AuditEntry.objects.get(action="invoice.match_manual")
    assert entry.detail["commitment"] == po.number and entry.detail["note"]
    assert pending_request(invoice, DocumentType.POSTING).amount == invoice.payable_amount


def test_variance_beyond_tolerance_needs_a_second_person(po, fiona, dora):
    invoice, item = _unmatched_bill(po, concrete=("80", "121"))
    result = exception_manual_match(
        item=item, actor=fiona, allocations=_allocations(invoice, po), note="price rise agreed"
    )
    assert not result.released and result.variance_request is not None
    invoice.refresh_from_db()
    assert invoice.status == "held" and invoice.variance_amount == D("240.00")
    item.refresh_from_db()
    assert item.status == "waiting" and "variance approval" in item.comments.last().body
    # fiona asked: she cannot approve her own variance, even within her authority.
    with pytest.raises(ApplicationError):
        approval_decide(
            request_id=result.variance_request.pk, actor=fiona, decision=Decision.APPROVE
        )
    AuthorityRule.objects.create(
        user=dora, document_type=DocumentType.INVOICE_VARIANCE, currency="EUR"
    )
    approval_decide(request_id=result.variance_request.pk, actor=dora, decision=Decision.APPROVE)
    invoice.refresh_from_db()
    assert invoice.match_status == "variance_approved"
    item.refresh_from_db()
    assert item.status == "resolved"
    assert pending_request(invoice, DocumentType.POSTING)


@pytest.mark.parametrize(
    ("tweak", "code"),
    [
        ("other_vendor", "vendor_mismatch"),
        ("missing_line", "allocations_incomplete"),
        ("no_note", "note_required"),
        ("foreign_receipt", "receipt_not_on_commitment"),
    ],
)
def test_manual_match_refusals(po, procure, fiona, tweak, code):
    invoice, item = _unmatched_bill(po)
    allocations = _allocations(invoice, po)
    note = "checked"
    if tweak == "other_vendor":
        other = procure.issued_commitment(
            vendor="steel",
            lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "1", "unit_price": "1"}],
        )
        for allocation in allocations:
            allocation["commitment_line"] = other.lines.get().pk
    elif tweak == "missing_line":
        allocations = allocations[:1]
    elif tweak == "no_note":
        note = " "
    else:
        other = procure.issued_commitment(
            lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "5", "unit_price": "1"}]
        )
        receipt = procure.receive(other, {1: "5"})
        allocations[0]["receipts"] = [receipt.pk]
    with pytest.raises(ApplicationError) as refused:
        exception_manual_match(item=item, actor=fiona, allocations=allocations, note=note)
    assert refused.value.code == code
    invoice.refresh_from_db()
    item.refresh_from_db()
    assert invoice.commitment_id is None and item.is_active
