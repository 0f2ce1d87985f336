"""Vendor master protection API: bank changes masked in every response, verified by a second
person only (same_person 403), verification releases held payments; duplicates link/merge."""

from __future__ import annotations

from datetime import date

import pytest

from apps.approvals.choices import Decision, DocumentType
from apps.approvals.services import approval_decide
from apps.exceptions.models import ExceptionItem
from apps.procurement.models import Vendor
from apps.procurement.services import invoice_record
from apps.procurement.services.vendors import vendor_upsert
from apps.sync.models import Binding
from apps.sync.services import binding_set
from apps.vendors.models import BankDetailChange, VendorLink
from apps.vendors.services import vendor_duplicates_detect
from tests.plugins.procurement import pending_request
from tests.vendors.conftest import CHECKLIST_DONE

pytestmark = pytest.mark.django_db

OLD_IBAN = "NL91ABNA0417164300"
NEW_IBAN = "GB29NWBK60161331926819"
NEW_VAT = "GB999888777"


@pytest.fixture
def change(db, fiona):
    """fiona enters new bank details and tax id for Acme: held for a second person."""
    vendor_upsert(code="V-ACME", name="Acme Formwork B.V.", iban=OLD_IBAN, vat="NL8123")
    vendor_upsert(code="V-ACME", name="Acme Formwork B.V.", iban=NEW_IBAN, vat=NEW_VAT, actor=fiona)
    return BankDetailChange.objects.get()


def _url(change, action=""):
    return f"/api/v1/vendors/bank-changes/{change.pk}/" + (f"{action}/" if action else "")


def _assert_masked(raw: bytes):
    body = raw.decode()
    for secret in (NEW_IBAN, OLD_IBAN, NEW_VAT, "NL8123"):
        assert secret not in body
    # Spaced or lower-case renderings of the full value are no better.
    assert "NWBK60161331926819" not in body.replace(" ", "").upper()


def test_list_and_detail_show_bank_values_masked_never_in_full(api_client_for, frank, change):
    client = api_client_for(frank)
    listed = client.get("/api/v1/vendors/bank-changes/")
    detail = client.get(_url(change))
    assert listed.status_code == 200 and detail.status_code == 200
    _assert_masked(listed.content)
    _assert_masked(detail.content)
    row = listed.json()["results"][0]
    assert (row["id"], row["vendor"], row["status"]) == (change.pk, "V-ACME", "pending")
    assert row["entered_by"] == "fiona"
    iban = next(value for value in row["values"] if value["label"] == "IBAN")
    assert iban["new"].endswith("6819") and iban["old"].endswith("4300")


def test_status_filter_and_bad_status(api_client_for, frank, change):
    client = api_client_for(frank)
    assert len(client.get("/api/v1/vendors/bank-changes/?status=pending").json()["results"]) == 1
    assert client.get("/api/v1/vendors/bank-changes/?status=verified").json()["results"] == []
    bad = client.get("/api/v1/vendors/bank-changes/?status=approved")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "validation_error"


def test_bank_changes_are_for_finance_and_admins_only(api_client_for, pat, rob, change):
    assert api_client_for(pat).get("/api/v1/vendors/bank-changes/").status_code == 403
    verify = api_client_for(rob).post(
        _url(change, "verify"), {"checklist": CHECKLIST_DONE}, format="json"
    )
    assert verify.status_code == 403
    assert verify.json()["error"]["code"] == "permission_denied"


def test_the_person_who_entered_the_change_is_refused_with_same_person(
    api_client_for, fiona, change
):
    response = api_client_for(fiona).post(
        _url(change, "verify"), {"checklist": CHECKLIST_DONE}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "same_person"
    change.refresh_from_db()
    assert change.status == "pending" and change.vendor.iban == OLD_IBAN


def test_an_incomplete_call_back_checklist_is_refused_by_item(api_client_for, frank, change):
    response = api_client_for(frank).post(
        _url(change, "verify"),
        {"checklist": {"called_known_number": True, "contact_confirmed_change": True}},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "checklist_incomplete"
    assert error["details"]["missing"] == ["account_holder_matches", "documentation_on_file"]
    change.refresh_from_db()
    assert change.status == "pending"


def _matched_bill(procure):
    po = procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "10", "unit_price": "100"}]
    )
    procure.receive(po, {1: "10"})
    return invoice_record(
        vendor=po.vendor,
        number="RMX-78",
        invoice_date=date(2026, 4, 1),
        currency="EUR",
        commitment=po,
        lines=[{"commitment_line": po.lines.get().id, "quantity": "10", "unit_price": "100"}],
    )


