import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from apps.projects.models import BudgetLine, Project
from apps.reports.selectors import commitments_vs_budget

D = Decimal


@pytest.fixture
def school_figures(school_budget):
    """Known figures on three of the school's six lines (the rest stay at budget only)."""
    lines = school_budget.lines
    BudgetLine.objects.filter(pk=lines[("P1", "31 23 16")].pk).update(
        committed=D("90000.00"), actual=D("45000.00"), invoiced=D("40000.00")
    )
    BudgetLine.objects.filter(pk=lines[("P1", "03 31 13")].pk).update(
        committed=D("150000.00"), pending_commitments=D("10000.00"), actual=D("30000.00")
    )
    BudgetLine.objects.filter(pk=lines[("P2", "05 12 23")].pk).update(
        approved_changes=D("20000.00"),
        committed=D("250000.00"),
        actual=D("100000.00"),
        estimate_to_complete=D("90000.00"),
    )
    return school_budget


@pytest.mark.django_db
def test_figures_from_a_known_fixture(pat, school_figures):
    report = commitments_vs_budget(user=pat)

    (section,) = report["projects"]
    rows = {(r["phase"], r["cost_code"]): r for r in section["rows"]}
    excavation = rows[("P1", "31 23 16")]
    assert excavation["revised"] == D("80000.00")
    assert excavation["forecast"] == D("90000.00")  # committed over budget
    assert excavation["variance"] == D("-10000.00")
    assert excavation["available"] == D("-10000.00")
    assert excavation["pct_committed"] == D("112.5")
    assert excavation["pct_used"] == D("56.3")
    steel = rows[("P2", "05 12 23")]
    assert steel["revised"] == D("320000.00")
    assert steel["forecast"] == D("340000.00")  # committed + estimate to complete
    assert steel["variance"] == D("-20000.00")
    p1 = section["phases"][0]["totals"]
    assert (p1["revised"], p1["committed"], p1["pending"], p1["actual"]) == (
        D("280000.00"),
        D("240000.00"),
        D("10000.00"),
        D("75000.00"),
    )
    totals = section["totals"]
    assert totals["revised"] == D("960000.00")
    assert totals["committed"] == D("490000.00")
    assert totals["actual"] == D("175000.00")
    assert totals["variance"] == D("-30000.00")
    assert [(r["cost_code"], r["variance"]) for r in report["top_overruns"]] == [
        ("05 12 23", D("-20000.00")),
        ("31 23 16", D("-10000.00")),
    ]


@pytest.mark.django_db
def test_report_is_project_scoped(pat, school_figures, bridge):
    from apps.projects.models import Phase

    # A bridge line pat may not see.
    phase = Phase.objects.create(project=bridge, code="B1", name="Deck", sequence=1)
    BudgetLine.objects.create(
        project=bridge,
        phase=phase,
        cost_code=school_figures.lines[("P1", "31 23 16")].cost_code,
        currency="EUR",
        original_amount=D("5.00"),
    )
    report = commitments_vs_budget(user=pat)
    assert {s["project"].code for s in report["projects"]} == {"SCH-001"}
    assert commitments_vs_budget(user=pat, project_codes=["BRG-003"])["rows"] == []


@pytest.mark.django_db
def test_page_renders_chart_table_and_drilldown_links(pat, client_for, school_figures):
    response = client_for(pat).get("/reports/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Executive reports" in html
    assert 'data-plotly-figure="fig-budget"' in html
    steel = school_figures.lines[("P2", "05 12 23")]
    assert f'href="/reports/budget-lines/{steel.pk}/"' in html
    assert "-20000.00" in html


@pytest.mark.django_db
def test_drilldown_lists_the_commitment_lines_behind_a_budget_line(pat, client_for, procure):
    po = procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "10", "unit_price": "100"}]
    )
    line = po.lines.get()
    response = client_for(pat).get(f"/reports/budget-lines/{line.budget_line_id}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert po.number in html
    assert f"/procurement/commitments/{po.pk}/" in html
    # each figure under its own label, formatted as money
    assert '<div class="kpi-label">Committed</div><div class="kpi">1,000.00</div>' in html
    # and the report's committed figure on that line includes the PO
    report = client_for(pat).get("/reports/?format=csv").content.decode()
    row = next(
        r
        for r in csv.DictReader(io.StringIO(report))
        if (r["Phase"], r["Cost code"]) == ("P1", "03 31 13")
    )
    assert Decimal(row["Committed"]) == D("1000.00")


@pytest.mark.django_db
def test_drilldown_of_another_projects_line_is_not_found(pat, client_for, school_figures, bridge):
    from apps.projects.models import Phase

    phase = Phase.objects.create(project=bridge, code="B1", name="Deck", sequence=1)
    hidden = BudgetLine.objects.create(
        project=bridge,
        phase=phase,
        cost_code=school_figures.lines[("P1", "31 23 16")].cost_code,
        currency="EUR",
    )
    assert client_for(pat).get(f"/reports/budget-lines/{hidden.pk}/").status_code == 404


@pytest.mark.django_db
def test_csv_and_xlsx_exports_match_the_page(fiona, client_for, school_figures):
    client = client_for(fiona)
    report = commitments_vs_budget(user=fiona)

    csv_response = client.get("/reports/?format=csv")
    assert csv_response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(csv_response.content.decode())))
    assert len(rows) == len(report["rows"]) == 6
    by_code = {(r["Phase"], r["Cost code"]): r for r in rows}
    assert by_code[("P2", "05 12 23")]["Variance at completion"] == "-20000.00"
    assert by_code[("P1", "31 23 16")]["% used (actual)"] == "56.3"

    xlsx_response = client.get("/reports/?format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx_response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    header = values[0]
    assert len(values) == 7
    variance = header.index("Variance at completion")
    code = header.index("Cost code")
    steel = next(v for v in values[1:] if v[code] == "05 12 23")
    assert Decimal(str(steel[variance])) == D("-20000.00")


@pytest.mark.django_db
def test_reports_need_pmo_or_finance(rob, client_for):
    assert client_for(rob).get("/reports/").status_code == 403


@pytest.mark.django_db
def test_project_filter_narrows_the_page(pat, client_for, school_figures):
    Project.objects.create(code="EMPTY-1", name="Nothing")
    response = client_for(pat).get("/reports/?project=SCH-001&format=csv")
    assert {r["Project"] for r in csv.DictReader(io.StringIO(response.content.decode()))} == {
        "SCH-001"
    }
