from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.banking.models import BankStatement
from apps.banking.samples import SampleEntry, camt053_document
from apps.banking.services import bank_statement_import

pytestmark = pytest.mark.django_db


def test_statement_list_shows_statements_with_reconciliation_counts(
    client_for, fiona, bank_file, open_items
):
    bank_statement_import(file_bytes=bank_file("test-camt053"), file_name="test-camt053")
    response = client_for(fiona).get("/banking/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "1234Test/1" in body and "NL77ABNA0574908765" in body
    assert "4 unmatched" in body
    assert 'href="/banking/"' in body  # the Banking navigation entry


def test_statement_page_lists_lines_with_status_and_filters(client_for, ada, bank_file, open_items):
    result = bank_statement_import(file_bytes=bank_file("test-camt053-txdtls"))
    statement = result.statements[0]
    client = client_for(ada)
    body = client.get(f"/banking/statements/{statement.id}/").content.decode()
    assert "Batch entry 3483.00 CHF" in body and "2 transactions" in body
    assert "302388292000011111111111111" in body and "Unmatched" in body
    partial = client.get(
        f"/banking/statements/{statement.id}/?q=CH3333", headers={"HX-Request": "true"}
    ).content.decode()
    assert "<h1>" not in partial  # the lines partial only
    assert "1296.00" in partial and "2187.00" not in partial


def test_upload_page_imports_and_redirects_to_the_statement(
    client_for, fiona, bank_file, open_items
):
    client = client_for(fiona)
    assert client.get("/banking/upload/").status_code == 200
    response = client.post(
        "/banking/upload/", {"file": SimpleUploadedFile("n.xml", bank_file("test-camt054"))}
    )
    statement = BankStatement.objects.get()
    assert response.status_code == 302 and response.url == f"/banking/statements/{statement.id}/"


def test_upload_page_shows_the_refusal_reason(client_for, fiona):
    response = client_for(fiona).post(
        "/banking/upload/", {"file": SimpleUploadedFile("s.txt", b"hello, bank")}
    )
    assert response.status_code == 422
    assert "Refused: the content is neither camt XML nor MT940" in response.content.decode()
    assert not BankStatement.objects.exists()


def test_unmatched_lines_page(client_for, fiona, open_items):
    bank_statement_import(
        file_bytes=camt053_document(
            statement_id="S",
            iban="NL91ABNA0417164300",
            entries=[SampleEntry(Decimal("77.70"), name="Mystery Supplies")],
        )
    )
    body = client_for(fiona).get("/banking/lines/?matched=false").content.decode()
    assert "Unmatched bank lines" in body and "Mystery Supplies" in body and "-77.70" in body


def test_reconcile_again_button(client_for, ada, bank_file, open_items):
    result = bank_statement_import(file_bytes=bank_file("test-camt054"))
    response = client_for(ada).post(f"/banking/statements/{result.statements[0].id}/reconcile/")
    assert response.status_code == 302


@pytest.mark.parametrize("persona", ["pat", "rob", "alice"])
def test_banking_pages_refuse_other_roles(client_for, persona, request):
    client = client_for(request.getfixturevalue(persona))
    for url in ("/banking/", "/banking/upload/", "/banking/lines/"):
        assert client.get(url).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get("/banking/")
    assert response.status_code == 302 and "/accounts/login" in response.url
