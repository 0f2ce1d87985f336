from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.audit.models import AuditEntry
from apps.banking.candidates import ReconciliationCandidate
from apps.banking.models import BankStatement
from apps.banking.services import bank_statement_import

pytestmark = pytest.mark.django_db


def test_upload_imports_and_reports_counts(api_client_for, fiona, bank_file, open_items):
    client = api_client_for(fiona)
    upload = SimpleUploadedFile("test-camt053", bank_file("test-camt053"))
    response = client.post("/api/v1/bank-statements/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["format"] == "camt.053" and body["version"] == "camt.053.001.02"
    assert (body["statements_created"], body["entries_created"]) == (1, 3)
    assert body["reconciliation"]["unmatched"] == 4  # the reversed batch has two TxDtls
    again = client.post(
        "/api/v1/bank-statements/",
        {"file": SimpleUploadedFile("copy", bank_file("test-camt053"))},
        format="multipart",
    )
    assert again.status_code == 200 and again.json()["duplicate_file"] is True


def test_upload_of_a_non_statement_is_refused_with_reason_and_audit(api_client_for, ada):
    response = api_client_for(ada).post(
        "/api/v1/bank-statements/",
        {"file": SimpleUploadedFile("scan.pdf", b"%PDF-1.7 ...")},
        format="multipart",
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "not_a_statement" and "PDF" in error["message"]
    assert AuditEntry.objects.filter(action="banking.statement_refused", actor=ada).exists()
    assert not BankStatement.objects.exists()


def test_upload_without_a_file_says_what_is_missing(api_client_for, ada):
    response = api_client_for(ada).post("/api/v1/bank-statements/", {}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "file_required"


def test_statement_list_and_detail_carry_counts_and_lines(
    api_client_for, ada, bank_file, open_items
):
    bank_statement_import(file_bytes=bank_file("test-camt053-txdtls"))
    client = api_client_for(ada)
    listing = client.get("/api/v1/bank-statements/").json()
    row = listing["results"][0]
    assert (row["statement_id"], row["line_count"], row["unmatched_count"]) == (
        "20170323123456789012345",
        2,
        2,
    )
    assert row["closing_balance"] == "79443.15"
    detail = client.get(f"/api/v1/bank-statements/{row['id']}/").json()
    assert [line["amount"] for line in detail["lines"]] == ["2187.00", "1296.00"]
    assert {line["entry"] for line in detail["lines"]} == {detail["lines"][0]["entry"]}


def test_unmatched_lines_filter(api_client_for, fiona, open_items):
    from apps.banking.samples import SampleEntry, camt053_document

    open_items.append(
        ReconciliationCandidate(
            kind="payment",
            id=1,
            reference="P-1",
            amount=Decimal("10.00"),
            currency="EUR",
            end_to_end_id="E2E-1",
        )
    )
    bank_statement_import(
        file_bytes=camt053_document(
            statement_id="S",
            iban="NL91ABNA0417164300",
            entries=[
                SampleEntry(Decimal("10.00"), end_to_end_id="E2E-1"),
                SampleEntry(Decimal("20.00"), name="Stranger"),
            ],
        )
    )
    client = api_client_for(fiona)
    unmatched = client.get("/api/v1/bank-lines/?matched=false").json()["results"]
    assert [line["amount"] for line in unmatched] == ["20.00"]
    assert unmatched[0]["exception_item"] is not None
    matched = client.get("/api/v1/bank-lines/?matched=true").json()["results"]
    assert [(m["amount"], m["matches"][0]["method"]) for m in matched] == [
        ("10.00", "end_to_end_id")
    ]
    assert len(client.get("/api/v1/bank-lines/").json()["results"]) == 2
    assert client.get("/api/v1/bank-lines/?status=bogus").status_code == 400


def test_manual_match_through_the_api(api_client_for, fiona, open_items):
    from apps.banking.samples import SampleEntry, camt053_document

    result = bank_statement_import(
        file_bytes=camt053_document(
            statement_id="S", iban="NL91ABNA0417164300", entries=[SampleEntry(Decimal("33.00"))]
        )
    )
    line = result.statements[0].entries.get().details.get()
    open_items.append(
        ReconciliationCandidate(
            kind="bill", id=9, reference="B-9", amount=Decimal("33.00"), currency="EUR"
        )
    )
    client = api_client_for(fiona)
    missing = client.post(f"/api/v1/bank-lines/{line.id}/match/", {"bill_id": 10}, format="json")
    assert missing.status_code == 404
    response = client.post(
        f"/api/v1/bank-lines/{line.id}/match/", {"bill_id": 9, "note": "ok"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["match_status"] == "manual"
    assert response.json()["matches"][0]["target_id"] == 9
    undo = client.post(f"/api/v1/bank-lines/{line.id}/unmatch/", {}, format="json")
    assert undo.json()["match_status"] == "unmatched"


@pytest.mark.parametrize("persona", ["pat", "rob", "alice"])
def test_other_roles_cannot_read_bank_data(api_client_for, persona, request):
    client = api_client_for(request.getfixturevalue(persona))
    assert client.get("/api/v1/bank-statements/").status_code == 403
    assert client.get("/api/v1/bank-lines/?matched=false").status_code == 403


def test_anonymous_api_calls_get_401(client):
    assert client.get("/api/v1/bank-lines/").status_code == 401


def test_project_bank_account_is_hidden_from_other_projects(
    api_client_for, fiona, bridge, bank_file, open_items
):
    result = bank_statement_import(file_bytes=bank_file("test-camt054"))
    account = result.statements[0].account
    account.project = bridge  # fiona is a member of the school project only
    account.save()
    client = api_client_for(fiona)
    assert client.get("/api/v1/bank-statements/").json()["results"] == []
    statement_id = result.statements[0].id
    assert client.get(f"/api/v1/bank-statements/{statement_id}/").status_code == 404
