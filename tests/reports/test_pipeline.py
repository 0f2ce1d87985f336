import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from apps.approvals.choices import DocumentType, RequestStatus
from apps.approvals.models import ApprovalRequest
from apps.procurement.choices import InvoiceStatus, MatchStatus, RequisitionStatus
from apps.procurement.models import Commitment, Invoice, Requisition
from apps.reports.filters import ReportFilters
from apps.reports.pipeline import pipeline_report
from tests.reports.conftest import bill_and_pay

D = Decimal
NOW = timezone.now()
TODAY = timezone.localdate()


def requisition(project, rob, number, status, amount, submitted_days_ago):
    return Requisition.objects.create(
        number=number,
        project=project,
        title=number,
        currency="EUR",
        total_amount=D(amount),
        status=status,
        requested_by=rob,
        submitted_at=NOW - timedelta(days=submitted_days_ago),
    )


@pytest.fixture
def pipeline(procure, school, bridge, vendors, rob):
    """Requisitions: 12,000 pending, 3,000 approved (not converted), 8,000 converted, a draft.
    PO-A 10 × 1,000 due 5 days ago with 4 received; PO-B 500 due in 10 days. Bills: 4,000 matched
    and paid, 2,500 in exception. One approval 3 days past due, one not due yet."""
    requisition(school, rob, "REQ-1", RequisitionStatus.PENDING_APPROVAL, "12000.00", 2)
    requisition(school, rob, "REQ-2", RequisitionStatus.APPROVED, "3000.00", 40)
    requisition(school, rob, "REQ-3", RequisitionStatus.CONVERTED, "8000.00", 60)
    requisition(school, rob, "REQ-4", RequisitionStatus.DRAFT, "999.00", 1)
    po_a = procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "10", "unit_price": "1000"}]
    )
    po_b = procure.issued_commitment(
        lines=[{"phase": "P3", "cost_code": "26 05 19", "quantity": "1", "unit_price": "500"}],
        title="Cables",
    )
    Commitment.objects.filter(pk=po_a.pk).update(expected_delivery_date=TODAY - timedelta(5))
    Commitment.objects.filter(pk=po_b.pk).update(planned_delivery_date=TODAY + timedelta(10))
    procure.receive(po_a, {1: "4"})
    bill_and_pay(
        project=school,
        commitment=po_a,
        vendor=vendors["readymix"],
        number="INV-1",
        amount="4000.00",
        paid_on=TODAY,
    )
    exception = Invoice.objects.create(
        vendor=vendors["readymix"],
        project=school,
        commitment=po_a,
        number="INV-2",
        invoice_date=TODAY - timedelta(days=7),
        currency="EUR",
        subtotal=D("2500.00"),
        payable_amount=D("2500.00"),
        status=InvoiceStatus.HELD,
        match_status=MatchStatus.EXCEPTION,
    )
    content_type = ContentType.objects.get_for_model(Requisition)
    late, _ = (
        ApprovalRequest.objects.create(
            document_type=DocumentType.REQUISITION,
            content_type=content_type,
            object_id=object_id,
            project=school,
            title=title,
            amount=D("12000.00"),
            currency="EUR",
            requested_by=rob,
            created_by=rob,
            status=RequestStatus.PENDING,
            due_at=NOW + timedelta(days=days),
        )
        for object_id, title, days in ((1, "Late approval", -3), (2, "Fresh approval", 2))
    )
    # The bridge's waits are not pat's.
    requisition(bridge, rob, "REQ-B", RequisitionStatus.PENDING_APPROVAL, "50.00", 1)
    return {"a": po_a, "b": po_b, "exception": exception, "late": late}


def _stages(report):
    return {row["stage_key"]: row for row in report["rows"]}


