"""The procurement and approvals API: role checks, project scoping, money as strings, the one
error shape, and the OpenAPI schema."""

from decimal import Decimal

import pytest

from apps.approvals.models import ApprovalRequest
from apps.procurement.models import Requisition

D = Decimal


def check_body(amount, code="09 21 16", phase="P3", project="SCH-001"):
    return {"project": project, "lines": [{"cost_code": code, "phase": phase, "amount": amount}]}


def test_budget_check_answers_with_figures_as_strings(school_budget, rob, api_client_for):
    client = api_client_for(rob)
    response = client.post("/api/v1/budget-check/", check_body("110000.00"), format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["outcome"] == "warn"
    line = body["lines"][0]
    assert line["revised"] == "120000.00" and line["available_after"] == "10000.00"
    assert line["utilisation_after_pct"] == "91.7"
    assert body["policy"]["budget_policy"] == "hard_block"
    blocked = client.post("/api/v1/budget-check/", check_body("120000.01"), format="json").json()
    assert blocked["outcome"] == "block"


def test_budget_check_refuses_bad_input_and_other_projects(
    school_budget, rob, api_client_for, bridge
):
    client = api_client_for(rob)
    response = client.post(
        "/api/v1/budget-check/", {"project": "SCH-001", "lines": []}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    response = client.post("/api/v1/budget-check/", check_body("abc"), format="json")
    assert response.status_code == 400 and "amount" in response.json()["error"]["message"]
    response = client.post(
        "/api/v1/budget-check/", check_body("1", project="BRG-003"), format="json"
    )
    assert response.status_code == 404


def test_anonymous_and_wrong_roles_are_refused(school_budget, pat, api_client_for, client):
    assert client.post(
        "/api/v1/budget-check/", check_body("1"), content_type="application/json"
    ).status_code in (401, 403)
    pat_client = api_client_for(pat)
    assert pat_client.post("/api/v1/requisitions/", {}, format="json").status_code == 403
    assert pat_client.get("/api/v1/requisitions/").status_code == 200


def test_requisition_create_submit_and_approve_over_the_api(
    school_budget, rob, alice, authority, vendors, api_client_for
):
    rob_client = api_client_for(rob)
    response = rob_client.post(
        "/api/v1/requisitions/",
        {
            "project": "SCH-001",
            "title": "Plasterboard for level 2",
            "vendor": "V-RMX",
            "lines": [
                {
                    "phase": "P3",
                    "cost_code": "09 21 16",
                    "quantity": "400",
                    "unit": "m2",
                    "unit_price": "12.50",
                }
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending_approval" and body["total_amount"] == "5000.00"
    assert body["budget_check"]["outcome"] == "available"
    request_id = ApprovalRequest.objects.get().id

    # rob cannot approve (role), alice can; her approval issues the PO.
    assert (
        rob_client.post(f"/api/v1/approvals/{request_id}/approve", {}, format="json").status_code
        == 403
    )
    alice_client = api_client_for(alice)
    waiting = alice_client.get("/api/v1/approvals/").json()
    assert [row["id"] for row in waiting] == [request_id]
    response = alice_client.post(
        f"/api/v1/approvals/{request_id}/approve", {"comment": "fine"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert Requisition.objects.get().status == "converted"
    commitments = alice_client.get("/api/v1/commitments/").json()["results"]
    assert commitments[0]["status"] == "issued" and commitments[0]["total_amount"] == "5000.00"
    detail = alice_client.get(f"/api/v1/commitments/{commitments[0]['id']}/").json()
    assert detail["lines"][0]["cost_code"] == "09 21 16"
    # Deciding again: 409 with the one error shape.
    again = alice_client.post(f"/api/v1/approvals/{request_id}/approve", {}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "approval_not_pending"


def test_blocked_requisition_is_409_with_the_budget_figures(school_budget, rob, api_client_for):
    response = api_client_for(rob).post(
        "/api/v1/requisitions/",
        {
            "project": "SCH-001",
            "title": "Too much",
            "lines": [
                {"phase": "P3", "cost_code": "09 21 16", "quantity": "1", "unit_price": "130000"}
            ],
        },
        format="json",
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "budget_blocked"
    assert error["details"]["lines"][0]["available_after"] == "-10000.00"


def test_approval_refusal_codes_reach_the_client(
    school_budget, rob, alice, authority, api_client_for
):
    api_client_for(rob).post(
        "/api/v1/requisitions/",
        {
            "project": "SCH-001",
            "title": "Big",
            "lines": [
                {"phase": "P3", "cost_code": "09 21 16", "quantity": "1", "unit_price": "60000"}
            ],
        },
        format="json",
    )
    request_id = ApprovalRequest.objects.get().id
    client = api_client_for(alice)
    response = client.post(f"/api/v1/approvals/{request_id}/approve", {}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "authority_limit_exceeded"
    response = client.post(f"/api/v1/approvals/{request_id}/reject", {}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "comment_required"


def test_lists_are_scoped_to_the_users_projects(
    procure, school_budget, bridge, api_client_for, ada
):
    from apps.accounts import roles
    from apps.accounts.services import user_create

    procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "1", "unit_price": "100"}]
    )
    outsider = user_create(
        username="otto", password="x-pass-1234", roles=[roles.FINANCE], projects=[bridge]
    )
    client = api_client_for(outsider)
    assert client.get("/api/v1/commitments/").json()["results"] == []
    assert client.get("/api/v1/budget-lines/").json()["results"] == []
    assert client.get("/api/v1/invoices/").json()["results"] == []
    lines = (
        api_client_for(ada).get("/api/v1/budget-lines/?project=SCH-001&phase=P1").json()["results"]
    )
    assert {line["cost_code"] for line in lines} == {"03 31 13", "31 23 16"}
    concrete = next(line for line in lines if line["cost_code"] == "03 31 13")
    assert concrete["figures"]["committed"] == "100.00"


def test_receipt_api_enforces_segregation_of_duties(procure, alice, sam, api_client_for):
    po = procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "10", "unit_price": "100"}]
    )
    line_id = po.lines.get().id
    body = {"lines": [{"commitment_line": line_id, "quantity": "4"}], "reference": "DN-77"}
    from django.contrib.auth.models import Group

    alice.groups.add(Group.objects.get(name="requester"))
    refused = api_client_for(alice).post(
        f"/api/v1/commitments/{po.id}/receipts/", body, format="json"
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "sod_po_approver_receipt"
    created = api_client_for(sam).post(
        f"/api/v1/commitments/{po.id}/receipts/", body, format="json"
    )
    assert created.status_code == 201 and created.json()["received_by"] == "sam"


def test_invoice_api_shows_the_match_outcome(procure, fiona, api_client_for):
    from apps.procurement.services import invoice_record

    po = procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "10", "unit_price": "100"}]
    )
    invoice = invoice_record(
        vendor=po.vendor,
        number="RMX-API",
        invoice_date=po.created_at.date(),
        currency="EUR",
        commitment=po,
        lines=[{"commitment_line": po.lines.get().id, "quantity": "10", "unit_price": "100"}],
    )
    body = api_client_for(fiona).get(f"/api/v1/invoices/{invoice.id}/").json()
    assert body["match_status"] == "exception"
    assert body["match_reasons"][0]["code"] == "no_receipt"
    assert body["lines"][0]["match_status"] == "exception"
    assert body["payable_amount"] == "1000.00"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/budget-check/",
        "/api/v1/budget-lines/",
        "/api/v1/requisitions/",
        "/api/v1/approvals/{request_id}/approve",
        "/api/v1/approvals/{request_id}/reject",
        "/api/v1/commitments/",
        "/api/v1/invoices/",
    ],
)
def test_endpoints_are_in_the_openapi_schema(ada, client_for, path):
    response = client_for(ada).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    import json

    assert path in json.loads(response.content)["paths"]
