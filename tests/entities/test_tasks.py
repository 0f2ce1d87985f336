"""Daily group jobs: registered once as django-q2 schedules, and each task does its work."""

from __future__ import annotations

from datetime import date

import pytest
from django_q.models import Schedule

from apps.core.schedules_apply import schedules_apply
from apps.entities.models import FxRate
from apps.entities.tasks import fx_rates_pull_all

pytestmark = pytest.mark.django_db

GROUP_SCHEDULES = {
    "ihub:fx-rates-pull": "apps.entities.tasks.fx_rates_pull_all",
    "ihub:compliance-warn": "apps.compliance.tasks.compliance_warn",
    "ihub:vendor-duplicates-detect": "apps.vendors.tasks.vendor_duplicates_detect_all",
}


def test_group_jobs_are_registered_once_as_daily_schedules():
    first = schedules_apply()
    assert set(GROUP_SCHEDULES) <= set(first["created"])
    second = schedules_apply()
    assert second["created"] == [] and second["updated"] == []
    for name, func in GROUP_SCHEDULES.items():
        (schedule,) = Schedule.objects.filter(name=name)
        assert schedule.func == func
        assert schedule.schedule_type == Schedule.CRON
        minute, hour, *every = schedule.cron.split()
        assert every == ["*", "*", "*"] and minute.isdigit() and hour.isdigit()  # once a day


def test_fx_task_pulls_every_enabled_odoo_system_and_skips_the_rest(
    odoo_target, odoo_sim, make_system
):
    make_system("odoo-old", "odoo", "odoo", enabled=False)
    make_system("procore", "document_control", "procore")
    results = fx_rates_pull_all()
    assert list(results) == [odoo_target.code]
    assert results[odoo_target.code]["created"] >= 4
    gbp = FxRate.objects.get(
        base_currency="EUR", currency="GBP", rate_date=date(date.today().year, 1, 1)
    )
    assert gbp.source_system == odoo_target
    assert fx_rates_pull_all()[odoo_target.code]["created"] == 0  # idempotent


def test_fx_task_goes_on_when_one_odoo_system_fails(odoo_target, odoo_sim, make_system):
    broken = make_system("odoo-broken", "odoo", "odoo")  # no URL, no credentials
    results = fx_rates_pull_all()
    assert "error" in results[broken.code]
    assert results[odoo_target.code]["created"] >= 4
