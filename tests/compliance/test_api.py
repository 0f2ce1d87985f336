"""Compliance API: documents and holds with the page's roles and project scoping; recording a
valid document through the API releases the compliance hold on a progress claim."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.approvals.choices import Decision, DocumentType
from apps.approvals.services import approval_decide
from apps.compliance.models import ComplianceDocument, ComplianceHold
from apps.compliance.services import compliance_document_record, compliance_policy_set
from apps.exceptions.models import ExceptionItem
from apps.procurement.choices import CommitmentKind
from apps.procurement.services import invoice_record, progress_claim_certify, progress_claim_submit
from apps.procurement.services.vendors import vendor_upsert
from tests.plugins.procurement import pending_request

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DOCUMENTS = "/api/v1/compliance/documents/"
HOLDS = "/api/v1/compliance/holds/"


@pytest.fixture
def subcontract(procure):
    return procure.issued_commitment(
        kind=CommitmentKind.SUBCONTRACT,
        vendor="steel",
        title="Steel erection",
        lines=[
            {
                "phase": "P3",
                "cost_code": "09 21 16",
                "quantity": "1",
                "unit": "ls",
                "unit_price": "10000",
            }
        ],
    )


@pytest.fixture
def held_claim(procure, subcontract, fiona, ada):
    """A progress-claim bill on the school held for an expired insurance certificate."""
    vendor = subcontract.vendor
    compliance_policy_set(actor=ada, kind="insurance")
    compliance_document_record(
        vendor=vendor, kind="insurance", expires_on=TODAY - timedelta(days=3), reference="OLD-1"
    )
    line = subcontract.lines.get()
    claim = progress_claim_submit(
        commitment=subcontract,
        submitted_by=procure.rob,
        period_end=TODAY,
        lines=[{"line": line, "percent_complete": "40"}],
    )
    progress_claim_certify(claim=claim, certified_by=procure.sam)
    invoice = invoice_record(
        vendor=vendor,
        number="STL-C9",
        invoice_date=TODAY,
        currency="EUR",
        commitment=subcontract,
        lines=[{"commitment_line": line.id, "quantity": "0.4", "unit_price": "10000"}],
    )
    approval_decide(
        request_id=pending_request(invoice, DocumentType.POSTING).id,
        actor=fiona,
        decision=Decision.APPROVE,
    )
    invoice.refresh_from_db()
    assert invoice.payment_hold
    return invoice


def test_recording_a_valid_document_through_the_api_releases_the_hold(
    api_client_for, fiona, held_claim
):
    vendor, project = held_claim.vendor, held_claim.project
    client = api_client_for(fiona)
    holds = client.get(f"{HOLDS}?status=active&vendor={vendor.code}").json()["results"]
    assert [(h["kind"], h["invoice"], h["project"]) for h in holds] == [
        ("payment", "STL-C9", project.code)
    ]
    assert holds[0]["missing"][0]["code"] == "compliance_expired"
    expiry = TODAY + timedelta(days=365)
    response = client.post(
        DOCUMENTS,
        {
            "vendor": vendor.code,
            "project": project.code,
            "kind": "insurance",
            "expires_on": expiry.isoformat(),
            "reference": "CERT-2027",
            "document_ref": "cert-2027.pdf",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["expires_on"], body["recorded_by"]) == (
        "insurance",
        expiry.isoformat(),
        "fiona",
    )
    document = ComplianceDocument.objects.get(reference="CERT-2027")
    assert document.document_ref == "cert-2027.pdf" and document.source == "upload"
    hold = ComplianceHold.objects.get(invoice=held_claim)
    assert hold.status == "released" and hold.released_by_document == document
    held_claim.refresh_from_db()
    assert not held_claim.payment_hold
    assert ExceptionItem.objects.get(trace_key=hold.trace_key).status == "resolved"
    released = client.get(f"{HOLDS}?status=released").json()["results"]
    assert [h["released_by_document_id"] for h in released] == [document.pk]
    assert client.get(f"{HOLDS}?status=active").json()["results"] == []


def test_document_record_validates_like_the_page(api_client_for, fiona, rob, subcontract):
    vendor = subcontract.vendor.code
    client = api_client_for(fiona)
    bad_kind = client.post(DOCUMENTS, {"vendor": vendor, "kind": "passport"}, format="json")
    assert bad_kind.status_code == 400 and "kind" in bad_kind.json()["error"]["details"]
    bad_dates = client.post(
        DOCUMENTS,
        {
            "vendor": vendor,
            "kind": "licence",
            "valid_from": TODAY.isoformat(),
            "expires_on": (TODAY - timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert bad_dates.status_code == 400 and bad_dates.json()["error"]["code"] == "bad_dates"
    bad_day = client.post(
        DOCUMENTS, {"vendor": vendor, "kind": "licence", "expires_on": "31/12/2027"}, format="json"
    )
    assert bad_day.status_code == 400 and "expires_on" in bad_day.json()["error"]["details"]
    unknown = client.post(DOCUMENTS, {"vendor": "NOPE", "kind": "licence"}, format="json")
    assert unknown.status_code == 404
    # Requesters read the compliance page but do not record documents.
    assert api_client_for(rob).get(DOCUMENTS).status_code == 200
    refused = api_client_for(rob).post(DOCUMENTS, {"vendor": vendor, "kind": "licence"})
    assert refused.status_code == 403
    assert not ComplianceDocument.objects.exists()


def test_documents_and_holds_of_another_project_are_not_visible(
    api_client_for, rob, fiona, ada, subcontract, bridge
):
    steel = subcontract.vendor
    stranger = vendor_upsert(code="V-STRANGER", name="Elsewhere Scaffolding")
    compliance_document_record(vendor=steel, kind="insurance", expires_on=None, reference="ALL")
    compliance_document_record(
        vendor=steel, project=subcontract.project, kind="licence", expires_on=None, reference="SCH"
    )
    compliance_document_record(
        vendor=steel, project=bridge, kind="licence", expires_on=None, reference="BRG"
    )
    compliance_document_record(
        vendor=stranger, kind="insurance", expires_on=None, reference="STRANGER"
    )
    ComplianceHold.objects.create(vendor=steel, project=bridge, kind="payment", missing=[])
    client = api_client_for(rob)
    seen = {row["reference"] for row in client.get(DOCUMENTS).json()["results"]}
    assert seen == {"ALL", "SCH"}
    assert client.get(HOLDS).json()["results"] == []
    assert client.get(f"{DOCUMENTS}?project={bridge.code}").status_code == 404
    assert (
        api_client_for(fiona)
        .post(
            DOCUMENTS,
            {"vendor": steel.code, "project": bridge.code, "kind": "licence"},
            format="json",
        )
        .status_code
        == 404
    )
    everything = {row["reference"] for row in api_client_for(ada).get(DOCUMENTS).json()["results"]}
    assert everything == {"ALL", "SCH", "BRG", "STRANGER"}
    assert len(api_client_for(ada).get(HOLDS).json()["results"]) == 1


def test_document_filters_by_kind_vendor_project_and_expiry(api_client_for, fiona, subcontract):
    steel = subcontract.vendor
    project = subcontract.project
    compliance_document_record(
        vendor=steel, kind="insurance", expires_on=TODAY - timedelta(days=1), reference="OLD"
    )
    compliance_document_record(
        vendor=steel,
        project=project,
        kind="safety",
        expires_on=TODAY + timedelta(days=10),
        reference="NEW",
    )
    client = api_client_for(fiona)

    def refs(query):
        response = client.get(f"{DOCUMENTS}?{query}")
        assert response.status_code == 200, response.content
        return {row["reference"] for row in response.json()["results"]}

    assert refs("expired=true") == {"OLD"}
    assert refs("expired=false") == {"NEW"}
    assert refs("kind=safety") == {"NEW"}
    assert refs(f"vendor={steel.code}&project={project.code}") == {"OLD", "NEW"}
    assert client.get(f"{DOCUMENTS}?kind=passport").status_code == 400
