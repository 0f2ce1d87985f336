"""Manual invoice match (exception action for unmatched invoices and price/quantity variances):
the preview writes nothing and shows the variance per line; confirming records the match, audits
it, resolves the item and sends the bill to the posting gate; a variance beyond tolerance waits
for a second person; the page and the API offer it with the queue's roles and project scope."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

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


def _form(invoice, po, receipts=None, note="Delivery notes 1 and 2"):
    data = {"note": note, "receipts": receipts or [str(r.pk) for r in po.receipts.all()]}
    po_lines = {line.line_no: line.pk for line in po.lines.all()}
    for line in invoice.lines.all():
        data[f"line_{line.pk}"] = str(po_lines[line.line_no])
    return data


def test_page_offers_the_match_previews_the_variance_and_confirms(po, fiona, client_for):
    invoice, item = _unmatched_bill(po, concrete=("80", "121"))
    client = client_for(fiona)
    page = client.get(reverse("exceptions:detail", args=[item.pk])).content.decode()
    assert 'id="manual-match"' in page and f"{po.number} / 1" in page
    for receipt in po.receipts.all():
        assert receipt.number in page
    preview = client.post(
        reverse("exceptions:manual_match_preview", args=[item.pk]),
        _form(invoice, po),
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "240.00" in preview and "beyond tolerance" in preview
    invoice.refresh_from_db()
    assert invoice.commitment_id is None  # the preview changed nothing
    response = client.post(reverse("exceptions:manual_match", args=[item.pk]), _form(invoice, po))
    assert response.status_code == 302
    invoice.refresh_from_db()
    item.refresh_from_db()
    assert invoice.commitment == po and item.status == "waiting"
    follow = client.get(response.url).content.decode()
    assert "waits for a second person" in follow


def test_page_refusal_keeps_the_item_open_with_the_reason(po, fiona, client_for):
    invoice, item = _unmatched_bill(po)
    client = client_for(fiona)
    response = client.post(
        reverse("exceptions:manual_match", args=[item.pk]), _form(invoice, po, note=""), follow=True
    )
    assert "Not matched" in response.content.decode()
    item.refresh_from_db()
    assert item.is_active


def test_unmatched_invoice_queue_links_to_the_manual_match(po, fiona, client_for):
    invoice, item = _unmatched_bill(po)
    page = client_for(fiona).get(reverse("exceptions:unmatched_invoices")).content.decode()
    assert invoice.number in page and po.vendor.code in page
    assert f"{reverse('exceptions:detail', args=[item.pk])}#manual-match" in page


def test_api_preview_and_match_with_the_queue_permissions(po, fiona, pat, bridge, api_client_for):
    invoice, item = _unmatched_bill(po)
    body = {"allocations": _allocations(invoice, po), "note": "matched from the API"}
    url = reverse("exceptions-api:manual_match", args=[item.pk])
    preview_url = reverse("exceptions-api:manual_match_preview", args=[item.pk])
    # Roles outside the queue are refused.
    assert api_client_for(pat).post(url, body, format="json").status_code == 403
    client = api_client_for(fiona)
    preview = client.post(preview_url, body, format="json")
    assert preview.status_code == 200, preview.content
    assert preview.json()["outcome"] == "matched" and preview.json()["lines"][0]["status"]
    response = client.post(url, body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["outcome"] == "matched" and data["posting_request"]
    assert data["item"]["status"] == "resolved"
    assert data["item"]["resolution_action"] == "manual_match"
    # Done once: a second match is refused with the error shape.
    again = client.post(url, body, format="json")
    assert again.status_code == 409


def test_api_hides_items_of_other_projects(po, fiona, bridge, api_client_for):
    from apps.exceptions.services import exception_open

    other = exception_open(
        category="unmatched_invoice",
        title="Bridge bill",
        reason="no PO",
        trace_key="invoice:bridge:test",
        project=bridge,
        details={"invoice": 1},
    )
    response = api_client_for(fiona).post(
        reverse("exceptions-api:manual_match_preview", args=[other.pk]),
        {"allocations": [], "note": ""},
        format="json",
    )
    assert response.status_code == 404


def test_manual_match_posts_the_bill_in_odoo(
    odoo_sim,
    odoo_target,
    make_inbound,
    drain,
    school_budget,
    rob,
    alice,
    sam,
    fiona,
    ada,
    authority,
    client_for,
):
    """A bill keyed in Odoo without its PO is pulled, held as an unmatched invoice; fiona
    matches it by hand on the page; the release goes to Odoo and, once the accounting approver
    opens the gate, the vendor bill is posted in the Odoo simulator."""
    from apps.connectors.registry import connector_for
    from apps.ledger.models import Transaction
    from apps.procurement.choices import VendorStatus
    from apps.procurement.models import Invoice
    from apps.procurement.services import (
        commitment_create,
        commitment_submit,
        receipt_record,
        vendor_upsert,
    )
    from apps.sync.services import mapping_save

    mapping_save(
        actor=ada,
        kind="cost_code",
        system=odoo_target,
        external_value="03 30 00",
        canonical_value="03 31 13",
    )
    (partner,) = odoo_sim.records("res.partner", ["id"], [("ref", "=", "V-1002")])
    vendor = vendor_upsert(
        code="V-1002",
        name="Elbe Readymix Beton GmbH",
        status=VendorStatus.APPROVED,
        insurance_expiry=date(2030, 1, 1),
        external_ref=str(partner["id"]),
    )
    po = commitment_create(
        project=school_budget.project,
        vendor=vendor,
        kind="purchase_order",
        title="Ready-mix",
        lines=[
            {
                "budget_line": school_budget.line("P1", "03 31 13"),
                "product_code": "CON-C3037",
                "description": "Ready-mix C30/37",
                "quantity": "100",
                "unit_price": "118",
            }
        ],
        created_by=rob,
    )
    commitment_submit(commitment=po, actor=rob)
    approval_decide(request_id=pending_request(po).id, actor=alice, decision=Decision.APPROVE)
    po.refresh_from_db()
    receipt_record(
        commitment=po, received_by=sam, lines=[{"line": po.lines.get(), "quantity": "60"}]
    )
    drain()
    (product,) = odoo_sim.records("product.product", ["id"], [("default_code", "=", "CON-C3037")])
    bill_id = odoo_sim.call(
        "account.move",
        "create",
        [
            {
                "move_type": "in_invoice",
                "partner_id": partner["id"],
                "ref": "ELB-9001",
                "invoice_date": "2026-03-02",
                "invoice_line_ids": [
                    [
                        0,
                        0,
                        {
                            "product_id": product["id"],
                            "name": "Concrete",
                            "quantity": 60,
                            "price_unit": 118.0,
                        },
                    ]
                ],
            }
        ],
    )
    bill_id = bill_id[0] if isinstance(bill_id, list) else bill_id
    connector = connector_for(odoo_target)
    (record,) = [r for r in connector.pull(domain="invoice").records if r["number"] == "ELB-9001"]
    connector.close()
    make_inbound(
        odoo_target,
        "invoice",
        record,
        key=record["idempotency_key"],
        external_id=str(record["external_id"]),
        trigger="poll",
    )
    drain()
    invoice = Invoice.objects.get(number="ELB-9001")
    assert invoice.commitment_id is None and invoice.status == "held"
    item = ExceptionItem.objects.get(trace_key=f"invoice:{invoice.pk}:match")
    assert item.category == "unmatched_invoice"

    response = client_for(fiona).post(
        reverse("exceptions:manual_match", args=[item.pk]),
        {
            f"line_{invoice.lines.get().pk}": str(po.lines.get().pk),
            "receipts": [str(po.receipts.get().pk)],
            "note": "Delivery note ELB-DN-3 names the PO",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "resolved" and item.resolution_action == "manual_match"
    drain()
    release = Transaction.objects.filter(
        direction="outbound", domain="invoice", operation="match_result"
    ).latest("pk")
    assert release.status == "delivered", release.last_error_message
    (bill,) = odoo_sim.records(
        "account.move", ["state", "release_to_pay_manual"], [("id", "=", bill_id)]
    )
    assert bill == {**bill, "state": "draft", "release_to_pay_manual": "yes"}

    approval_decide(
        request_id=pending_request(invoice, DocumentType.POSTING).id,
        actor=fiona,
        decision=Decision.APPROVE,
    )
    drain()
    post = Transaction.objects.get(direction="outbound", domain="invoice", operation="post")
    assert post.status == "delivered", post.last_error_message
    (bill,) = odoo_sim.records("account.move", ["state"], [("id", "=", bill_id)])
    assert bill["state"] == "posted"


def test_po_lines_of_a_project_the_reviewer_does_not_work_on_are_refused(
    po, bridge, api_client_for
):
    from apps.accounts import roles
    from apps.accounts.services import user_create

    fred = user_create(
        username="fred", password="x-Pass-12345", roles=[roles.FINANCE], projects=[bridge]
    )
    invoice, item = _unmatched_bill(po)  # no project yet: every reviewer sees the item
    body = {"allocations": _allocations(invoice, po), "note": "not mine"}
    client = api_client_for(fred)
    for name in ("manual_match_preview", "manual_match"):
        response = client.post(
            reverse(f"exceptions-api:{name}", args=[item.pk]), body, format="json"
        )
        assert response.status_code == 403, response.content
    invoice.refresh_from_db()
    item.refresh_from_db()
    assert invoice.commitment_id is None and item.is_active
