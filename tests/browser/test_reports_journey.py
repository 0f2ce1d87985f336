"""PMO journey on the executive dashboard: pat opens /reports/ and the budget chart renders
with non-empty plotly traces, filters one project, drills from an overrun to its budget line and
on to the PO behind it, then reads the cash-flow S-curve (and a month's records), schedule
health, document status and procurement pipeline, each chart drawn with data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from apps.accounts.models import ProjectMembership
from apps.documents.choices import DocumentKind, StatusMeaning
from apps.documents.models import Document
from apps.procurement.models import Commitment
from apps.projects.models import BudgetLine, Phase
from apps.schedule.choices import ScheduleKind
from tests.reports.conftest import bill_and_pay, schedule_version, slip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Per trace, how many non-zero numbers it plots (on whichever axis carries the values).
NON_EMPTY_TRACES = """(selector) => {
  const el = document.querySelector(selector);
  return el.data.map(t => [...(t.y || []), ...(t.x || [])]
    .filter(v => typeof v === "number" && v !== 0).length);
}"""


def _chart_traces(page, figure_id: str) -> list[int]:
    selector = f"[data-plotly-figure='{figure_id}']"
    page.wait_for_selector(f"{selector} .main-svg")
    return page.evaluate(NON_EMPTY_TRACES, selector)


def test_pat_opens_the_executive_dashboard_and_the_charts_render(
    live_server, login, screenshot, pat, school_budget
):
    steel = school_budget.lines[("P2", "05 12 23")]
    BudgetLine.objects.filter(pk=steel.pk).update(
        committed=Decimal("330000.00"), actual=Decimal("120000.00")
    )

    page = login("pat")
    page.goto(f"{live_server.url}/reports/")
    assert page.inner_text("h1").startswith("Executive reports")
    page.wait_for_selector("[data-plotly-figure='fig-budget'] .main-svg")
    traces = page.evaluate(
        "() => document.querySelector(\"[data-plotly-figure='fig-budget']\").data"
        ".map(t => t.y.filter(v => v > 0).length)"
    )
    assert len(traces) == 4 and all(count > 0 for count in traces)
    screenshot("reports-executive-dashboard")

    page.click(f"#top-overruns a[href='/reports/budget-lines/{steel.pk}/']")
    page.wait_for_url(f"**/reports/budget-lines/{steel.pk}/")
    assert "05 12 23" in page.inner_text("h1")
    screenshot("reports-budget-line-drilldown")


def test_pat_filters_a_project_drills_to_the_pos_and_reads_every_report(
    live_server, login, screenshot, pat, procure, bridge, vendors
):
    school = procure.budget.project
    ProjectMembership.objects.create(user=pat, project=bridge)
    # The bridge overruns too: the project filter takes it off the page.
    deck = Phase.objects.create(project=bridge, code="B1", name="Deck", sequence=1)
    BudgetLine.objects.create(
        project=bridge,
        phase=deck,
        cost_code=procure.budget.line("P1", "31 23 16").cost_code,
        currency="EUR",
        original_amount=Decimal("1000.00"),
        committed=Decimal("5000.00"),
    )
    # The school's steel overruns through a real PO, with a slipped milestone moving its cash.
    steel_po = procure.issued_commitment(
        lines=[{"phase": "P2", "cost_code": "05 12 23", "quantity": "1", "unit_price": "45000"}],
        vendor="steel",
        title="Steel frame",
    )
    concrete_po = procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "10", "unit_price": "1000"}]
    )
    BudgetLine.objects.filter(pk=procure.budget.line("P2", "05 12 23").pk).update(
        original_amount=Decimal("30000.00")
    )
    Commitment.objects.filter(pk=steel_po.pk).update(
        planned_delivery_date=date(2026, 3, 15), expected_delivery_date=date(2026, 5, 20)
    )
    Commitment.objects.filter(pk=concrete_po.pk).update(
        planned_delivery_date=date(2026, 2, 10), expected_delivery_date=date(2026, 2, 10)
    )
    bill_and_pay(
        project=school,
        commitment=concrete_po,
        vendor=vendors["readymix"],
        number="INV-1",
        amount="4000.00",
        paid_on=date(2026, 2, 25),
    )
    baseline = schedule_version(school, ScheduleKind.BASELINE, date(2025, 12, 1), "base")
    first = schedule_version(school, ScheduleKind.UPDATE, date(2026, 1, 31), "u1")
    latest = schedule_version(school, ScheduleKind.UPDATE, date(2026, 2, 28), "u2")
    assert baseline.pk
    for version, slips in ((first, (2, 0, 0)), (latest, (8, 3, 0))):
        for code, days in zip(("M100", "M200", "M300"), slips, strict=True):
            slip(school, version, code, slip_days=days, current=date(2026, 4, 1))
    for number, meaning, kind in (
        ("S-1", StatusMeaning.IN_REVIEW, DocumentKind.SUBMITTAL),
        ("S-2", StatusMeaning.APPROVED, DocumentKind.SUBMITTAL),
        ("D-1", StatusMeaning.SHARED, DocumentKind.DRAWING),
    ):
        Document.objects.create(
            project=school,
            kind=kind,
            external_id=number,
            number=number,
            title=f"Title {number}",
            status_code=meaning.upper(),
            status_label=meaning.label,
            status_meaning=meaning,
            received_on=date(2026, 2, 1),
            review_due_on=date(2026, 2, 15),
            procurement_refs=[steel_po.number] if number == "S-1" else [],
        )

    page = login("pat")
    base = live_server.url
    page.goto(f"{base}/reports/")
    assert _chart_traces(page, "fig-budget")
    assert page.locator("#top-overruns", has_text="BRG-003").count() == 1

    # Filter one project.
    page.select_option("#report-filters select[name=project]", ["SCH-001"])
    page.click("#report-filters button[type=submit]")
    page.wait_for_url("**/reports/?project=SCH-001")
    page.wait_for_selector("[data-plotly-figure='fig-budget'] .main-svg")
    assert page.locator("#top-overruns", has_text="BRG-003").count() == 0
    screenshot("reports-dashboard-filtered")

    # Drill from the overrun to its budget line, then to the PO behind it.
    steel_line = procure.budget.line("P2", "05 12 23")
    page.click(f"#top-overruns a[href='/reports/budget-lines/{steel_line.pk}/']")
    page.wait_for_url(f"**/reports/budget-lines/{steel_line.pk}/")
    page.click(f"a[href='/procurement/commitments/{steel_po.pk}/']")
    page.wait_for_url(f"**/procurement/commitments/{steel_po.pk}/")
    assert steel_po.number in page.inner_text("h1")
    screenshot("reports-overrun-to-po")

    # Cash flow, keeping the project filter through the report tabs.
    page.goto(f"{base}/reports/?project=SCH-001")
    page.click("nav.subnav a:has-text('Cash flow')")
    page.wait_for_url("**/reports/cash-flow/?project=SCH-001")
    traces = _chart_traces(page, "fig-cashflow")
    assert len(traces) == 4 and all(count > 0 for count in traces)
    screenshot("reports-cash-flow")
    page.click("#cashflow-months a:has-text('2026-03')")
    page.wait_for_url("**month=2026-03**")
    assert steel_po.number in page.inner_text("#detail-planned")
    screenshot("reports-cash-flow-month")

    page.click("nav.subnav a:has-text('Schedule health')")
    page.wait_for_url("**/reports/schedule-health/**")
    assert sum(_chart_traces(page, "fig-health")) == 3
    # M100 slipped in both updates, M200 in the latest, M300 never (zeros are not counted).
    assert _chart_traces(page, "fig-slip-trend") == [2, 1, 0]
    assert page.inner_text("#kpi-slipped") == "1"
    screenshot("reports-schedule-health")

    page.click("nav.subnav a:has-text('Document status')")
    page.wait_for_url("**/reports/documents/**")
    assert sum(_chart_traces(page, "fig-documents")) > 0
    assert "S-1" in page.inner_text("#documents-blocking")
    screenshot("reports-document-status")

    page.click("nav.subnav a:has-text('Procurement pipeline')")
    page.wait_for_url("**/reports/procurement-pipeline/**")
    assert _chart_traces(page, "fig-pipeline-EUR")[0] > 0
    screenshot("reports-procurement-pipeline")
