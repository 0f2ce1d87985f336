from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.compliance.models import ComplianceWarning
from apps.compliance.services import compliance_document_record, compliance_policy_set
from apps.compliance.tasks import compliance_warn

pytestmark = pytest.mark.django_db


def test_warn_task_sends_each_expiry_warning_once(vendors, ada, mailoutbox):
    vendor = vendors["steel"]
    vendor.email = "office@steel.example"
    vendor.save(update_fields=["email"])
    compliance_policy_set(actor=ada, kind="insurance", warn_days=30)
    today = timezone.localdate()
    document = compliance_document_record(
        vendor=vendor, kind="insurance", expires_on=today + timedelta(days=12)
    )
    assert compliance_warn() == 1
    assert compliance_warn() == 0
    assert [mail.to for mail in mailoutbox] == [["office@steel.example"]]
    assert ComplianceWarning.objects.get().document == document
