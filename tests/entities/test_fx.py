"""FX rates pulled from Odoo's res.currency.rate in batch, and the group report with both
original and converted amounts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from apps.entities.models import FxRate
from apps.entities.selectors import fx_convert, group_report
from apps.entities.services import fx_rates_pull
from apps.procurement.models import Commitment
from apps.projects.models import BudgetLine, CostCode, Phase

pytestmark = pytest.mark.django_db


def test_rates_are_pulled_from_the_odoo_simulator_in_one_batch_and_stored_dated(
    odoo_target, odoo_sim
):
    counts = fx_rates_pull(system=odoo_target)
    assert counts["created"] >= 4
    year = date.today().year
    gbp = FxRate.objects.get(base_currency="EUR", currency="GBP", rate_date=date(year, 1, 1))
    assert gbp.rate == Decimal("0.8416000000")
    assert gbp.source_system == odoo_target
    again = fx_rates_pull(system=odoo_target)
    assert again["created"] == 0 and again["updated"] == counts["created"]


def test_conversion_uses_the_rate_in_force_on_the_day_and_cross_rates():
    FxRate.objects.create(
        base_currency="EUR", currency="GBP", rate_date=date(2026, 1, 1), rate=Decimal("0.8")
    )
    FxRate.objects.create(
        base_currency="EUR", currency="GBP", rate_date=date(2026, 7, 1), rate=Decimal("0.85")
    )
    FxRate.objects.create(
        base_currency="EUR", currency="USD", rate_date=date(2026, 1, 1), rate=Decimal("1.1")
    )
    march = fx_convert(
        amount=Decimal("800"), from_currency="GBP", to_currency="EUR", on=date(2026, 3, 1)
    )
    assert march["amount"] == Decimal("1000.00") and march["rate_date"] == date(2026, 1, 1)
    august = fx_convert(
        amount=Decimal("850"), from_currency="GBP", to_currency="EUR", on=date(2026, 8, 1)
    )
    assert august["amount"] == Decimal("1000.00")
    cross = fx_convert(
        amount=Decimal("80"), from_currency="GBP", to_currency="USD", on=date(2026, 3, 1)
    )
    assert cross["amount"] == Decimal("110.00")


def _budget(project, amount, currency):
    code, _ = CostCode.objects.get_or_create(code="03 31 13", defaults={"title": "Concrete"})
    phase = Phase.objects.create(project=project, code="P1", name="Works")
    BudgetLine.objects.create(
        project=project,
        phase=phase,
        cost_code=code,
        currency=currency,
        original_amount=Decimal(amount),
        actual=Decimal("0"),
    )


def test_group_report_totals_in_group_currency_and_shows_the_originals(
    ada, school_de, depot_uk, vendors
):
    FxRate.objects.create(
        base_currency="EUR", currency="GBP", rate_date=date(2026, 1, 1), rate=Decimal("0.8")
    )
    _budget(school_de, "100000", "EUR")
    _budget(depot_uk, "40000", "GBP")
    Commitment.objects.create(
        number="PO-UK-1",
        kind="purchase_order",
        project=depot_uk,
        vendor=vendors["steel"],
        title="Steel",
        currency="GBP",
        status="issued",
        total_amount=Decimal("8000"),
        created_by=ada,
    )
    report = group_report(user=ada, on=date(2026, 3, 1))
    assert report["currency"] == "EUR" and report["complete"]
    uk = next(r for r in report["rows"] if r["entity"] == depot_uk.entity)
    assert (uk["currency"], uk["budget"], uk["budget_group"]) == (
        "GBP",
        Decimal("40000.00"),
        Decimal("50000.00"),
    )
    assert (uk["committed"], uk["committed_group"]) == (Decimal("8000.00"), Decimal("10000.00"))
    assert report["totals"]["budget"] == Decimal("150000.00")


def test_group_report_names_currencies_without_a_rate_instead_of_guessing(ada, depot_uk):
    _budget(depot_uk, "40000", "GBP")
    report = group_report(user=ada, on=date(2026, 3, 1))
    assert report["missing_rates"] == ["GBP"] and not report["complete"]
    (row,) = report["rows"]
    assert row["budget"] == Decimal("40000.00") and row["budget_group"] is None


def test_group_report_is_scoped_to_the_users_entities(fred, school_de, depot_uk):
    FxRate.objects.create(
        base_currency="EUR", currency="GBP", rate_date=date(2026, 1, 1), rate=Decimal("0.8")
    )
    _budget(school_de, "100000", "EUR")
    _budget(depot_uk, "40000", "GBP")
    report = group_report(user=fred, on=date(2026, 3, 1))
    assert [r["entity"] for r in report["rows"]] == [depot_uk.entity]
