"""Group API: entities and the group report with the page's roles and entity scoping, FX rates
(list with filters, pull from the Odoo simulator over HTTP)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from apps.entities.models import FxRate
from apps.projects.models import BudgetLine, CostCode, Phase, Project

pytestmark = pytest.mark.django_db


def _budget(project, amount, currency):
    code, _ = CostCode.objects.get_or_create(code="03 31 13", defaults={"title": "Concrete"})
    phase = Phase.objects.create(project=project, code="P1", name="Works")
    BudgetLine.objects.create(
        project=project,
        phase=phase,
        cost_code=code,
        currency=currency,
        original_amount=Decimal(amount),
    )


@pytest.fixture
def gbp_rate(db):
    return FxRate.objects.create(
        base_currency="EUR", currency="GBP", rate_date=date(2026, 1, 1), rate=Decimal("0.8")
    )


def test_entities_are_for_pmo_finance_and_admins(api_client_for, rob, pat, entity_de):
    assert api_client_for(rob).get("/api/v1/entities/").status_code == 403
    response = api_client_for(pat).get("/api/v1/entities/")
    assert response.status_code == 200
    assert [row["code"] for row in response.json()["results"]] == ["nb-de"]


def test_entity_member_sees_only_their_entity_in_list_detail_and_report(
    api_client_for, fred, entity_de, entity_uk, school_de, depot_uk, gbp_rate
):
    _budget(school_de, "10000", "EUR")
    _budget(depot_uk, "40000", "GBP")
    client = api_client_for(fred)
    listed = client.get("/api/v1/entities/").json()["results"]
    assert [row["code"] for row in listed] == ["nb-uk"]
    assert client.get(f"/api/v1/entities/{entity_uk.pk}/").json()["currency"] == "GBP"
    hidden = client.get(f"/api/v1/entities/{entity_de.pk}/")
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"
    report = client.get("/api/v1/entities/group-report/?on=2026-03-01").json()
    assert [row["entity"]["code"] for row in report["rows"]] == ["nb-uk"]
    assert report["totals"]["budget"] == "50000.00"


def test_group_report_gives_each_amount_in_both_currencies_with_rate_and_date(
    api_client_for, ada, school_de, depot_uk, gbp_rate
):
    _budget(school_de, "10000", "EUR")
    _budget(depot_uk, "40000", "GBP")
    usd = Project.objects.create(code="NYC-1", name="Harlem Lofts", currency="USD")
    _budget(usd, "7000", "USD")
    response = api_client_for(ada).get("/api/v1/entities/group-report/?on=2026-03-01")
    assert response.status_code == 200
    report = response.json()
    assert report["currency"] == "EUR" and report["on"] == "2026-03-01"
    rows = {row["currency"]: row for row in report["rows"]}
    assert rows["GBP"]["budget"] == {
        "amount": "40000.00",
        "currency": "GBP",
        "group_amount": "50000.00",
        "group_currency": "EUR",
        "rate": "1.250000",
        "rate_date": "2026-01-01",
    }
    assert rows["EUR"]["budget"]["group_amount"] == "10000.00"
    # No USD rate: shown unconverted, named, left out of the totals.
    assert rows["USD"]["budget"]["amount"] == "7000.00"
    assert rows["USD"]["budget"]["group_amount"] is None
    assert report["missing_rates"] == ["USD"] and report["complete"] is False
    assert report["totals"]["budget"] == "60000.00"


def test_group_report_refuses_a_malformed_day(api_client_for, pat):
    response = api_client_for(pat).get("/api/v1/entities/group-report/?on=03/01/2026")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_fx_rates_list_filters_by_base_currency_and_dates(api_client_for, fiona, gbp_rate):
    FxRate.objects.create(
        base_currency="EUR", currency="GBP", rate_date=date(2026, 7, 1), rate=Decimal("0.85")
    )
    FxRate.objects.create(
        base_currency="EUR", currency="USD", rate_date=date(2026, 7, 1), rate=Decimal("1.1")
    )
    client = api_client_for(fiona)
    rows = client.get("/api/v1/fx-rates/?currency=gbp&date_from=2026-06-01").json()["results"]
    assert [(r["currency"], r["rate_date"], r["rate"]) for r in rows] == [
        ("GBP", "2026-07-01", "0.8500000000")
    ]
    assert len(client.get("/api/v1/fx-rates/?base=EUR&date_to=2026-06-30").json()["results"]) == 1
    assert client.get("/api/v1/fx-rates/?base=EURO").status_code == 400


def test_fx_pull_is_for_integration_admins_and_answers_counts(
    api_client_for, ada, fiona, odoo_target
):
    body = {"system": odoo_target.code}
    refused = api_client_for(fiona).post("/api/v1/fx-rates/pull/", body, format="json")
    assert refused.status_code == 403
    client = api_client_for(ada)
    first = client.post("/api/v1/fx-rates/pull/", body, format="json")
    assert first.status_code == 200, first.content
    counts = first.json()
    assert counts["system"] == odoo_target.code and counts["created"] >= 4
    assert FxRate.objects.filter(source_system=odoo_target).count() == counts["created"]
    again = client.post("/api/v1/fx-rates/pull/", body, format="json").json()
    assert again["created"] == 0 and again["updated"] == counts["created"]
    missing = client.post("/api/v1/fx-rates/pull/", {"system": "nope"}, format="json")
    assert missing.status_code == 404


def test_fx_pull_failure_of_odoo_is_a_502_in_the_error_shape(
    api_client_for, ada, odoo_target, odoo_sim
):
    odoo_sim.set_faults(error_rate=1.0, error="odoo", match={"models": ["res.currency.rate"]})
    response = api_client_for(ada).post(
        "/api/v1/fx-rates/pull/", {"system": odoo_target.code}, format="json"
    )
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "fx_pull_failed"
    assert not FxRate.objects.exists()
