"""Finance journey on the exception queue: fiona opens a cost-code error, maps the platform code
to the canonical one and watches the held transactions get delivered to the Odoo simulator."""

from __future__ import annotations

import pytest

from apps.exceptions.models import ExceptionItem
from apps.exceptions.services import exception_category_configs_seed
from apps.ledger.models import Transaction
from apps.sync.services import sor_rules_seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_fiona_remaps_a_cost_code_and_sees_the_held_transactions_delivered(
    live_server, login, screenshot, fiona, school, sync_systems, make_inbound, drain
):
    # Seeded by data migrations; a transactional test flushes them, so restore them.
    sor_rules_seed()
    exception_category_configs_seed()
    held = [
        make_inbound(
            sync_systems.p6,
            "site_cost",
            {"id": f"SC-{n}", "cost_code": "03-300", "amount": f"{100 + n}.00", "currency": "EUR"},
        )
        for n in range(3)
    ]
    drain()
    item = ExceptionItem.objects.get(category="cost_code_error")

    page = login("fiona")
    assert page.inner_text("h1").startswith("Exception queue")
    page.click(f"#queue-table a[href='/exceptions/{item.pk}/'] >> nth=0")
    page.wait_for_url(f"**/exceptions/{item.pk}/")
    assert "03-300" in page.inner_text("h1")
    assert page.locator("#exc-transactions .status-held").count() == 3
    page.fill("#fix-mapping input[name=canonical_value]", "03 30 00")
    page.click("#fix-mapping button[type=submit]")
    page.wait_for_url(f"**/exceptions/{item.pk}/")
    assert "Mapping saved" in page.inner_text(".messages")

    # The dispatcher's part, done here; the page's own polling shows the outcome.
    drain()
    page.locator("#exc-transactions .status-delivered").nth(2).wait_for(timeout=20_000)
    assert page.locator("#exc-transactions .status-held").count() == 0
    screenshot("exceptions-cost-code-remap")
    ids = [t.pk for t in held]
    assert set(Transaction.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        "delivered"
    }
