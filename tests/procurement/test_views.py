"""Procurement and approvals pages: role checks, project scoping, the live budget check, htmx
approve/reject, budget import upload and the budget page."""

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from apps.approvals.models import ApprovalRequest, Delegation
from apps.procurement.models import Requisition
from apps.procurement.services import invoice_record, requisition_create, requisition_submit

D = Decimal


def test_procurement_pages_render_for_each_reading_role(
    procure, client_for, fiona, pat, rob, alice, ada
):
    po = procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "10", "unit_price": "100"}]
    )
    invoice = invoice_record(
        vendor=po.vendor,
        number="V-1",
        invoice_date=po.created_at.date(),
        currency="EUR",
        commitment=po,
        lines=[{"commitment_line": po.lines.get().id, "quantity": "10", "unit_price": "100"}],
    )
    pages = [
        "/procurement/",
        "/procurement/requisitions/",
        "/procurement/commitments/",
        f"/procurement/commitments/{po.id}/",
        "/procurement/change-orders/",
        "/procurement/vendors/",
        "/procurement/budget/SCH-001/",
    ]
    for user in (fiona, pat, rob, alice, ada):
        client = client_for(user)
        for url in pages:
            assert client.get(url).status_code == 200, (user, url)
    page = client_for(fiona).get(f"/procurement/invoices/{invoice.id}/").content.decode()
    assert "Nothing received" in page or "nothing was received" in page
    # Requesters do not see vendor bills.
    assert client_for(rob).get("/procurement/invoices/").status_code == 403
    assert client_for(rob).get(f"/procurement/invoices/{invoice.id}/").status_code == 403


def test_budget_page_shows_phase_division_and_line_figures(procure, client_for, fiona):
    procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "10", "unit_price": "100"}]
    )
    page = client_for(fiona).get("/procurement/budget/SCH-001/").content.decode()
    assert "P1 Substructure" in page and "03 Concrete" in page
    assert "200,000.00" in page and "199,000.00" in page  # original and available
    assert "940,000.00" in page  # project total
    assert client_for(fiona).get("/procurement/budget/BRG-003/").status_code == 404


def test_requisition_form_live_check_and_submit(school_budget, client_for, rob, authority):
    client = client_for(rob)
    line_id = school_budget.line("P3", "09 21 16").id
    form = {
        "req-title": "Boards",
        "req-kind": "purchase_order",
        "line-TOTAL_FORMS": "4",
        "line-INITIAL_FORMS": "0",
        "line-0-budget_line": str(line_id),
        "line-0-quantity": "1000",
        "line-0-unit": "m2",
        "line-0-unit_price": "115",
    }
    page = client.get("/procurement/requisitions/new/?project=SCH-001").content.decode()
    assert (
        "09 21 16" in page and 'hx-post="/procurement/requisitions/check/?project=SCH-001"' in page
    )
    check = client.post(
        "/procurement/requisitions/check/?project=SCH-001", form, HTTP_HX_REQUEST="true"
    )
    assert check.status_code == 200
    html = check.content.decode()
    assert 'id="budget-check"' in html and "<html" not in html
    assert "warn" in html and "115,000.00" in html
    response = client.post("/procurement/requisitions/new/?project=SCH-001", form)
    requisition = Requisition.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/procurement/requisitions/{requisition.id}/"
    assert requisition.status == "pending_approval"
    detail = client.get(response["Location"]).content.decode()
    assert "Budget check at submission" in detail


def test_requisition_form_blocked_budget_keeps_a_draft_with_the_reason(
    school_budget, client_for, rob
):
    form = {
        "req-title": "Too many boards",
        "req-kind": "purchase_order",
        "line-TOTAL_FORMS": "1",
        "line-INITIAL_FORMS": "0",
        "line-0-budget_line": str(school_budget.line("P3", "09 21 16").id),
        "line-0-quantity": "2000",
        "line-0-unit_price": "115",
    }
    response = client_for(rob).post(
        "/procurement/requisitions/new/?project=SCH-001", form, follow=True
    )
    assert Requisition.objects.get().status == "draft"
    assert "The budget check blocks" in response.content.decode()


