import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from apps.reports.cashflow import cashflow_report
from apps.reports.filters import ReportFilters

D = Decimal
TODAY = date(2026, 3, 10)


def _by_month(report):
    return {row["month"]: row for row in report["rows"]}


@pytest.mark.django_db
def test_planned_forecast_and_actual_from_a_known_fixture(pat, cash):
    report = cashflow_report(user=pat, filters=ReportFilters(), today=TODAY)
    rows = _by_month(report)
    assert list(rows) == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
    # January: PO-C by its issue date; February: PO-A by its planned delivery date.
    assert (rows["2026-01"]["planned"], rows["2026-01"]["forecast"]) == (D("5000.00"),) * 2
    assert rows["2026-02"]["planned"] == D("10000.00")
    assert rows["2026-02"]["actual"] == D("4000.00")
    # March: PO-B by its milestone's date in the latest update (not the baseline's).
    assert rows["2026-03"]["planned"] == D("20000.00")
    assert rows["2026-03"]["forecast"] == D("0.00")
    assert rows["2026-03"]["actual"] == D("1500.00")  # the void payment does not count
    assert (
        rows["2026-03"]["planned_cum"],
        rows["2026-03"]["forecast_cum"],
        rows["2026-03"]["actual_cum"],
    ) == (D("35000.00"), D("15000.00"), D("5500.00"))
    # The slip moves 20,000.00 from March to May: the shift shows until it lands.
    assert rows["2026-03"]["shift_cum"] == D("-20000.00")
    assert rows["2026-04"]["shift_cum"] == D("-20000.00")
    assert rows["2026-05"]["forecast"] == D("20000.00")
    assert rows["2026-05"]["shift_cum"] == D("0.00")
    (shifted,) = report["shifted"]
    assert (shifted["number"], shifted["shift_days"], shifted["amount"]) == (
        cash["b"].number,
        66,
        D("20000.00"),
    )
    assert shifted["planned_source"] == "milestone date"
    assert shifted["schedule_version_id"] == cash["update"].pk
    (school,) = report["per_project"]
    assert (school["committed"], school["paid"], school["shifted"]) == (
        D("35000.00"),
        D("5500.00"),
        D("20000.00"),
    )


@pytest.mark.django_db
def test_period_keeps_the_cumulative_opening_balance(pat, cash):
    filters = ReportFilters(date_from=date(2026, 3, 1), date_to=date(2026, 4, 30))
    report = cashflow_report(user=pat, filters=filters, today=TODAY)
    assert [r["month"] for r in report["rows"]] == ["2026-03", "2026-04"]
    assert report["rows"][0]["planned_cum"] == D("35000.00")
    assert report["rows"][1]["actual_cum"] == D("5500.00")


@pytest.mark.django_db
def test_other_projects_money_is_not_shown(pat, cash, bridge, vendors):
    from tests.reports.conftest import bill_and_pay

    bill_and_pay(
        project=bridge,
        commitment=None,
        vendor=vendors["steel"],
        number="BRG-1",
        amount="777.00",
        paid_on=date(2026, 3, 5),
    )
    report = cashflow_report(user=pat, filters=ReportFilters(), today=TODAY)
    assert _by_month(report)["2026-03"]["actual"] == D("1500.00")
    hidden = cashflow_report(user=pat, filters=ReportFilters(projects=["BRG-003"]), today=TODAY)
    assert hidden["rows"] == [] and hidden["projects"] == []


@pytest.mark.django_db
def test_page_chart_and_month_drilldown(pat, client_for, cash):
    client = client_for(pat)
    html = client.get("/reports/cash-flow/").content.decode()
    assert 'data-plotly-figure="fig-cashflow"' in html
    assert "Shift from milestone slips" in html
    assert f'href="/procurement/commitments/{cash["b"].pk}/"' in html
    assert 'href="/reports/cash-flow/?month=2026-03#month-detail"' in html
    detail = client.get("/reports/cash-flow/?month=2026-03").content.decode()
    section = detail[detail.index('id="month-detail"') :]
    assert cash["b"].number in section[: section.index('id="detail-forecast"')]
    invoice = cash["b"].invoices.get(number="INV-2")
    assert f'href="/procurement/invoices/{invoice.pk}/"' in section
    assert "INV-VOID" not in section
    assert cash["a"].number not in section


@pytest.mark.django_db
def test_csv_and_xlsx_match_the_page(fiona, client_for, cash):
    client = client_for(fiona)
    page = client.get("/reports/cash-flow/?from=2026-02-01").content.decode()
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get("/reports/cash-flow/?from=2026-02-01&format=csv").content.decode()
            )
        )
    )
    assert [r["Month"] for r in rows] == ["2026-02", "2026-03", "2026-04", "2026-05"]
    for row in rows:
        assert f'data-month="{row["Month"]}"' in page
        assert f'<td class="num">{row["Planned cumulative"]}</td>' in page
    march = rows[1]
    assert march["Shift from milestone slips (forecast − planned, cumulative)"] == "-20000.00"
    sheet = load_workbook(
        io.BytesIO(client.get("/reports/cash-flow/?from=2026-02-01&format=xlsx").content)
    ).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 1 + len(rows)
    header = values[0]
    assert D(str(values[2][header.index("Actual cumulative")])) == D("5500.00")


@pytest.mark.django_db
def test_cash_flow_needs_pmo_or_finance(rob, ada, client_for):
    assert client_for(rob).get("/reports/cash-flow/").status_code == 403
    assert client_for(ada).get("/reports/cash-flow/").status_code == 403
