"""The 3-way match: every outcome, tolerance edges (percentage and absolute, vendor and project),
partial deliveries and several bills per PO, credit notes, retention withheld and released."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from apps.audit.models import AuditEntry
from apps.exceptions.models import ExceptionItem
from apps.procurement.choices import BillingBasis, CommitmentKind, MatchStatus
from apps.procurement.models import InvoiceMatch
from apps.procurement.services import (
    budget_lines_recompute,
    commitment_complete,
    invoice_match,
    invoice_record,
    invoice_reject,
    match_tolerance_set,
)

D = Decimal
TODAY = date(2026, 3, 31)


@pytest.fixture
def po(procure):
    """1,000 m3 of concrete at 100.00 (100,000 EUR), approved by dora, issued."""
    return procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "1000", "unit_price": "100"}],
        approver=procure_director(procure),
    )


def procure_director(procure):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="dora")


def bill(po, number, quantity, unit_price="100", *, kind="invoice", **extra):
    return invoice_record(
        vendor=extra.pop("vendor", po.vendor),
        number=number,
        invoice_date=extra.pop("invoice_date", TODAY),
        currency="EUR",
        commitment=po,
        kind=kind,
        lines=[
            {
                "commitment_line": po.lines.get(line_no=1).id,
                "quantity": quantity,
                "unit_price": unit_price,
            }
        ],
        **extra,
    )


def reasons(invoice):
    invoice.refresh_from_db()
    return [
        r["code"]
        for r in invoice.match_reasons
        if not r.get("tolerated")
        and r["code"]
        in {
            "no_po",
            "commitment_not_open",
            "vendor_mismatch",
            "currency_mismatch",
            "no_receipt",
            "over_billed_quantity",
            "over_billed_order",
            "price_variance",
            "over_retention",
            "under_retention",
            "retention_release_not_due",
            "over_release_retention",
            "credit_exceeds_billed",
            "total_mismatch",
            "vendor_ineligible",
        }
    ]


def test_exact_bill_on_received_goods_matches_and_goes_to_the_posting_gate(procure, po, dora):
    procure.receive(po, {1: "400"})
    invoice = bill(po, "RMX-1", "400")
    assert invoice.match_status == MatchStatus.MATCHED
    assert invoice.status == "matched" and invoice.payment_hold is True
    assert invoice.payable_amount == D("40000.00")
    from apps.approvals.selectors import approval_requests_for

    posting = approval_requests_for(target=invoice).get()
    assert posting.document_type == "posting" and posting.amount == D("40000.00")


def test_no_po_opens_an_unmatched_invoice_exception(procure, vendors, school):
    invoice = invoice_record(
        vendor=vendors["readymix"],
        number="RMX-NOPO",
        invoice_date=TODAY,
        currency="EUR",
        project=school,
        lines=[{"description": "concrete", "quantity": "10", "unit_price": "100"}],
    )
    assert invoice.match_status == MatchStatus.EXCEPTION and invoice.status == "held"
    assert reasons(invoice) == ["no_po", "no_po"]
    item = ExceptionItem.objects.get(trace_key=f"invoice:{invoice.id}:match")
    assert item.category == "unmatched_invoice"
    assert "names no purchase order" in item.reason
    assert item.amount_at_risk == D("1000.00")


def test_bill_before_any_receipt_is_a_missing_receipt(procure, po):
    invoice = bill(po, "RMX-2", "100")
    assert reasons(invoice) == ["no_receipt"]
    item = ExceptionItem.objects.get(trace_key=f"invoice:{invoice.id}:match")
    assert item.category == "missing_receipt"
    # The receipt arrives: matching again clears the exception and closes the item.
    procure.receive(po, {1: "100"})
    invoice_match(invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.match_status == MatchStatus.MATCHED
    item.refresh_from_db()
    assert item.status == "resolved"
    assert InvoiceMatch.objects.filter(invoice=invoice).count() == 2


def test_partial_deliveries_and_several_bills_compare_cumulative_quantities(procure, po):
    procure.receive(po, {1: "300"})
    first = bill(po, "RMX-3a", "300")
    assert first.match_status == MatchStatus.MATCHED
    procure.receive(po, {1: "200"})
    second = bill(po, "RMX-3b", "200")
    assert second.match_status == MatchStatus.MATCHED
    # 550 billed against 500 received: the third bill over-bills by 50 m3.
    third = bill(po, "RMX-3c", "50")
    assert reasons(third) == ["over_billed_quantity"]
    third.refresh_from_db()
    assert third.variance_amount == D("5000.00")
    assert (
        "550.0000 ea billed to date against 500.0000 received" in third.match_reasons[0]["message"]
    )
    line = po.lines.get()
    line.refresh_from_db()
    assert line.invoiced_quantity == D("550") and line.received_quantity == D("500")


@pytest.mark.parametrize(
    ("billed", "outcome"),
    [
        ("102", MatchStatus.WITHIN_TOLERANCE),  # +2 m3 on 100 received: 2.00 %, 200 EUR
        ("102.01", MatchStatus.EXCEPTION),  # 2.01 %: over the percentage
    ],
)
def test_quantity_tolerance_percentage_edge(procure, po, ada, billed, outcome):
    match_tolerance_set(actor=ada, project=po.project, quantity_pct="2", quantity_amount="1000")
    procure.receive(po, {1: "100"})
    invoice = bill(po, f"RMX-Q{billed}", billed)
    assert invoice.match_status == outcome


def test_quantity_tolerance_absolute_amount_is_the_stricter_limit(procure, po, ada):
    match_tolerance_set(actor=ada, project=po.project, quantity_pct="5", quantity_amount="150")
    procure.receive(po, {1: "100"})
    # +1.5 m3 = 150.00 EUR: within both.
    assert bill(po, "RMX-A1", "101.5").match_status == MatchStatus.WITHIN_TOLERANCE
    # +0.01 more: 151.00 EUR, over the absolute limit though only 1.51 %.
    assert bill(po, "RMX-A2", "0.01").match_status == MatchStatus.EXCEPTION


@pytest.mark.parametrize(
    ("unit_price", "outcome", "reason"),
    [
        ("100", MatchStatus.MATCHED, []),
        ("101", MatchStatus.WITHIN_TOLERANCE, []),  # +1.00 %, 100 EUR on 100 m3
        ("101.01", MatchStatus.EXCEPTION, ["price_variance"]),  # +1.01 %
        ("95", MatchStatus.MATCHED, []),  # below the PO: in our favour, noted
    ],
)
def test_price_tolerance_edges(procure, po, ada, unit_price, outcome, reason):
    match_tolerance_set(actor=ada, project=po.project, price_pct="1", price_amount="500")
    procure.receive(po, {1: "100"})
    invoice = bill(po, f"RMX-P{unit_price}", "100", unit_price)
    assert invoice.match_status == outcome
    assert reasons(invoice) == reason


def test_within_tolerance_is_recorded_with_its_figures(procure, po, ada):
    match_tolerance_set(actor=ada, project=po.project, price_pct="1")
    procure.receive(po, {1: "100"})
    invoice = bill(po, "RMX-T", "100", "100.50")
    record = InvoiceMatch.objects.get(invoice=invoice)
    assert record.outcome == MatchStatus.WITHIN_TOLERANCE
    assert record.tolerance["source"] == "project SCH-001"
    assert Decimal(record.tolerance["price_pct"]) == Decimal("1")
    assert record.reasons[0]["tolerated"] is True
    assert invoice.variance_amount == D("50.00")
    audit = AuditEntry.objects.filter(action="invoice.match").last()
    assert audit.detail["outcome"] == "matched_within_tolerance"


def test_vendor_tolerance_wins_over_project_tolerance(procure, po, ada):
    match_tolerance_set(actor=ada, project=po.project, price_pct="5")
    match_tolerance_set(actor=ada, vendor=po.vendor, price_pct="0.5")
    procure.receive(po, {1: "100"})
    invoice = bill(po, "RMX-V", "100", "101")
    assert invoice.match_status == MatchStatus.EXCEPTION
    assert InvoiceMatch.objects.get(invoice=invoice).tolerance["source"] == "vendor V-RMX"


def test_no_tolerance_configured_requires_an_exact_match(procure, po):
    procure.receive(po, {1: "100"})
    assert reasons(bill(po, "RMX-E", "100", "100.01")) == ["price_variance"]


def test_services_billed_on_ordered_quantities_need_no_receipt_but_not_more_than_ordered(procure):
    po = procure.issued_commitment(
        title="Site fencing hire",
        lines=[
            {
                "phase": "P1",
                "cost_code": "31 23 16",
                "quantity": "10",
                "unit": "week",
                "unit_price": "500",
                "billing_basis": BillingBasis.ORDERED,
            }
        ],
    )
    assert bill(po, "F-1", "10", "500").match_status == MatchStatus.MATCHED
    assert reasons(bill(po, "F-2", "1", "500")) == ["over_billed_order"]


def test_credit_note_reduces_billed_quantity_and_cannot_exceed_it(procure, po):
    procure.receive(po, {1: "100"})
    bill(po, "RMX-C1", "100")
    over = bill(po, "RMX-C2", "10")
    assert reasons(over) == ["over_billed_quantity"]
    credit = bill(po, "RMX-CN1", "10", kind="credit_note")
    assert credit.match_status == MatchStatus.MATCHED
    line = po.lines.get()
    line.refresh_from_db()
    assert line.invoiced_quantity == D("100")
    # The held bill, matched again, is still over-billed: it came before the credit note.
    invoice_match(invoice=over)
    # Rejecting it is how finance settles it; the figures follow.
    invoice_reject(invoice=over, actor=procure.rob, reason="duplicate delivery")
    line.refresh_from_db()
    assert line.invoiced_quantity == D("90")
    too_much = bill(po, "RMX-CN2", "95", kind="credit_note")
    assert reasons(too_much) == ["credit_exceeds_billed"]
    assert budget_lines_recompute(project=po.project) == {}


def test_vendor_and_commitment_problems(procure, po, vendors):
    procure.receive(po, {1: "10"})
    wrong_vendor = bill(po, "STL-1", "10", vendor=vendors["steel"])
    assert "vendor_mismatch" in reasons(wrong_vendor)
    invoice_reject(invoice=wrong_vendor, actor=procure.rob, reason="not their PO")
    vendors["readymix"].status = "blocked"
    vendors["readymix"].blocked_reason = "fraud investigation"
    vendors["readymix"].save()
    held = bill(po, "RMX-B", "10")
    assert reasons(held) == ["vendor_ineligible"]
    assert (
        ExceptionItem.objects.get(trace_key=f"invoice:{held.id}:match").category
        == "compliance_hold"
    )


def test_stated_total_must_agree_with_lines_tax_and_retention(procure, po):
    procure.receive(po, {1: "11"})
    ok = bill(po, "RMX-TT1", "10", tax_amount="210", stated_total="1210")
    assert ok.match_status == MatchStatus.MATCHED
    wrong = bill(po, "RMX-TT2", "1", tax_amount="21", stated_total="130")
    assert reasons(wrong) == ["total_mismatch"]


def test_same_bill_twice_is_idempotent_and_a_reused_number_is_refused(procure, po):
    from apps.core.errors import ApplicationError

    procure.receive(po, {1: "10"})
    first = bill(po, "RMX-D", "10", external_ref="odoo:41")
    again = bill(po, "RMX-D", "10", external_ref="odoo:41")
    assert again.id == first.id
    with pytest.raises(ApplicationError) as refused:
        bill(po, "RMX-D", "5", external_ref="odoo:99")
    assert refused.value.code == "duplicate_invoice"


# --- retention ----------------------------------------------------------------------------------


@pytest.fixture
def subcontract(procure):
    """Drylining subcontract 100,000 EUR, 5 % retention capped at 3 % of the contract value,
    half released at practical completion."""
    return procure.issued_commitment(
        kind=CommitmentKind.SUBCONTRACT,
        vendor="steel",
        title="Drylining package",
        lines=[
            {
                "phase": "P3",
                "cost_code": "09 21 16",
                "quantity": "1",
                "unit": "ls",
                "unit_price": "100000",
            }
        ],
        approver=procure_director(procure),
        retention_pct="5",
        retention_cap_pct="3",
        retention_release_at_completion_pct="50",
    )


def certify(procure, subcontract, percent):
    from apps.procurement.services import progress_claim_certify, progress_claim_submit

    line = subcontract.lines.get()
    claim = progress_claim_submit(
        commitment=subcontract,
        submitted_by=procure.rob,
        period_end=TODAY + timedelta(days=int(percent)),
        lines=[{"line": line, "percent_complete": percent}],
    )
    return progress_claim_certify(claim=claim, certified_by=procure.sam)


def test_retention_is_withheld_per_terms_and_capped(procure, subcontract):
    certify(procure, subcontract, "40")
    first = bill(subcontract, "DL-1", "0.4", "100000")
    assert first.retention_withheld == D("2000.00")  # 5 % of 40,000
    assert first.payable_amount == D("38000.00")
    certify(procure, subcontract, "80")
    second = bill(subcontract, "DL-2", "0.4", "100000")
    # 5 % would be 2,000, but the cap is 3 % of 100,000 = 3,000 held in total.
    assert second.retention_withheld == D("1000.00")
    assert second.match_status == MatchStatus.MATCHED
    subcontract.refresh_from_db()
    assert subcontract.retention_held == D("3000.00")


def test_stated_retention_above_terms_is_over_retention_and_below_is_under(procure, subcontract):
    certify(procure, subcontract, "25")
    over = bill(subcontract, "DL-O", "0.1", "100000", retention_stated="600")
    assert reasons(over) == ["over_retention"]
    assert "allow 500.00" in over.match_reasons[0]["message"]
    under = bill(subcontract, "DL-U", "0.1", "100000", retention_stated="0")
    assert reasons(under) == ["under_retention"]
    exact = bill(subcontract, "DL-X", "0.05", "100000", retention_stated="250")
    assert exact.match_status == MatchStatus.MATCHED


def test_retention_release_only_when_due_and_never_above_what_is_held(procure, subcontract):
    certify(procure, subcontract, "60")
    bill(subcontract, "DL-1", "0.6", "100000")  # withholds 3,000 (the cap)
    early = invoice_record(
        vendor=subcontract.vendor,
        number="DL-R1",
        invoice_date=TODAY,
        currency="EUR",
        commitment=subcontract,
        lines=[],
        retention_released="1500",
    )
    assert reasons(early) == ["retention_release_not_due"]
    invoice_reject(invoice=early, actor=procure.rob, reason="not due yet")
    commitment_complete(
        commitment=subcontract,
        actor=procure.rob,
        practical_completion_date=TODAY,
        defects_liability_end=TODAY + timedelta(days=365),
    )
    half = invoice_record(
        vendor=subcontract.vendor,
        number="DL-R2",
        invoice_date=TODAY + timedelta(days=1),
        currency="EUR",
        commitment=subcontract,
        lines=[],
        retention_released="1500",
    )
    assert half.match_status == MatchStatus.MATCHED and half.payable_amount == D("1500.00")
    more = invoice_record(
        vendor=subcontract.vendor,
        number="DL-R3",
        invoice_date=TODAY + timedelta(days=2),
        currency="EUR",
        commitment=subcontract,
        lines=[],
        retention_released="100",
    )
    assert reasons(more) == ["retention_release_not_due"]
    invoice_reject(invoice=more, actor=procure.rob, reason="second half after the DLP")
    final = invoice_record(
        vendor=subcontract.vendor,
        number="DL-R4",
        invoice_date=TODAY + timedelta(days=400),
        currency="EUR",
        commitment=subcontract,
        lines=[],
        retention_released="1600",
    )
    assert reasons(final) == ["over_release_retention"]
