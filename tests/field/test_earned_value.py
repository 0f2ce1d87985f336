"""Earned value per cost code on a fixture (exact Decimals), the early warning of an overrun as an
exception item, and the /field/ pages (role-protected, project-scoped)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.exceptions.models import ExceptionItem
from apps.field.models import FieldRate
from apps.field.selectors import earned_value_by_cost_code, earned_value_totals
from apps.field.services import field_rate_set
from tests.field.conftest import site_event

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def field_week(school_budget, deliver):
    """Substructure concrete (budget 200,000): 100 of 500 m3 poured (20%) for 1,000 labour hours
    at 50 → EV 40,000 for 50,000 spent. Steel (300,000): 50% reported for 100 h of a hired crane
    at 1,200 → EV 150,000 for 120,000. Temporary fencing, not in the budget: 10 h at 50."""
    field_rate_set(kind="labour", key="*", rate="50", currency="EUR")
    transactions = deliver(
        site_event(
            "daily_quantity.reported",
            "q-1",
            "2026-03-02T17:00:00Z",
            cost_code="03 31 13",
            phase="P1",
            quantity="100",
            unit="m3",
            planned_quantity="500",
        ),
        site_event(
            "timesheet.submitted",
            "t-1",
            "2026-03-02T18:00:00Z",
            cost_code="03 31 13",
            phase="P1",
            trade="concrete",
            hours="1000",
        ),
        site_event(
            "daily_quantity.reported",
            "q-2",
            "2026-03-02T17:00:00Z",
            cost_code="05 12 23",
            percent_complete="50",
        ),
        site_event(
            "equipment.logged",
            "e-1",
            "2026-03-02T16:00:00Z",
            cost_code="05 12 23",
            equipment_id="CRN-09",
            ownership="hired",
            rate="1200",
            hours="100",
        ),
        site_event(
            "timesheet.submitted",
            "t-2",
            "2026-03-02T18:00:00Z",
            cost_code="01 56 26",
            trade="general",
            hours="10",
        ),
    )
    assert {tx.status for tx in transactions} == {"delivered"}, [
        tx.last_error_message for tx in transactions
    ]
    return school_budget


def _row(rows, code, phase=""):
    return next(r for r in rows if r.cost_code == code and r.phase == phase)


def test_earned_value_figures_per_cost_code(field_week):
    rows = earned_value_by_cost_code(project=field_week.project)
    concrete = _row(rows, "03 31 13", "P1")
    assert (concrete.budget, concrete.actual, concrete.field_cost) == (
        D("200000.00"),
        D("50000.00"),
        D("50000.00"),
    )
    assert (concrete.percent_complete, concrete.earned_value, concrete.cpi) == (
        D("20.00"),
        D("40000.00"),
        D("0.8000"),
    )
    assert (concrete.estimate_at_completion, concrete.variance_at_completion) == (
        D("250000.00"),
        D("-50000.00"),
    )
    assert (concrete.eac_method, concrete.warning) == ("cpi", "overrun")

    steel = _row(rows, "05 12 23", "P2")
    assert (steel.percent_complete, steel.earned_value, steel.actual, steel.cpi) == (
        D("50.00"),
        D("150000.00"),
        D("120000.00"),
        D("1.2500"),
    )
    assert (steel.estimate_at_completion, steel.variance_at_completion, steel.warning) == (
        D("240000.00"),
        D("60000.00"),
        "",
    )
    # No progress reported: the budget line's forecast, no EV.
    boards = _row(rows, "09 21 16", "P3")
    assert (boards.earned_value, boards.cpi, boards.estimate_at_completion) == (
        None,
        None,
        D("120000.00"),
    )
    assert boards.eac_method == "forecast"
    # Field cost on a cost code without a budget line is shown, not lost.
    fencing = _row(rows, "01 56 26")
    assert (fencing.budget, fencing.actual, fencing.warning) == (D("0"), D("500.00"), "unbudgeted")

    totals = earned_value_totals(rows=rows)
    assert totals["earned_value"] == D("190000.00")
    assert totals["cpi"] == D("1.1176")  # 190,000 / 170,000 over the lines with progress
    assert totals["warnings"] == 2


def test_an_overrun_forecast_opens_one_exception_item(field_week, deliver):
    item = ExceptionItem.objects.get(category="budget_exceeded")
    assert item.project == field_week.project
    assert item.amount_at_risk == D("50000.00")
    assert "estimate at completion 250000.00 against a budget of 200000.00" in item.reason
    # More hours on the same cost code repeat the same item rather than open another.
    deliver(
        site_event(
            "timesheet.submitted",
            "t-3",
            "2026-03-03T18:00:00Z",
            cost_code="03 31 13",
            phase="P1",
            trade="concrete",
            hours="10",
        )
    )
    assert ExceptionItem.objects.filter(category="budget_exceeded").count() == 1


def test_field_page_shows_earned_value_and_warnings_to_pmo(field_week, client_for, pat):
    response = client_for(pat).get("/field/SCH-001/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="earned-value"' in html and "250000.00" in html and "overrun" in html
    assert 'id="field-rate-form"' not in html  # pmo reads; finance sets rates
    assert client_for(pat).get("/field/").status_code == 200


def test_field_page_is_project_scoped_and_role_protected(field_week, client_for, pat, rob, bridge):
    assert client_for(pat).get("/field/BRG-003/").status_code == 404
    assert client_for(rob).get("/field/SCH-001/").status_code == 403


def test_finance_sets_a_project_rate_from_the_page(field_week, client_for, fiona):
    response = client_for(fiona).post(
        "/field/SCH-001/", {"kind": "equipment", "key": "PMP-04", "rate": "75.5"}
    )
    assert response.status_code == 302
    rate = FieldRate.objects.get(kind="equipment", key="PMP-04")
    assert (rate.project, rate.rate, rate.currency) == (field_week.project, D("75.5"), "EUR")


def test_demo_seed_gives_the_emitters_trades_and_equipment_a_rate(school):
    import io

    from apps.field import demo

    demo.seed(io.StringIO())
    demo.seed(io.StringIO())  # idempotent
    keys = set(FieldRate.objects.filter(project=school).values_list("kind", "key"))
    assert {("labour", "concrete"), ("equipment", "CRN-01"), ("labour", "*")} <= keys
    assert FieldRate.objects.filter(project=school).count() == 8


def test_field_is_in_the_navigation_of_pmo_not_of_requesters(pat, rob):
    from apps.accounts.navigation import nav_for

    assert "Field" in [item["label"] for item in nav_for(pat)]
    assert "Field" not in [item["label"] for item in nav_for(rob)]
