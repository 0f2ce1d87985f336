"""Pay application figures across periods (schedule and quantities), refusals, the API and the
pages, role and project scoping."""

from datetime import date
from decimal import Decimal

import pytest

from apps.approvals.choices import Decision
from apps.approvals.services import approval_decide
from apps.billing.models import PayApplication
from apps.billing.services import pay_application_create, pay_application_submit
from apps.core.errors import ApplicationError
from apps.ledger.models import Transaction
from tests.plugins.procurement import pending_request

D = Decimal
pytestmark = pytest.mark.django_db


def _approve(app, fiona, alice):
    pay_application_submit(pay_application=app, actor=fiona)
    approval_decide(request_id=pending_request(app).id, actor=alice, decision=Decision.APPROVE)
    app.refresh_from_db()
    return app


def test_second_period_bills_only_the_progress_since_the_first(
    owner_contract, schedule_update, billing_authority, fiona, alice
):
    schedule_update({"A1000": "50", "A2000": "25"})
    first = pay_application_create(
        contract=owner_contract,
        actor=fiona,
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
    )
    _approve(first, fiona, alice)
    assert first.status == "approved"
    # No Odoo system is configured here: the approval stands, nothing is routed.
    assert not Transaction.objects.filter(domain="customer_invoice").exists()
    schedule_update({"A1000": "75", "A2000": "25"})
    second = pay_application_create(
        contract=owner_contract,
        actor=fiona,
        period_start=date(2026, 4, 1),
        period_end=date(2026, 4, 30),
    )
    lines = list(second.lines.all())
    assert [line.previous_value for line in lines] == [D("300000.00"), D("100000.00")]
    assert [line.this_period_value for line in lines] == [D("150000.00"), D("0.00")]
    assert second.completed_to_date == D("550000.00")
    assert second.completed_this_period == D("150000.00")
    assert second.retention_previous == D("40000.00")
    assert second.retention_this_period == D("15000.00")
    assert second.amount_due == D("135000.00")
    assert second.number == "OC-SCH-001-PA002"


def test_quantities_drive_progress_when_entered(owner_contract, fiona):
    app = pay_application_create(
        contract=owner_contract,
        actor=fiona,
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
        progress_source="quantities",
        entries={"1": {"quantity": "300"}},
    )
    first = app.lines.get(line_no=1)
    assert first.quantity_to_date == D("300") and first.percent_to_date == D("25")
    assert first.to_date_value == D("150000.00")
    assert app.amount_due == D("135000.00")


def test_refusals_open_application_overlap_and_quantity_above_contract(
    owner_contract, fiona, billing_authority, alice
):
    with pytest.raises(ApplicationError) as too_much:
        pay_application_create(
            contract=owner_contract,
            actor=fiona,
            period_start=date(2026, 3, 1),
            period_end=date(2026, 3, 31),
            progress_source="quantities",
            entries={"1": {"quantity": "5000"}},
        )
    assert too_much.value.code == "quantity_above_contract"
    app = pay_application_create(
        contract=owner_contract,
        actor=fiona,
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
        progress_source="percent",
        entries={"1": "10"},
    )
    with pytest.raises(ApplicationError) as open_app:
        pay_application_create(
            contract=owner_contract,
            actor=fiona,
            period_start=date(2026, 4, 1),
            period_end=date(2026, 4, 30),
        )
    assert open_app.value.code == "pay_application_open"
    _approve(app, fiona, alice)
    with pytest.raises(ApplicationError) as overlap:
        pay_application_create(
            contract=owner_contract,
            actor=fiona,
            period_start=date(2026, 3, 15),
            period_end=date(2026, 4, 30),
        )
    assert overlap.value.code == "period_overlap"


def test_api_creates_contract_and_pay_application_and_submits(
    api_client_for, fiona, school_budget, billing_authority
):
    client = api_client_for(fiona)
    created = client.post(
        "/api/v1/billing/contracts/",
        {
            "project": "SCH-001",
            "number": "OC-API",
            "customer_name": "Riverside Education Authority",
            "customer_ref": "C-REA",
            "retention_pct": "5",
            "lines": [{"cost_code": "31 23 00", "scheduled_value": "200000"}],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    contract_id = created.json()["id"]
    app = client.post(
        "/api/v1/billing/pay-applications/",
        {
            "contract": contract_id,
            "period_start": "2026-03-01",
            "period_end": "2026-03-31",
            "progress_source": "percent",
            "entries": {"1": {"percent": "40"}},
        },
        format="json",
    )
    assert app.status_code == 201, app.content
    body = app.json()
    assert body["completed_this_period"] == "80000.00"
    assert body["retention_this_period"] == "4000.00"
    assert body["amount_due"] == "76000.00"
    submitted = client.post(f"/api/v1/billing/pay-applications/{body['id']}/submit/")
    assert submitted.status_code == 200 and submitted.json()["status"] == "pending_approval"
    again = client.post(f"/api/v1/billing/pay-applications/{body['id']}/submit/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_draft"
    listed = client.get("/api/v1/billing/pay-applications/", {"contract": contract_id})
    assert [row["number"] for row in listed.json()["results"]] == ["OC-API-PA001"]


def test_api_roles_and_project_scope(api_client_for, owner_contract, pat, rob, ada, bridge):
    assert api_client_for(pat).get("/api/v1/billing/contracts/").status_code == 200
    refused = api_client_for(pat).post(
        "/api/v1/billing/pay-applications/",
        {"contract": owner_contract.id, "period_start": "2026-03-01", "period_end": "2026-03-31"},
        format="json",
    )
    assert refused.status_code == 403
    assert api_client_for(rob).get("/api/v1/billing/contracts/").status_code == 403
    from apps.accounts import roles
    from apps.accounts.services import user_create

    outsider = user_create(
        username="brian", password="x-pass-12345", roles=[roles.FINANCE], projects=[bridge]
    )
    client = api_client_for(outsider)
    assert client.get("/api/v1/billing/contracts/").json()["results"] == []
    assert client.get(f"/api/v1/billing/contracts/{owner_contract.id}/").status_code == 404


def test_pages_create_compute_and_submit(client_for, fiona, pat, owner_contract, billing_authority):
    client = client_for(fiona)
    index = client.get("/billing/")
    assert index.status_code == 200 and b"OC-SCH-001" in index.content
    response = client.post(
        f"/billing/contracts/{owner_contract.id}/",
        {
            "period_start": "2026-03-01",
            "period_end": "2026-03-31",
            "progress_source": "percent",
            "entries": "1=10\n2=5",
        },
    )
    app = PayApplication.objects.get()
    assert response.status_code == 302 and response["Location"] == (
        f"/billing/pay-applications/{app.id}/"
    )
    assert app.completed_this_period == D("80000.00")
    detail = client.get(f"/billing/pay-applications/{app.id}/")
    assert b"Submit for approval" in detail.content
    client.post(f"/billing/pay-applications/{app.id}/submit/")
    app.refresh_from_db()
    assert app.status == "pending_approval"
    # PMO reads but does not write.
    viewer = client_for(pat)
    assert viewer.get(f"/billing/pay-applications/{app.id}/").status_code == 200
    assert b"Submit for approval" not in viewer.get(f"/billing/pay-applications/{app.id}/").content
    assert viewer.post(f"/billing/pay-applications/{app.id}/cancel/").status_code == 403
