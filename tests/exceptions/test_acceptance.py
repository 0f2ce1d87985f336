"""Issue #7 acceptance, end to end through the delivery engine and the pages: a target that
keeps refusing the same record gives one item however often it fails; a later, separate
delivery of that record that succeeds resolves it by itself; the unmatched-invoices queue and
the API list read a page in a fixed number of queries."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.exceptions.models import ExceptionItem
from apps.ledger.dispatch import dispatch_once
from apps.ledger.models import Transaction

pytestmark = pytest.mark.django_db


def _status(tx) -> str:
    return Transaction.objects.values_list("status", flat=True).get(pk=tx.pk)


def test_repeated_refusals_attach_to_one_item_and_a_later_success_resolves_it(
    test_connector, make_outbound
):
    test_connector.script["target"] = ["permanent", "permanent", "permanent"]
    failed = []
    for n in range(3):
        failed.append(make_outbound(test_connector.target, "V-77", {"ref": "V-77", "n": n}))
        dispatch_once(limit=100)
    assert {_status(tx) for tx in failed} == {"failed"}
    item = ExceptionItem.objects.get()
    assert item.occurrences == 3 and item.links.count() == 3 and item.is_active

    # The vendor is corrected at the source; its next update goes through.
    later = make_outbound(test_connector.target, "V-77", {"ref": "V-77", "n": 3})
    dispatch_once(limit=100)
    assert _status(later) == "delivered"
    item.refresh_from_db()
    assert item.status == "resolved" and item.resolution_action == "auto_resolved"
    assert item.links.filter(transaction=later, role="resolution").exists()
    assert ExceptionItem.objects.count() == 1


def _bills(procure, count, start=0):
    from apps.procurement.services import invoice_record

    vendor = procure.vendors["readymix"]
    for n in range(start, start + count):
        invoice_record(
            vendor=vendor,
            number=f"Q-{n}",
            invoice_date=date(2026, 3, 1),
            currency="EUR",
            lines=[{"description": "Concrete", "quantity": "1", "unit_price": "100"}],
        )


def test_unmatched_invoice_queue_query_count_does_not_grow_with_page_size(
    procure, fiona, client_for
):
    client = client_for(fiona)
    _bills(procure, 1)
    url = reverse("exceptions:unmatched_invoices")
    with CaptureQueriesContext(connection) as one:
        page = client.get(url)
    assert len(page.context["page"].rows) == 1 and "Q-0" in page.content.decode()
    _bills(procure, 30, start=1)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert len(page.context["page"].rows) == 31 and "Q-30" in page.content.decode()
    assert len(many) == len(one)


def test_api_list_query_count_does_not_grow_with_page_size(procure, fiona, api_client_for):
    client = api_client_for(fiona)
    _bills(procure, 1)
    url = reverse("exceptions-api:list")
    client.get(url)  # the token's first use is recorded once (an UPDATE), not per page
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url).json()["results"]) == 1
    _bills(procure, 30, start=1)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(url).json()["results"]) == 31
    assert len(many) == len(one)
