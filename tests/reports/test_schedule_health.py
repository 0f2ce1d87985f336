import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from apps.procurement.choices import CommitmentKind
from apps.procurement.models import Commitment
from apps.procurement.services import commitment_create
from apps.reports.filters import ReportFilters
from apps.reports.schedule_health import schedule_health_report
from apps.schedule.choices import ScheduleKind
from tests.reports.conftest import schedule_version, slip

TODAY = date(2026, 3, 10)


@pytest.fixture
def slips(procure, school, vendors, rob):
    """Two updates of the school schedule. In the latest: M100 slipped (8 > threshold 5),
    M200 at risk (2), M300 on time (0), M400 done early (-1, actual). M200 has a draft PO and
    M300 an issued one; only M200's procurement is not released."""
    schedule_version(school, ScheduleKind.BASELINE, date(2025, 12, 1), "base")
    first = schedule_version(school, ScheduleKind.UPDATE, date(2026, 1, 31), "u1")
    latest = schedule_version(school, ScheduleKind.UPDATE, date(2026, 2, 28), "u2")
    slip(school, first, "M100", slip_days=3, current=date(2026, 3, 4))
    slip(school, first, "M200", slip_days=0, current=date(2026, 4, 15))
    slip(school, latest, "M100", slip_days=8, current=date(2026, 3, 11))
    slip(school, latest, "M200", slip_days=2, current=date(2026, 4, 17))
    slip(school, latest, "M300", slip_days=0, current=date(2026, 5, 4))
    slip(school, latest, "M400", slip_days=-1, current=date(2026, 2, 27), actual=True)
    draft = commitment_create(
        project=school,
        vendor=vendors["steel"],
        kind=CommitmentKind.PURCHASE_ORDER,
        title="Roof steel",
        lines=[
            {
                "budget_line": procure.budget.line("P2", "05 12 23"),
                "quantity": "3",
                "unit_price": "2500",
            }
        ],
        created_by=rob,
    )
    Commitment.objects.filter(pk=draft.pk).update(milestone_code="M200")
    issued = procure.issued_commitment(
        lines=[{"phase": "P3", "cost_code": "09 21 16", "quantity": "1", "unit_price": "100"}]
    )
    Commitment.objects.filter(pk=issued.pk).update(milestone_code="M300")
    return {"latest": latest, "draft": draft, "issued": issued}


@pytest.mark.django_db
def test_milestones_on_time_at_risk_slipped_and_not_released(pat, slips):
    report = schedule_health_report(user=pat, filters=ReportFilters(), today=TODAY)
    assert report["totals"] == {"on_time": 2, "at_risk": 1, "slipped": 1}
    health = {row["task_code"]: row["health"] for row in report["rows"]}
    assert health == {"M100": "Slipped", "M200": "At risk", "M300": "On time", "M400": "On time"}
    (upcoming,) = report["upcoming"]
    assert upcoming["task_code"] == "M200"
    assert [c.number for c in upcoming["commitments"]] == [slips["draft"].number]
    assert upcoming["not_released_amount"] == Decimal("7500.00")
    (trend,) = report["trends"]
    assert trend["trend"]["series"]["M100"]["slips"] == [3, 8]
    assert trend["trend"]["series"]["M200"]["slips"] == [0, 2]


@pytest.mark.django_db
def test_period_narrows_the_milestones(pat, slips):
    filters = ReportFilters(date_from=date(2026, 4, 1), date_to=date(2026, 4, 30))
    report = schedule_health_report(user=pat, filters=filters, today=TODAY)
    assert [row["task_code"] for row in report["rows"]] == ["M200"]
    assert report["totals"] == {"on_time": 0, "at_risk": 1, "slipped": 0}


@pytest.mark.django_db
def test_other_projects_schedules_are_not_shown(pat, slips, bridge):
    other = schedule_version(bridge, ScheduleKind.UPDATE, date(2026, 2, 28), "brg")
    slip(bridge, other, "B1", slip_days=30, current=date(2026, 3, 20))
    report = schedule_health_report(user=pat, filters=ReportFilters(), today=TODAY)
    assert {s["project"].code for s in report["sections"]} == {"SCH-001"}
    assert report["totals"]["slipped"] == 1


@pytest.mark.django_db
def test_page_links_milestones_to_their_schedule_and_commitments(pat, client_for, slips):
    html = client_for(pat).get("/reports/schedule-health/").content.decode()
    assert 'data-plotly-figure="fig-health"' in html
    assert 'data-plotly-figure="fig-slip-trend"' in html
    assert f'href="/schedule/versions/{slips["latest"].pk}/"' in html
    assert 'id="kpi-slipped">1</div>' in html
    assert 'data-milestone="M100" class="schedule-over"' in html


@pytest.mark.django_db
def test_export_matches_the_page(fiona, client_for, slips):
    client = client_for(fiona)
    html = client.get("/reports/schedule-health/").content.decode()
    rows = list(
        csv.DictReader(
            io.StringIO(client.get("/reports/schedule-health/?format=csv").content.decode())
        )
    )
    assert [(r["Milestone"], r["Health"], r["Slip (working days)"]) for r in rows] == [
        ("M100", "Slipped", "8"),
        ("M200", "At risk", "2"),
        ("M300", "On time", "0"),
        ("M400", "On time", "-1"),
    ]
    assert rows[1]["Commitments not released"] == "1"
    for row in rows:
        assert f'data-milestone="{row["Milestone"]}"' in html


@pytest.mark.django_db
def test_schedule_health_needs_pmo_or_finance(rob, alice, client_for):
    assert client_for(rob).get("/reports/schedule-health/").status_code == 403
    assert client_for(alice).get("/reports/schedule-health/?format=csv").status_code == 403
