"""Intercompany commitments (issue #13): a commitment from one entity of the group to another is
recognised on both sides — the buyer's purchase order and the seller's sales order, each in its
own company of the (live, loopback) Odoo simulator — and the reconciliation job compares them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from apps.core.errors import ApplicationError
from apps.entities.intercompany import intercompany_reconcile
from apps.entities.models import Entity, IntercompanyCommitment, IntercompanyState
from apps.entities.selectors import group_report
from apps.exceptions.models import ExceptionItem
from apps.ledger.models import Transaction
from apps.procurement.choices import VendorStatus
from apps.procurement.services import commitment_cancel, commitment_create, vendor_upsert
from apps.sync.models import JobRun
from apps.sync.services import mapping_save
from apps.sync.tasks import reconciliation_run_all

pytestmark = pytest.mark.django_db

LINES = [
    {"phase": "P1", "cost_code": "03 31 13", "description": "Precast box culvert",
     "product_code": "PRC-CULVERT-2015", "quantity": "4", "unit": "ea", "unit_price": "2500"},
]  # fmt: skip


@pytest.fixture
def group(odoo_target, odoo_sim, school_de, entity_de, entity_uk, procure, ada):
    """Buyer nb-de (the school, Odoo company 1) and seller nb-uk (Odoo company 2), both on the
    one simulator; nb-uk sells to the group as vendor V-NBUK."""
    entity_de.odoo_system = odoo_target
    entity_de.odoo_company_id = 1
    entity_de.save()
    seller_vendor = vendor_upsert(
        code="V-NBUK",
        name="Northbridge Construction Ltd",
        status=VendorStatus.APPROVED,
        insurance_expiry=date.today() + timedelta(days=365),
    )
    entity_uk.odoo_system = odoo_target
    entity_uk.odoo_company_id = 2
    entity_uk.vendor = seller_vendor
    entity_uk.save()
    procure.vendors["sister"] = seller_vendor
    # the hub's cost code as the buyer's Odoo knows it
    mapping_save(
        actor=ada,
        kind="cost_code",
        system=odoo_target,
        external_value="03 30 00",
        canonical_value="03 31 13",
    )
    # the buyer's Odoo knows the sister company as a supplier under the hub's vendor code
    odoo_sim.call(
        "res.partner",
        "create",
        {"name": "Northbridge Construction Ltd", "ref": "V-NBUK", "is_company": True},
    )
    return {"buyer": entity_de, "seller": entity_uk, "vendor": seller_vendor}


def _issue(procure, **kw):
    return procure.issued_commitment(lines=LINES, vendor="sister", title="Precast stairs", **kw)


def _sale_orders(odoo_sim, number):
    return odoo_sim.call(
        "sale.order",
        "search_read",
        [["client_order_ref", "=", number]],
        fields=["name", "state", "amount_untaxed", "company_id", "partner_id", "currency_id"],
    )


def test_an_issued_commitment_to_a_sister_entity_is_recognised_on_both_sides(
    group, procure, drain, odoo_sim
):
    commitment = _issue(procure)
    record = IntercompanyCommitment.objects.get(commitment=commitment)
    assert (record.buyer, record.seller) == (group["buyer"], group["seller"])
    assert record.buyer_amount == record.seller_amount == Decimal("10000.00")
    seller_tx = record.seller_transaction
    buyer_tx = Transaction.objects.get(
        direction="outbound", domain="commitment", subject_id=commitment.number
    )
    # the seller's order belongs to the same business flow as the buyer's purchase order
    assert seller_tx.domain == "sale_order" and seller_tx.parent_id == buyer_tx.pk
    assert seller_tx.root_id == (buyer_tx.root_id or buyer_tx.pk)

    drain()
    seller_tx.refresh_from_db()
    assert seller_tx.status == "delivered", seller_tx.last_error_message
    [order] = _sale_orders(odoo_sim, commitment.number)
    assert order["state"] == "sale"
    assert order["amount_untaxed"] == pytest.approx(10000.0)
    assert order["company_id"][0] == 2
    partner = odoo_sim.call("res.partner", "read", [order["partner_id"][0]], fields=["ref"])
    assert partner[0]["ref"] == "nb-de"
    buyer_tx.refresh_from_db()
    assert buyer_tx.status == "delivered", buyer_tx.last_error_message
    [purchase] = odoo_sim.call(
        "purchase.order", "search_read", [["origin", "=", commitment.number]], fields=["state"]
    )
    assert purchase["state"] == "purchase"

    result = intercompany_reconcile()
    assert result["checked"] == 1 and result["agreed"] == 1 and result["differences"] == 0
    record.refresh_from_db()
    assert record.state == IntercompanyState.AGREED
    assert record.last_result["seller"]["amount"] == "10000.00"
    assert not ExceptionItem.objects.filter(trace_key=f"intercompany:{commitment.id}").exists()


def test_a_sales_order_changed_behind_the_hubs_back_is_a_difference_until_put_right(
    group, procure, drain, odoo_sim
):
    commitment = _issue(procure)
    drain()
    [order] = _sale_orders(odoo_sim, commitment.number)
    [line] = odoo_sim.call(
        "sale.order.line", "search_read", [["order_id", "=", order["id"]]], fields=["price_unit"]
    )
    odoo_sim.call("sale.order.line", "write", [line["id"]], {"price_unit": 2400.0})

    result = intercompany_reconcile()
    assert result["differences"] == 1
    item = ExceptionItem.objects.get(trace_key=f"intercompany:{commitment.id}")
    assert item.category == "reconciliation_difference" and item.status == "open"
    assert item.details["differences"]["amount"] == {"buyer": "10000.00", "seller": "9600.00"}
    assert item.amount_at_risk == Decimal("400.00")
    assert "intercompany" in item.tags
    assert IntercompanyCommitment.objects.get().state == IntercompanyState.DIFFERENCE

    # a second run is the same item, not a new one
    intercompany_reconcile()
    assert ExceptionItem.objects.filter(trace_key=f"intercompany:{commitment.id}").count() == 1

    odoo_sim.call("sale.order.line", "write", [line["id"]], {"price_unit": 2500.0})
    assert intercompany_reconcile()["agreed"] == 1
    item.refresh_from_db()
    assert item.status == "resolved" and item.resolution_action == "auto_resolved"


def test_a_missing_sales_order_is_named(group, procure, drain, odoo_sim):
    commitment = _issue(procure)
    drain()
    [order] = _sale_orders(odoo_sim, commitment.number)
    odoo_sim.call("sale.order", "action_cancel", [order["id"]])
    odoo_sim.call("sale.order", "write", [order["id"]], {"client_order_ref": "something else"})
    intercompany_reconcile()
    item = ExceptionItem.objects.get(trace_key=f"intercompany:{commitment.id}")
    assert item.details["differences"]["seller_order"]["seller"] is None


def test_undelivered_sides_are_not_reported_as_differences(group, procure):
    commitment = _issue(procure)  # not drained: both orders still in the outbox
    result = intercompany_reconcile()
    assert result["in_flight"] == 1 and result["differences"] == 0
    assert not ExceptionItem.objects.filter(trace_key=f"intercompany:{commitment.id}").exists()


def test_an_unreachable_odoo_is_reported_not_taken_for_a_difference(
    group, procure, drain, odoo_sim
):
    commitment = _issue(procure)
    drain()
    odoo_sim.set_faults(error_rate=1.0, error="http_503")
    result = intercompany_reconcile()
    assert result["unreachable"] == 1 and result["checked"] == 0
    assert result["errors"]
    assert not ExceptionItem.objects.filter(trace_key=f"intercompany:{commitment.id}").exists()


def test_cancelling_the_commitment_cancels_the_sellers_order(group, procure, drain, odoo_sim, rob):
    commitment = _issue(procure)
    drain()
    commitment_cancel(commitment=commitment, actor=rob, reason="design changed")
    record = IntercompanyCommitment.objects.get()
    assert record.state == IntercompanyState.CANCELLED
    drain()
    [order] = _sale_orders(odoo_sim, commitment.number)
    assert order["state"] == "cancel"
    assert intercompany_reconcile()["agreed"] == 1
    # both sides seen cancelled: the next runs leave it alone
    assert intercompany_reconcile()["checked"] == 0


def test_an_entity_cannot_commit_to_itself(group, procure, school_de, rob):
    group["buyer"].vendor = vendor_upsert(
        code="V-NBDE", name="Northbridge GmbH", status=VendorStatus.APPROVED
    )
    group["buyer"].save()
    with pytest.raises(ApplicationError) as refused:
        commitment_create(
            project=school_de,
            vendor=group["buyer"].vendor,
            kind="purchase_order",
            title="To ourselves",
            lines=[],
            created_by=rob,
        )
    assert refused.value.code == "intercompany_self"


def test_a_plain_vendor_is_not_intercompany(group, procure):
    procure.issued_commitment(lines=LINES, vendor="readymix")
    assert not IntercompanyCommitment.objects.exists()
    assert not Transaction.objects.filter(domain="sale_order").exists()


def test_the_group_report_eliminates_intercompany_commitments(group, procure, ada):
    _issue(procure)
    report = group_report(user=ada, on=date.today())
    assert report["intercompany_eliminated"] == Decimal("10000.00")
    assert report["committed_consolidated"] == report["totals"]["committed"] - Decimal("10000")


def test_the_scheduled_reconciliation_includes_intercompany(group, procure, drain):
    _issue(procure)
    drain()
    reconciliation_run_all()
    job = JobRun.objects.get(domain="intercompany")
    assert job.status == "succeeded", job.outcome
    assert "1 agree" in job.outcome
    assert job.params["summary"]["agreed"] == 1


def test_the_group_page_lists_them_and_admins_can_reconcile_now(
    group, procure, drain, client, ada, fiona
):
    commitment = _issue(procure)
    drain()
    intercompany_reconcile()
    client.force_login(ada)
    page = client.get(reverse("entities:index")).content.decode()
    assert commitment.number in page and "Reconciled: both sides agree" in page
    assert "Reconcile intercompany now" in page
    response = client.post(reverse("entities:intercompany_reconcile"))
    job = JobRun.objects.get(domain="intercompany")
    assert response.status_code == 302 and response["Location"].endswith(f"/{job.pk}/")
    client.force_login(fiona)
    assert client.post(reverse("entities:intercompany_reconcile")).status_code == 403
    page = client.get(reverse("entities:index")).content.decode()
    assert "Reconcile intercompany now" not in page


def test_entities_keep_their_vendor_link_unique(group):
    other = Entity.objects.create(code="nb-jv", name="Northbridge JV", currency="EUR")
    other.vendor = group["vendor"]
    with pytest.raises(IntegrityError), transaction.atomic():
        other.save()


def test_a_change_order_on_the_commitment_moves_the_sellers_order_too(
    group, procure, drain, odoo_sim, rob
):
    from apps.procurement.services import change_order_create, change_order_submit

    commitment = _issue(procure)
    drain()
    # the hub keeps the purchase order's line ids from Odoo's answer to the create
    [po] = odoo_sim.call(
        "purchase.order", "search_read", [["origin", "=", commitment.number]], fields=["order_line"]
    )
    assert commitment.lines.get().external_ref == str(po["order_line"][0])
    change = change_order_create(
        project=commitment.project,
        kind="subcontract",
        commitment=commitment,
        title="One more culvert",
        lines=[{"commitment_line": commitment.lines.get().id, "quantity_delta": "1"}],
        created_by=rob,
    )
    change_order_submit(change_order=change, actor=rob)
    procure.approve(change)
    record = IntercompanyCommitment.objects.get()
    assert record.seller_amount == Decimal("12500.00")
    update = Transaction.objects.get(domain="sale_order", operation="update")
    assert Decimal(update.payload["lines"][0]["quantity"]) == 5
    drain()
    update.refresh_from_db()
    assert update.status == "delivered", update.last_error_message
    [order] = _sale_orders(odoo_sim, commitment.number)
    assert order["amount_untaxed"] == pytest.approx(12500.0)
    result = intercompany_reconcile()
    assert result["agreed"] == 1, (result, IntercompanyCommitment.objects.get().last_result)
