"""Requester and approver journey: rob raises a requisition and watches the live budget check
change as he types; alice approves it with one click on /approvals/ and the PO appears."""

from __future__ import annotations

import pytest

from apps.procurement.models import Commitment, Requisition

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rob_requests_with_a_live_budget_check_and_alice_approves_in_one_click(
    live_server, login, page, screenshot, school_budget, rob, alice, authority, vendors
):
    login("rob")
    page.goto(f"{live_server.url}/procurement/requisitions/new/?project=SCH-001")
    page.fill("#id_req-title", "Plasterboard, level 1")
    page.select_option("#id_req-vendor", label="V-RMX ReadyMix Concrete Ltd")
    line = school_budget.line("P3", "09 21 16")
    page.select_option("#id_line-0-budget_line", str(line.id))
    page.fill("#id_line-0-quantity", "1000")
    page.fill("#id_line-0-unit_price", "119")
    # 119,000 of a 120,000 budget: the check warns, live, before anything is submitted.
    page.locator("#budget-check .badge", has_text="warn").first.wait_for()
    page.fill("#id_line-0-unit_price", "25")
    page.locator("#budget-check .badge", has_text="available").first.wait_for()
    screenshot("procurement-requisition-live-check")
    page.click("button:has-text('Submit for approval')")
    page.wait_for_url("**/procurement/requisitions/*/")
    assert "Pending approval" in page.inner_text("h1")
    requisition = Requisition.objects.get()

    page.context.clear_cookies()
    login("alice")
    page.goto(f"{live_server.url}/approvals/")
    row = page.locator("tr", has_text="Plasterboard, level 1").first
    row.locator("input[name=comment]").fill("OK for level 1")
    row.locator("button:has-text('Approve')").click()
    page.locator("tr", has_text="Plasterboard, level 1").locator(
        ".badge", has_text="Approved"
    ).wait_for()
    screenshot("approvals-one-click-approve")
    requisition.refresh_from_db()
    assert requisition.status == "converted"
    assert Commitment.objects.get(requisition=requisition).status == "issued"
