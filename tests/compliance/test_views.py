from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.compliance.models import ComplianceDocument
from apps.compliance.services import compliance_policy_set
from apps.procurement.choices import CommitmentKind

pytestmark = pytest.mark.django_db


def test_compliance_page_lists_subcontractors_and_records_a_document(
    procure, fiona, ada, client_for
):
    subcontract = procure.issued_commitment(
        kind=CommitmentKind.SUBCONTRACT,
        vendor="steel",
        lines=[
            {
                "phase": "P3",
                "cost_code": "09 21 16",
                "quantity": "1",
                "unit": "ls",
                "unit_price": "1000",
            }
        ],
    )
    compliance_policy_set(actor=ada, kind="insurance")
    client = client_for(fiona)
    page = client.get("/compliance/").content.decode()
    assert subcontract.vendor.code in page and "no insurance certificate" in page
    expiry = timezone.localdate() + timedelta(days=200)
    client.post(
        "/compliance/documents/record/",
        {
            "vendor": subcontract.vendor.id,
            "project": subcontract.project.id,
            "kind": "insurance",
            "expires_on": expiry.isoformat(),
            "reference": "CERT-9",
        },
    )
    assert ComplianceDocument.objects.get(reference="CERT-9").expires_on == expiry
    assert "no insurance certificate" not in client.get("/compliance/").content.decode()
