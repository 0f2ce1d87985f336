"""PMO journey on the executive dashboard: pat opens /reports/ and the budget chart renders
with non-empty plotly traces; the drill-down opens the budget line behind a row."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.projects.models import BudgetLine

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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
