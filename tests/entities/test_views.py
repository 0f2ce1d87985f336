from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from apps.entities.models import FxRate
from apps.projects.models import BudgetLine, CostCode, Phase

pytestmark = pytest.mark.django_db


def test_group_page_shows_original_and_converted_amounts(client_for, ada, depot_uk):
    FxRate.objects.create(
        base_currency="EUR", currency="GBP", rate_date=date(2026, 1, 1), rate=Decimal("0.8")
    )
    code = CostCode.objects.create(code="03 31 13", title="Concrete")
    phase = Phase.objects.create(project=depot_uk, code="P1", name="Works")
    BudgetLine.objects.create(
        project=depot_uk,
        phase=phase,
        cost_code=code,
        currency="GBP",
        original_amount=Decimal("40000"),
    )
    page = client_for(ada).get("/entities/?on=2026-03-01").content.decode()
    assert "40000.00 GBP" in page and "50000.00" in page


def test_fx_pull_from_the_page_stores_rates(client_for, ada, odoo_target):
    response = client_for(ada).post("/entities/fx/pull/", {"system": odoo_target.pk})
    assert response.status_code == 302
    assert FxRate.objects.filter(currency="USD", source_system=odoo_target).exists()
