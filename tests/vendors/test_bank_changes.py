"""Vendor bank details: encrypted, masked, changed only after a second person verifies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from apps.approvals.choices import Decision, DocumentType
from apps.approvals.services import approval_decide
from apps.audit.models import AuditEntry
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.exceptions.models import ExceptionItem
from apps.procurement.models import Vendor
from apps.procurement.services import invoice_record, payment_record
from apps.procurement.services.vendors import vendor_upsert
from apps.sync.models import SystemOfRecordRule
from apps.vendors.models import BankDetailChange
from apps.vendors.services import vendor_bank_change_reject, vendor_bank_change_verify
from tests.plugins.procurement import pending_request
from tests.vendors.conftest import CHECKLIST_DONE

pytestmark = pytest.mark.django_db

OLD_IBAN = "NL91ABNA0417164300"
NEW_IBAN = "GB29NWBK60161331926819"


@pytest.fixture
def acme(db):
    return vendor_upsert(code="V-ACME", name="Acme Formwork B.V.", iban=OLD_IBAN, vat="NL8123")


@pytest.fixture
def portal(make_system):
    # The group lets the supplier portal maintain vendor contact data; bank details still wait.
    SystemOfRecordRule.objects.filter(domain="vendor", field="").update(conflict_policy="accept")
    return make_system("supplier-portal", "procurement_portal", "generic")


def test_bank_details_and_tax_id_are_encrypted_at_rest_and_masked(acme):
    with connection.cursor() as cursor:
        cursor.execute("SELECT iban, vat FROM procurement_vendor WHERE id = %s", [acme.id])
        stored_iban, stored_vat = cursor.fetchone()
    assert OLD_IBAN not in stored_iban and "NL8123" not in stored_vat
    acme = Vendor.objects.get(pk=acme.pk)
    assert acme.iban == OLD_IBAN
    assert acme.iban_masked.endswith("4300") and OLD_IBAN not in acme.iban_masked


def test_portal_bank_change_is_held_then_refused_for_the_same_person_and_verified_by_another(
    acme, portal, make_inbound, run_pipeline, fiona, frank
):
    tx = make_inbound(
        portal,
        "vendor",
        {"ref": "V-ACME", "name": "Acme Formwork B.V.", "iban": NEW_IBAN, "changed_by": "fiona"},
    )
    (tx,) = run_pipeline(tx)
    assert tx.status == "delivered"
    acme.refresh_from_db()
    assert acme.iban == OLD_IBAN  # not applied
    change = BankDetailChange.objects.get(vendor=acme)
    assert (change.status, change.source, change.transaction_id) == ("pending", "portal", tx.pk)
    item = ExceptionItem.objects.get(trace_key=change.trace_key)
    assert item.category == "vendor_bank_change" and item.status == "open"
    assert NEW_IBAN not in item.reason and "6819" in item.reason
    assert not AuditEntry.objects.filter(detail__icontains=NEW_IBAN).exists()

    with pytest.raises(PermissionDeniedError) as refused:
        vendor_bank_change_verify(change=change, actor=fiona, checklist=CHECKLIST_DONE)
    assert refused.value.code == "same_person"
    with pytest.raises(ApplicationError) as incomplete:
        vendor_bank_change_verify(
            change=change, actor=frank, checklist={"called_known_number": True}
        )
    assert incomplete.value.code == "checklist_incomplete"
    acme.refresh_from_db()
    assert acme.iban == OLD_IBAN

    vendor_bank_change_verify(change=change, actor=frank, checklist=CHECKLIST_DONE, note="ok")
    acme.refresh_from_db()
    change.refresh_from_db()
    item.refresh_from_db()
    assert acme.iban == NEW_IBAN
    assert (change.status, change.decided_by) == ("verified", frank)
    assert item.status == "resolved"


def test_a_rejected_change_leaves_the_vendor_as_it_was(acme, rob, frank):
    vendor_upsert(code="V-ACME", name="Acme Formwork B.V.", iban=NEW_IBAN, actor=rob)
    change = BankDetailChange.objects.get(vendor=acme)
    vendor_bank_change_reject(change=change, actor=frank, reason="vendor denies the change")
    acme.refresh_from_db()
    assert acme.iban == OLD_IBAN
    assert ExceptionItem.objects.get(trace_key=change.trace_key).status == "resolved"


def test_resending_the_same_values_keeps_one_verification_and_empty_values_change_nothing(
    acme, rob
):
    vendor_upsert(code="V-ACME", name="Acme Formwork B.V.", iban=NEW_IBAN, actor=rob)
    vendor_upsert(code="V-ACME", name="Acme Formwork B.V.", iban=NEW_IBAN, actor=rob)
    vendor_upsert(code="V-ACME", name="Acme Formwork B.V.")
    assert BankDetailChange.objects.filter(vendor=acme).count() == 1
    acme.refresh_from_db()
    assert (acme.iban, acme.vat) == (OLD_IBAN, "NL8123")


def _matched_bill(procure):
    po = procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "10", "unit_price": "100"}]
    )
    procure.receive(po, {1: "10"})
    return invoice_record(
        vendor=po.vendor,
        number="RMX-77",
        invoice_date=date(2026, 4, 1),
        currency="EUR",
        commitment=po,
        lines=[{"commitment_line": po.lines.get().id, "quantity": "10", "unit_price": "100"}],
    )


def test_payment_to_a_vendor_with_a_pending_bank_change_is_held_until_verified(
    procure, rob, fiona, frank
):
    invoice = _matched_bill(procure)
    vendor = invoice.vendor
    vendor_upsert(
        code=vendor.code,
        name=vendor.name,
        status=vendor.status,
        insurance_expiry=vendor.insurance_expiry,
        iban=NEW_IBAN,
        actor=rob,
    )
    change = BankDetailChange.objects.get(vendor=vendor)
    approval_decide(
        request_id=pending_request(invoice, DocumentType.POSTING).id,
        actor=fiona,
        decision=Decision.APPROVE,
    )
    invoice.refresh_from_db()
    assert invoice.status == "approved" and invoice.payment_hold
    item = ExceptionItem.objects.get(trace_key=change.trace_key)
    assert item.category == "vendor_bank_change"
    assert item.amount_at_risk == Decimal("1000.00")
    with pytest.raises(ApplicationError) as refused:
        payment_record(
            vendor=vendor,
            amount="1000",
            currency="EUR",
            paid_on=date(2026, 4, 20),
            source="manual",
            allocations=[{"invoice": invoice, "amount": "1000"}],
            recorded_by=fiona,
        )
    assert refused.value.code == "payment_held"

    vendor_bank_change_verify(change=change, actor=frank, checklist=CHECKLIST_DONE)
    invoice.refresh_from_db()
    assert invoice.status == "approved" and not invoice.payment_hold
    payment_record(
        vendor=vendor,
        amount="1000",
        currency="EUR",
        paid_on=date(2026, 4, 20),
        source="manual",
        allocations=[{"invoice": invoice, "amount": "1000"}],
        recorded_by=fiona,
    )
    invoice.refresh_from_db()
    assert invoice.status == "paid"


def test_a_payment_odoo_reports_during_a_pending_change_is_recorded_and_flagged(acme, rob):
    vendor_upsert(code="V-ACME", name="Acme Formwork B.V.", iban=NEW_IBAN, actor=rob)
    payment = payment_record(
        vendor=acme,
        amount="250",
        currency="EUR",
        paid_on=date(2026, 4, 20),
        source="odoo",
        external_ref="account.payment,9",
    )
    change = BankDetailChange.objects.get(vendor=acme)
    item = ExceptionItem.objects.get(trace_key=change.trace_key)
    assert item.severity == "critical" and item.occurrences >= 2
    assert payment.amount == Decimal("250.00")
