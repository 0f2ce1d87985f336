"""Requester and approver journey to Odoo: rob's requisition over budget is blocked (saved as a
draft, nothing goes to alice); his requisition within budget is approved by alice on /approvals/
and, once the dispatcher has run, the PO is in the Odoo simulator with the hub's number, vendor
and amount, and the commitment page shows the Odoo record's id."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from apps.approvals.models import ApprovalRequest
from apps.procurement.choices import VendorStatus
from apps.procurement.models import Commitment, Requisition
from apps.procurement.services import vendor_upsert
from apps.sync.services import mapping_save

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fill_requisition(page, url, title, line, quantity, unit_price, product_code=""):
    page.goto(url)
    page.fill("#id_req-title", title)
    page.select_option("#id_req-vendor", label="V-1002 Elbe Readymix Beton GmbH")
    page.select_option("#id_line-0-budget_line", str(line.id))
    if product_code:
        page.fill("#id_line-0-product_code", product_code)
    page.fill("#id_line-0-quantity", quantity)
    page.fill("#id_line-0-unit_price", unit_price)


def test_rob_is_blocked_over_budget_and_alices_approval_reaches_odoo(
    live_server,
    login,
    page,
    screenshot,
    school_budget,
    rob,
    alice,
    ada,
    authority,
    odoo_sim,
    odoo_target,
    drain,
):
    # Odoo books concrete on its section code; the hub's MasterFormat item maps to it. The
    # vendor is one Odoo knows (res.partner ref V-1002).
    mapping_save(
        actor=ada,
        kind="cost_code",
        system=odoo_target,
        external_value="03 30 00",
        canonical_value="03 31 13",
    )
    (partner,) = odoo_sim.records("res.partner", ["id", "ref"], [("ref", "=", "V-1002")])
    vendor_upsert(
        code="V-1002",
        name="Elbe Readymix Beton GmbH",
        status=VendorStatus.APPROVED,
        insurance_expiry=date(2030, 1, 1),
        external_ref=str(partner["id"]),
    )
    new_url = f"{live_server.url}/procurement/requisitions/new/?project=SCH-001"

    # 1. Over budget: 130,000 against the 120,000 gypsum-board line of a hard-block project.
    login("rob")
    _fill_requisition(
        page,
        new_url,
        "Gypsum board, whole school",
        school_budget.line("P3", "09 21 16"),
        "1000",
        "130",
    )
    page.locator("#budget-check .badge", has_text="block").first.wait_for()
    screenshot("journey-rob-requisition-over-budget")
    page.click("button:has-text('Submit for approval')")
    page.wait_for_url("**/procurement/requisitions/*/")
    assert "saved as a draft" in page.inner_text(".messages")
    blocked = Requisition.objects.get(title="Gypsum board, whole school")
    assert blocked.status == "draft"
    assert not ApprovalRequest.objects.exists()
    screenshot("journey-rob-requisition-blocked")

    # 2. Within budget: 23,600 of concrete, a product Odoo knows.
    _fill_requisition(
        page,
        new_url,
        "Ready-mix for the ground beams",
        school_budget.line("P1", "03 31 13"),
        "200",
        "118",
        product_code="CON-C3037",
    )
    page.locator("#budget-check .badge", has_text="available").first.wait_for()
    page.click("button:has-text('Submit for approval')")
    page.wait_for_url("**/procurement/requisitions/*/")
    assert "Pending approval" in page.inner_text("h1")
    requisition = Requisition.objects.get(title="Ready-mix for the ground beams")

    # 3. alice approves it with one click; the PO is issued in the hub.
    page.context.clear_cookies()
    login("alice")
    page.goto(f"{live_server.url}/approvals/")
    assert page.locator("tr", has_text="Gypsum board, whole school").count() == 0
    row = page.locator("tr", has_text="Ready-mix for the ground beams").first
    row.locator("input[name=comment]").fill("Ground beams, as planned")
    row.locator("button:has-text('Approve')").click()
    page.locator("tr", has_text="Ready-mix for the ground beams").locator(
        ".badge", has_text="Approved"
    ).wait_for()
    requisition.refresh_from_db()
    assert requisition.status == "converted"
    po = Commitment.objects.get(requisition=requisition)
    assert po.status == "issued"

    # 4. The dispatcher's part, done here: the PO goes to the Odoo simulator.
    drain()
    (odoo_po,) = odoo_sim.records(
        "purchase.order",
        ["id", "name", "state", "partner_id", "amount_untaxed"],
        [("origin", "=", po.number)],
    )
    assert odoo_po["state"] == "purchase"
    assert odoo_po["partner_id"][0] == partner["id"]
    assert Decimal(str(odoo_po["amount_untaxed"])) == po.total_amount == Decimal("23600.00")
    assert not odoo_sim.records("purchase.order", ["name"], [("origin", "=", blocked.number)])

    page.goto(f"{live_server.url}/procurement/commitments/{po.id}/")
    assert f"#{odoo_po['id']}" in page.inner_text("#odoo-ref")
    screenshot("journey-alice-approved-po-in-odoo")