@pytest.mark.django_db
def test_stages_and_waits_from_a_known_fixture(pat, pipeline):
    report = pipeline_report(user=pat, filters=ReportFilters(), today=TODAY, now=NOW)
    stages = _stages(report)
    figures = {
        key: (row["count"], row["amount"], row["waiting"], row["waiting_amount"])
        for key, row in stages.items()
    }
    assert figures == {
        "requisitions": (3, D("23000.00"), 1, D("12000.00")),
        "approved": (2, D("11000.00"), 1, D("3000.00")),
        "commitments": (2, D("10500.00"), 1, D("10000.00")),
        "receipts": (1, D("4000.00"), 0, D("0.00")),
        "invoices": (2, D("6500.00"), 1, D("2500.00")),
        "payments": (1, D("4000.00"), 0, D("0.00")),
    }
    assert [a.title for a in report["delayed_approvals"]] == ["Late approval"]
    assert report["delayed_approvals"][0].days_overdue == 3
    (late,) = report["missing_receipts"]
    assert (late["commitment"].pk, late["days_late"], late["outstanding"]) == (
        pipeline["a"].pk,
        5,
        D("6000.00"),
    )
    assert [i.number for i in report["unmatched_invoices"]] == ["INV-2"]
    assert report["unmatched_amount"] == {"EUR": D("2500.00")}


@pytest.mark.django_db
def test_period_filters_each_stage_by_its_date(pat, pipeline):
    filters = ReportFilters(date_from=TODAY - timedelta(days=30), date_to=TODAY)
    stages = _stages(pipeline_report(user=pat, filters=filters, today=TODAY, now=NOW))
    assert stages["requisitions"]["count"] == 1  # only REQ-1 was submitted in the period
    assert stages["approved"]["count"] == 0
    assert stages["invoices"]["count"] == 2


@pytest.mark.django_db
def test_page_drills_into_the_waiting_records(fiona, client_for, pipeline):
    html = client_for(fiona).get("/reports/procurement-pipeline/").content.decode()
    assert 'data-plotly-figure="fig-pipeline-EUR"' in html
    # The receipts stage (table row and chart bar) leads to the late deliveries below.
    assert 'href="/reports/procurement-pipeline/#missing-receipts"' in html
    assert '"/reports/procurement-pipeline/#missing-receipts"' in html.split("fig-pipeline-EUR")[1]
    missing = html[html.index('id="pipeline-missing-receipts"') :]
    assert f'href="/procurement/commitments/{pipeline["a"].pk}/"' in missing
    assert f'href="/procurement/commitments/{pipeline["b"].pk}/"' not in missing
    unmatched = html[html.index('id="pipeline-unmatched"') :]
    assert f'href="/procurement/invoices/{pipeline["exception"].pk}/"' in unmatched
    assert "Late approval" in html and "Fresh approval" not in html
    assert "REQ-B" not in html


@pytest.mark.django_db
def test_exports_match_the_page(pat, client_for, pipeline):
    client = client_for(pat)
    html = client.get("/reports/procurement-pipeline/").content.decode()
    rows = list(
        csv.DictReader(
            io.StringIO(client.get("/reports/procurement-pipeline/?format=csv").content.decode())
        )
    )
    assert [r["Stage"] for r in rows] == [
        "Requisitions submitted",
        "Requisitions approved",
        "POs and subcontracts committed",
        "Receipts",
        "Invoices",
        "Payments",
    ]
    assert rows[4]["Waiting amount"] == "2500.00"
    table = html[html.index('id="pipeline-stages"') :]
    for row in rows:
        assert f'<td class="num">{row["Amount"]}</td>' in table
    from openpyxl import load_workbook

    xlsx = client.get("/reports/procurement-pipeline/?format=xlsx")
    values = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert len(values) == 7
    assert D(str(values[3][values[0].index("Amount")])) == D("10500.00")


@pytest.mark.django_db
def test_pipeline_needs_pmo_or_finance(rob, alice, client_for):
    assert client_for(rob).get("/reports/procurement-pipeline/").status_code == 403
    assert client_for(alice).get("/reports/procurement-pipeline/").status_code == 403
