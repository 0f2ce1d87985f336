from __future__ import annotations

import pytest

from apps.procurement.services.vendors import vendor_upsert
from apps.vendors.models import DuplicateVendorCandidate
from apps.vendors.tasks import vendor_duplicates_detect_all

pytestmark = pytest.mark.django_db


def test_duplicates_task_records_each_suspected_pair_once():
    vendor_upsert(code="DE-0042", name="Acme Formwork GmbH", vat="GB123456789")
    vendor_upsert(code="UK-0007", name="Northern Steel", vat="GB 123 456 789")
    vendor_upsert(code="UK-0099", name="Brightside Scaffolding", vat="GB999")
    assert vendor_duplicates_detect_all() == 1
    assert vendor_duplicates_detect_all() == 1
    (pair,) = DuplicateVendorCandidate.objects.all()
    assert pair.reasons == ["same_tax_id"]
