"""Pages: the bank-change queue shows masked values only and enforces the second person."""

from __future__ import annotations

import pytest

from apps.procurement.services.vendors import vendor_upsert
from apps.vendors.models import BankDetailChange
from tests.vendors.conftest import CHECKLIST_DONE

pytestmark = pytest.mark.django_db

OLD_IBAN = "NL91ABNA0417164300"
NEW_IBAN = "GB29NWBK60161331926819"


@pytest.fixture
def change(db, fiona):
    vendor_upsert(code="V-ACME", name="Acme Formwork B.V.", iban=OLD_IBAN)
    vendor_upsert(code="V-ACME", name="Acme Formwork B.V.", iban=NEW_IBAN, actor=fiona)
    return BankDetailChange.objects.get()


def test_queue_shows_old_and_new_values_masked_never_in_full(client_for, frank, change):
    page = client_for(frank).get("/vendors/bank-changes/").content.decode()
    assert "V-ACME" in page and "6819" in page and "4300" in page
    assert NEW_IBAN not in page and OLD_IBAN not in page


def test_the_person_who_entered_it_is_refused_and_a_second_person_verifies(
    client_for, fiona, frank, change
):
    form = {"change": change.pk, "action": "verify", **{k: "on" for k in CHECKLIST_DONE}}
    response = client_for(fiona).post("/vendors/bank-changes/decide/", form, follow=True)
    assert "cannot verify it" in response.content.decode()
    change.refresh_from_db()
    assert change.status == "pending"
    client_for(frank).post("/vendors/bank-changes/decide/", form)
    change.refresh_from_db()
    assert change.status == "verified" and change.vendor.iban == NEW_IBAN


def test_pages_are_for_finance_and_admins(client_for, pat, rob, change):
    assert client_for(pat).get("/vendors/bank-changes/").status_code == 403
    assert client_for(rob).get("/vendors/duplicates/").status_code == 403


def test_django_admin_vendor_page_shows_bank_details_masked_and_not_editable(
    client, change, django_user_model
):
    admin_user = django_user_model.objects.create_superuser("root", "root@example.com", "x-pass-1")
    client.force_login(admin_user)
    page = client.get(f"/django-admin/procurement/vendor/{change.vendor_id}/change/")
    body = page.content.decode()
    assert page.status_code == 200
    assert OLD_IBAN not in body and "4300" in body
    assert 'name="iban"' not in body