def test_only_requesters_create_requisitions(school_budget, client_for, alice, fiona):
    assert client_for(alice).get("/procurement/requisitions/new/").status_code == 403
    assert (
        client_for(fiona).post("/procurement/requisitions/check/?project=SCH-001", {}).status_code
        == 403
    )


def test_approvals_page_approve_with_htmx_and_refusal_shown(
    school_budget, client_for, rob, alice, authority
):
    requisition = requisition_create(
        project=school_budget.project,
        requested_by=rob,
        title="Boards",
        lines=[{"phase": "P3", "cost_code": "09 21 16", "quantity": "1", "unit_price": "60000"}],
    )
    requisition_submit(requisition=requisition, actor=rob)
    small = requisition_create(
        project=school_budget.project,
        requested_by=rob,
        title="Screws",
        lines=[{"phase": "P3", "cost_code": "09 21 16", "quantity": "1", "unit_price": "100"}],
    )
    requisition_submit(requisition=small, actor=rob)
    big_request, small_request = ApprovalRequest.objects.order_by("id")
    client = client_for(alice)
    page = client.get("/approvals/").content.decode()
    # alice's limit is 50,000: only the small one waits for her.
    assert f'id="approval-{small_request.id}"' in page
    assert f'id="approval-{big_request.id}"' not in page
    response = client.post(
        f"/approvals/{small_request.id}/approve/", {"comment": "ok"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200 and "Approved" in html and "<html" not in html
    refused = client.post(f"/approvals/{big_request.id}/approve/", {}, HTTP_HX_REQUEST="true")
    assert (
        "refused" in refused.content.decode()
        and "above alice&#x27;s limit" in refused.content.decode()
    )
    rob_page = client_for(rob).get("/approvals/").content.decode()
    assert "Screws" in rob_page and "Approved" in rob_page


def test_delegation_from_the_approvals_page(client_for, alice, rob):
    from django.utils import timezone

    now = timezone.now()
    response = client_for(alice).post(
        "/approvals/delegations/new/",
        {
            "delegate": rob.id,
            "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (now + timezone.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
            "reason": "holiday",
        },
    )
    assert response.status_code == 302
    delegation = Delegation.objects.get()
    assert delegation.delegator == alice and delegation.delegate == rob
    client_for(alice).post(f"/approvals/delegations/{delegation.id}/end/")
    delegation.refresh_from_db()
    assert delegation.revoked_at is not None


def test_budget_import_page_upload_and_report(school_budget, client_for, fiona, rob):
    assert client_for(rob).get("/procurement/budget-import/").status_code == 403
    content = (
        b"project,phase,cost code,description,amount\n"
        b"SCH-001,P1,03 31 13,Concrete,210000\n"
        b"SCH-001,P1,00 00 00,Bad code,10\n"
    )
    client = client_for(fiona)
    response = client.post(
        "/procurement/budget-import/",
        {"file": SimpleUploadedFile("estimate.csv", content, content_type="text/csv")},
    )
    assert response.status_code == 302
    report = client.get(response["Location"] + "?refused=1").content.decode()
    assert "1 accepted" in report and "1 refused" in report
    assert "unknown cost code &#x27;00 00 00&#x27;" in report
    assert school_budget.line("P1", "03 31 13").original_amount == D("210000.00")
    bad = client.post(
        "/procurement/budget-import/",
        {"file": SimpleUploadedFile("x.pdf", b"%PDF", content_type="application/pdf")},
    )
    assert bad.status_code == 200 and "only CSV and XLSX" in bad.content.decode()


def test_anonymous_is_sent_to_login(client, db):
    for url in ["/procurement/", "/approvals/", "/procurement/budget-import/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_site_receipt_form_and_its_segregation_of_duties(procure, client_for, sam, alice):
    from django.contrib.auth.models import Group

    po = procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "10", "unit_price": "100"}]
    )
    line = po.lines.get()
    page = client_for(sam).get(f"/procurement/commitments/{po.id}/").content.decode()
    assert 'id="receipt-form"' in page
    response = client_for(sam).post(
        f"/procurement/commitments/{po.id}/receipts/new/",
        {f"qty-{line.id}": "4", "reference": "DN-1"},
        follow=True,
    )
    assert "recorded" in response.content.decode()
    line.refresh_from_db()
    assert line.received_quantity == D("4")
    alice.groups.add(Group.objects.get(name="requester"))
    refused = client_for(alice).post(
        f"/procurement/commitments/{po.id}/receipts/new/", {f"qty-{line.id}": "1"}, follow=True
    )
    assert "cannot also confirm its receipt" in refused.content.decode()
    line.refresh_from_db()
    assert line.received_quantity == D("4")