def test_verify_by_a_second_person_applies_the_values_and_releases_the_held_payment(
    procure, rob, fiona, frank, api_client_for
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
    assert invoice.payment_hold

    client = api_client_for(frank)
    response = client.post(
        _url(change, "verify"),
        {"checklist": CHECKLIST_DONE, "note": "called back on file number"},
        format="json",
    )
    assert response.status_code == 200, response.content
    _assert_masked(response.content)
    body = response.json()
    assert (body["status"], body["decided_by"]) == ("verified", "frank")
    assert body["checklist"] == CHECKLIST_DONE
    invoice.refresh_from_db()
    vendor.refresh_from_db()
    assert not invoice.payment_hold and vendor.iban == NEW_IBAN
    assert ExceptionItem.objects.get(trace_key=change.trace_key).status == "resolved"

    again = client.post(_url(change, "verify"), {"checklist": CHECKLIST_DONE}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "bank_change_decided"


def test_reject_needs_a_reason_and_keeps_the_old_values(api_client_for, frank, change):
    client = api_client_for(frank)
    assert client.post(_url(change, "reject"), {}, format="json").status_code == 400
    response = client.post(_url(change, "reject"), {"note": "vendor denies it"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    _assert_masked(response.content)
    change.refresh_from_db()
    assert change.vendor.iban == OLD_IBAN and change.decision_note == "vendor denies it"


def test_unknown_change_is_404(api_client_for, frank):
    response = api_client_for(frank).get("/api/v1/vendors/bank-changes/999999/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


# --- duplicates ---------------------------------------------------------------------------------


@pytest.fixture
def twins(make_system):
    odoo_de = make_system("odoo-de", "odoo", "odoo")
    odoo_uk = make_system("odoo-uk", "odoo", "odoo")
    de = vendor_upsert(code="DE-0042", name="Acme Formwork GmbH", vat="GB123456789")
    uk = vendor_upsert(code="UK-0007", name="ACME Formwork Ltd.", vat="GB 123 456 789")
    vendor_upsert(code="UK-0099", name="Brightside Scaffolding", vat="GB999")
    binding_set(system=odoo_de, domain="vendor", canonical_id=de.code, external_id="42")
    binding_set(system=odoo_uk, domain="vendor", canonical_id=uk.code, external_id="7")
    vendor_duplicates_detect()
    return de, uk, odoo_uk


def test_duplicates_list_pairs_with_reasons(api_client_for, fiona, pat, twins):
    de, uk, _ = twins
    assert api_client_for(pat).get("/api/v1/vendors/duplicates/").status_code == 403
    (pair,) = api_client_for(fiona).get("/api/v1/vendors/duplicates/?status=open").json()["results"]
    assert {pair["vendor"]["code"], pair["other"]["code"]} == {de.code, uk.code}
    assert "same_tax_id" in pair["reasons"] and pair["status"] == "open"
    assert "123456789" not in str(pair)  # the list never carries tax ids


def test_link_keeps_both_vendors_and_records_one_party(api_client_for, fiona, twins):
    de, uk, _ = twins
    response = api_client_for(fiona).post(
        "/api/v1/vendors/duplicates/link/", {"survivor": de.code, "other": uk.code}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "linked"
    assert Vendor.objects.get(pk=uk.pk).status != "blocked"
    link = VendorLink.objects.get(survivor=de)
    assert link.linked_vendor == uk and not link.merged


def test_merge_moves_bindings_and_blocks_the_other(api_client_for, ada, twins):
    de, uk, odoo_uk = twins
    client = api_client_for(ada)
    response = client.post(
        "/api/v1/vendors/duplicates/merge/", {"survivor": de.code, "other": uk.code}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "merged"
    assert Binding.objects.get(system=odoo_uk, external_id="7").canonical_id == de.code
    assert Vendor.objects.get(pk=uk.pk).status == "blocked"
    again = client.post(
        "/api/v1/vendors/duplicates/link/", {"survivor": de.code, "other": uk.code}, format="json"
    )
    assert again.status_code == 400 and again.json()["error"]["code"] == "duplicate_decided"


def test_resolving_vendors_that_are_not_a_pair_is_refused(api_client_for, fiona, twins):
    de, _, _ = twins
    client = api_client_for(fiona)
    not_pair = client.post(
        "/api/v1/vendors/duplicates/merge/",
        {"survivor": de.code, "other": "UK-0099"},
        format="json",
    )
    assert not_pair.status_code == 404
    assert not_pair.json()["error"]["code"] == "duplicate_pair_not_found"
    same = client.post(
        "/api/v1/vendors/duplicates/link/", {"survivor": de.code, "other": de.code}, format="json"
    )
    assert same.status_code == 400 and same.json()["error"]["code"] == "same_vendor"
    unknown = client.post(
        "/api/v1/vendors/duplicates/link/", {"survivor": de.code, "other": "NOPE"}, format="json"
    )
    assert unknown.status_code == 404
