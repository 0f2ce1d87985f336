"""Finance journey (issue #11) on the exception workbench: fiona works the unmatched-invoice
queue, matches a bill by hand (picks the PO lines and receipts, sees the variance, confirms),
then remaps estimating's cost code and watches the held budget versions delivered to Odoo."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from apps.exceptions.models import ExceptionItem
from apps.exceptions.services import exception_category_configs_seed
from apps.ledger.models import Transaction
from apps.sync.services import sor_rules_seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _unmatched_bill(procure):
    """PO-000001: 100 m3 concrete at 118 and 20 t rebar at 900, 80 m3 + 20 t received on two
    receipts; the vendor's bill RMX-777 names no PO and charges 119 for the concrete."""
    from apps.procurement import outbound
    from apps.procurement.services import invoice_record, match_tolerance_set

    with outbound.suspended("browser journey history"):
        po = procure.issued_commitment(
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
        procure.receive(po, {1: "50", 2: "20"})
        procure.receive(po, {1: "30"})
        match_tolerance_set(actor=None, price_pct="2", price_amount="500")
        invoice = invoice_record(
            vendor=po.vendor,
            number="RMX-777",
            invoice_date=date(2026, 3, 1),
            currency="EUR",
            lines=[
                {"description": "Concrete C30/37", "quantity": "80", "unit_price": "119"},
                {"description": "Rebar", "quantity": "20", "unit_price": "900"},
            ],
        )
    return po, invoice


def _held_budget_versions(make_inbound, estimating):
    return [
        make_inbound(
            estimating,
            "budget_line",
            {
                "budget_id": "EST-SCH-001",
                "version": version,
                "project": "SCH-001",
                "currency": "EUR",
                "lines": [
                    {
                        "phase": "P1",
                        "cost_code": "03-300",
                        "description": "Concrete",
                        "amount": f"{amount}.00",
                    }
                ],
            },
            operation="import",
        )
        for version, amount in ((1, 210000), (2, 215000))
    ]


def _deliver_all(drain):
    """Run the dispatcher; revisions of the same Odoo record wait a second behind each other,
    so bring those due instead of waiting."""
    for _ in range(3):
        Transaction.objects.filter(direction="outbound", status="pending").update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )
        drain()


def test_fiona_matches_a_bill_by_hand_then_remaps_a_cost_code(
    request, live_server, login, screenshot, fiona, ada, procure, sync_systems, make_inbound, drain
):
    sor_rules_seed()
    exception_category_configs_seed()
    po, invoice = _unmatched_bill(procure)
    bill_item = ExceptionItem.objects.get(trace_key=f"invoice:{invoice.pk}:match")

    # 1. The unmatched-invoice queue: the bill, its vendor, and a way to match it.
    page = login("fiona")
    page.goto(f"{live_server.url}/exceptions/unmatched-invoices/")
    row = page.locator(f"tr[data-item='{bill_item.pk}']")
    assert "RMX-777" in row.inner_text() and "V-RMX" in row.inner_text()
    screenshot("exceptions-unmatched-invoice-queue")
    row.get_by_role("link", name="Match by hand").click()
    page.wait_for_url(f"**/exceptions/{bill_item.pk}/**")

    # 2. Pick the PO lines and the receipts; the variance shows before confirming.
    form = page.locator("#manual-match-form")
    lines = {line.line_no: line.pk for line in invoice.lines.all()}
    po_lines = {line.line_no: line.pk for line in po.lines.all()}
    for line_no, line_id in lines.items():
        form.locator(f"select[name=line_{line_id}]").select_option(str(po_lines[line_no]))
    for receipt in po.receipts.all():
        form.locator(f"input[name=receipts][value='{receipt.pk}']").check()
    verdict = page.locator("#manual-match-verdict")
    verdict.wait_for()
    page.wait_for_function(
        "document.querySelectorAll('#manual-match-preview tr[data-line]').length === 2"
    )
    page.get_by_text("Within tolerance: 80.00 EUR").wait_for()
    concrete = page.locator("#manual-match-preview tr[data-line='1']").inner_text()
    assert "119" in concrete and "118" in concrete and "80.00" in concrete
    screenshot("exceptions-manual-match-preview")
    form.locator("textarea[name=note]").fill("Delivery notes DN-1 and DN-2 name PO-000001")
    form.get_by_role("button", name="Confirm match").click()
    page.wait_for_url(f"**/exceptions/{bill_item.pk}/")
    assert f"Matched to {po.number}" in page.inner_text(".messages")
    assert page.inner_text("#item-status") == "Resolved"
    screenshot("exceptions-manual-match-done")
    invoice.refresh_from_db()
    assert invoice.commitment == po and invoice.match_status == "matched_within_tolerance"

    # 3. Estimating's budget versions carry its own cost code 03-300: held on one item.
    odoo_sim = request.getfixturevalue("odoo_sim")
    odoo_target = request.getfixturevalue("odoo_target")
    from apps.sync.services import mapping_save, sync_policy_save

    mapping_save(
        actor=ada,
        kind="cost_code",
        system=odoo_target,
        external_value="03 30 00",
        canonical_value="03 31 13",
    )
    sync_policy_save(
        actor=ada,
        domain="budget_line",
        source_system=sync_systems.estimating,
        target_system=odoo_target,
    )
    held = _held_budget_versions(make_inbound, sync_systems.estimating)
    drain()
    cost_item = ExceptionItem.objects.get(category="cost_code_error")
    page.goto(f"{live_server.url}/exceptions/cost-codes/")
    page.click(f"a[href='/exceptions/{cost_item.pk}/'] >> nth=0")
    page.wait_for_url(f"**/exceptions/{cost_item.pk}/")
    assert page.locator("#exc-transactions .status-held").count() == 2
    page.fill("#fix-mapping input[name=canonical_value]", "03 31 13")
    page.click("#fix-mapping button[type=submit]")
    page.wait_for_url(f"**/exceptions/{cost_item.pk}/")
    assert "Mapping saved" in page.inner_text(".messages")

    # The dispatcher's part, done here; the page's own polling shows the outcome.
    _deliver_all(drain)
    page.locator("#exc-transactions .status-delivered").nth(1).wait_for(timeout=20_000)
    assert page.locator("#exc-transactions .status-held").count() == 0
    # Each replayed version went on to Odoo: the onward deliveries show on the same rows.
    page.locator("#exc-transactions td.onward .status-delivered").nth(1).wait_for(timeout=20_000)
    assert "odoo-sim budget_line" in page.inner_text("#exc-transactions")
    screenshot("exceptions-cost-code-remap-to-odoo")
    ids = [t.pk for t in held]
    outbound = Transaction.objects.filter(parent_id__in=ids, direction="outbound")
    assert outbound.count() == 2 and set(outbound.values_list("status", flat=True)) == {"delivered"}
    budget = odoo_sim.records(
        "budget.analytic", ["id"], [("name", "=", "SCH-001 Construction budget")]
    )[0]
    assert odoo_sim.records("budget.line", ["id"], [("budget_analytic_id", "=", budget["id"])])