def test_vendor_block_and_approve_from_the_vendor_page(vendors, client_for, fiona, rob):
    vendor = vendors["expired"]
    assert (
        client_for(rob)
        .post("/procurement/vendors/block/", {"vendor": vendor.id, "reason": "x"})
        .status_code
        == 403
    )
    client = client_for(fiona)
    client.post(
        "/procurement/vendors/approve/", {"vendor": vendor.id, "insurance_expiry": "2031-01-31"}
    )
    vendor.refresh_from_db()
    assert vendor.insurance_expiry.isoformat() == "2031-01-31"
    client.post("/procurement/vendors/block/", {"vendor": vendor.id, "reason": "fraud check"})
    vendor.refresh_from_db()
    assert vendor.status == "blocked" and vendor.blocked_reason == "fraud check"


def test_budget_policy_form_for_finance_only(school_budget, client_for, fiona, rob):
    assert (
        'id="budget-policy"'
        not in client_for(rob).get("/procurement/budget/SCH-001/").content.decode()
    )
    assert client_for(rob).post("/procurement/budget/SCH-001/", {}).status_code == 403
    client_for(fiona).post(
        "/procurement/budget/SCH-001/",
        {"budget_policy": "warn", "warn_at_pct": "85", "overrun_block_pct": "5"},
    )
    project = school_budget.project
    project.refresh_from_db()
    assert (project.budget_policy, project.budget_warn_at_pct) == ("warn", D("85.00"))


def test_change_orders_from_the_pages(procure, client_for, rob, fiona, school_budget):
    from apps.procurement.models import ChangeOrder

    po = procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "10", "unit_price": "100"}]
    )
    line = po.lines.get()
    response = client_for(rob).post(
        "/procurement/change-orders/new/SCH-001/",
        {"commitment": po.id, "title": "More", f"delta-{line.id}": "5"},
    )
    assert response["Location"] == f"/procurement/commitments/{po.id}/"
    commitment_change = ChangeOrder.objects.get(kind="subcontract")
    assert commitment_change.status == "pending_approval" and commitment_change.amount == D(
        "500.00"
    )
    # Requesters cannot raise owner change orders; finance can.
    client_for(rob).post(
        "/procurement/change-orders/new/SCH-001/",
        {"title": "x", "budget_line": school_budget.line("P1", "03 31 13").id, "amount_delta": "1"},
    )
    assert not ChangeOrder.objects.filter(kind="owner").exists()
    client_for(fiona).post(
        "/procurement/change-orders/new/SCH-001/",
        {
            "title": "Client variation",
            "budget_line": school_budget.line("P1", "03 31 13").id,
            "amount_delta": "2500",
        },
    )
    owner = ChangeOrder.objects.get(kind="owner")
    assert owner.status == "pending_approval" and owner.amount == D("2500.00")


def test_claim_certification_from_the_commitment_page(procure, client_for, sam, dora, rob):
    from apps.procurement.services import progress_claim_submit

    sc = procure.issued_commitment(
        kind="subcontract",
        vendor="steel",
        title="Steel frame",
        lines=[{"phase": "P2", "cost_code": "05 12 23", "quantity": "1", "unit_price": "240000"}],
        approver=dora,
    )
    claim = progress_claim_submit(
        commitment=sc,
        submitted_by=rob,
        period_end=sc.created_at.date(),
        lines=[{"line": sc.lines.get(), "percent_complete": "25"}],
    )
    page = client_for(sam).get(f"/procurement/commitments/{sc.id}/").content.decode()
    assert "Certify as claimed" in page
    client_for(sam).post(f"/procurement/commitments/{sc.id}/claims/certify/", {"claim": claim.id})
    claim.refresh_from_db()
    assert claim.status == "certified" and claim.certified_by == sam
