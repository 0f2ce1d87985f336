"""Subcontractor compliance: documents with expiry, per-entity policies, holds and release."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.approvals.choices import Decision, DocumentType
from apps.approvals.services import approval_decide
from apps.compliance.models import ComplianceDocument, ComplianceHold
from apps.compliance.selectors import compliance_overview, compliance_problems
from apps.compliance.services import (
    compliance_document_record,
    compliance_expiry_warn,
    compliance_policy_set,
)
from apps.core.errors import ApplicationError
from apps.entities.models import Entity
from apps.exceptions.models import ExceptionItem
from apps.procurement.choices import CommitmentKind
from apps.procurement.services import (
    invoice_record,
    progress_claim_certify,
    progress_claim_submit,
)
from tests.plugins.procurement import pending_request

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


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


def _claim_bill(procure, subcontract, percent="40"):
    line = subcontract.lines.get()
    claim = progress_claim_submit(
        commitment=subcontract,
        submitted_by=procure.rob,
        period_end=TODAY,
        lines=[{"line": line, "percent_complete": percent}],
    )
    progress_claim_certify(claim=claim, certified_by=procure.sam)
    return invoice_record(
        vendor=subcontract.vendor,
        number="STL-C1",
        invoice_date=TODAY,
        currency="EUR",
        commitment=subcontract,
        lines=[{"commitment_line": line.id, "quantity": "0.4", "unit_price": "10000"}],
    )


def test_expired_insurance_holds_a_progress_claim_and_a_valid_certificate_releases_it(
    procure, subcontract, fiona, ada, sync_systems, make_inbound, run_pipeline
):
    vendor = subcontract.vendor
    compliance_policy_set(actor=ada, kind="insurance")
    compliance_document_record(
        vendor=vendor, kind="insurance", expires_on=TODAY - timedelta(days=3), reference="OLD-1"
    )
    invoice = _claim_bill(procure, subcontract)
    approval_decide(
        request_id=pending_request(invoice, DocumentType.POSTING).id,
        actor=fiona,
        decision=Decision.APPROVE,
    )
    invoice.refresh_from_db()
    assert invoice.status == "approved" and invoice.payment_hold
    hold = ComplianceHold.objects.get(vendor=vendor, kind="payment", status="active")
    assert hold.invoice == invoice and hold.missing[0]["code"] == "compliance_expired"
    item = ExceptionItem.objects.get(trace_key=hold.trace_key)
    assert item.category == "compliance_hold" and item.amount_at_risk == Decimal("4000.00")

    # The renewed certificate arrives through the document connector.
    tx = make_inbound(
        sync_systems.procore,
        "compliance_document",
        {
            "vendor_ref": vendor.code,
            "kind": "insurance",
            "expires_on": str(TODAY + timedelta(days=365)),
            "reference": "CERT-2027",
            "document_id": "DOC-881",
        },
    )
    (tx,) = run_pipeline(tx)
    assert tx.status in ("applied", "delivered"), tx.last_error_message
    document = ComplianceDocument.objects.get(reference="CERT-2027")
    assert document.source == "document_connector"
    hold.refresh_from_db()
    invoice.refresh_from_db()
    item.refresh_from_db()
    assert hold.status == "released" and hold.released_by_document == document
    assert not invoice.payment_hold
    assert item.status == "resolved"


def test_purchase_order_bills_are_not_held_by_subcontractor_policies(procure, fiona, ada):
    po = procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "10", "unit_price": "100"}]
    )
    compliance_policy_set(actor=ada, kind="insurance")
    procure.receive(po, {1: "10"})
    invoice = invoice_record(
        vendor=po.vendor,
        number="RMX-1",
        invoice_date=TODAY,
        currency="EUR",
        commitment=po,
        lines=[{"commitment_line": po.lines.get().id, "quantity": "10", "unit_price": "100"}],
    )
    approval_decide(
        request_id=pending_request(invoice, DocumentType.POSTING).id,
        actor=fiona,
        decision=Decision.APPROVE,
    )
    invoice.refresh_from_db()
    assert not invoice.payment_hold


def test_missing_licence_blocks_a_new_commitment_until_it_is_recorded(procure, ada):
    compliance_policy_set(actor=ada, kind="licence", hold_claim_payment=False)
    lines = [{"phase": "P1", "cost_code": "03 31 13", "quantity": "10", "unit_price": "100"}]
    with pytest.raises(ApplicationError) as refused:
        procure.issued_commitment(lines=lines)
    assert refused.value.code == "vendor_ineligible"
    assert "no licence" in refused.value.message
    compliance_document_record(
        vendor=procure.vendors["readymix"], kind="licence", expires_on=None, reference="L-1"
    )
    assert procure.issued_commitment(lines=lines).status == "issued"


def test_an_entity_policy_replaces_the_group_policy_for_its_projects(vendors, school, bridge, ada):
    uk = Entity.objects.create(code="nb-uk", name="Northbridge Ltd", currency="GBP")
    bridge.entity = uk
    bridge.save(update_fields=["entity"])
    compliance_policy_set(actor=ada, kind="lien_waiver", required=False)
    compliance_policy_set(actor=ada, kind="lien_waiver", entity=uk, required=True)
    vendor = vendors["steel"]
    assert compliance_problems(vendor=vendor, project=school, purpose="payment") == []
    (problem,) = compliance_problems(vendor=vendor, project=bridge, purpose="payment")
    assert problem["kind"] == "lien_waiver" and problem["code"] == "compliance_missing"


def test_expiry_warning_is_sent_once_within_the_policy_window(vendors, ada, mailoutbox):
    vendor = vendors["steel"]
    vendor.email = "office@steel.example"
    vendor.save(update_fields=["email"])
    compliance_policy_set(actor=ada, kind="insurance", warn_days=30)
    compliance_document_record(
        vendor=vendor, kind="insurance", expires_on=TODAY + timedelta(days=10)
    )
    compliance_document_record(
        vendor=vendors["readymix"], kind="insurance", expires_on=TODAY + timedelta(days=90)
    )
    assert compliance_expiry_warn() == 1
    assert compliance_expiry_warn() == 0
    assert mailoutbox[0].to == ["office@steel.example"]
    assert "10 day" in mailoutbox[0].subject


def test_compliance_overview_lists_documents_problems_and_holds(procure, subcontract, fiona, ada):
    compliance_policy_set(actor=ada, kind="safety")
    rows = compliance_overview(user=fiona)
    row = next(r for r in rows if r["vendor"] == subcontract.vendor)
    assert row["project"] == subcontract.project
    assert [p["kind"] for p in row["payment_problems"]] == ["safety"]


def test_management_commands_run(vendors, ada, capsys):
    from django.core.management import call_command

    compliance_policy_set(actor=ada, kind="insurance", warn_days=30)
    compliance_document_record(
        vendor=vendors["steel"], kind="insurance", expires_on=TODAY + timedelta(days=5)
    )
    call_command("compliance_warn")
    call_command("vendor_duplicates_detect")
    out = capsys.readouterr().out
    assert "1 expiry warning(s) sent" in out and "suspected duplicate pair(s)" in out
