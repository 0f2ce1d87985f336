"""A statement posted to the file ingest endpoint is stored in the ledger, then imported and
reconciled by the sync pipeline's bank_statement handler."""

from __future__ import annotations

import pytest

from apps.banking.models import BankStatement, BankStatementFile
from apps.connectors.registry import connector_for
from apps.ledger.models import Transaction
from apps.sync.handlers import handler_for
from tests.ledger.test_ingest import post_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank_system(system_factory):
    return system_factory("bank", kind="banking", connector="banking")


def test_posted_statement_is_imported_by_the_pipeline(
    client, bank_system, bank_file, run_pipeline, open_items
):
    response = post_file(client, "bank", {}, "test-camt053", bank_file("test-camt053"))
    assert response.status_code == 202, response.content
    tx = Transaction.objects.get(id=response.json()["transaction_id"])
    assert tx.domain == "bank_statement"
    (tx,) = run_pipeline(tx)
    assert tx.status not in ("failed", "held", "dead"), tx.last_error_message
    file = BankStatementFile.objects.get()
    assert file.ledger_transaction_id == tx.id and file.system == bank_system
    assert BankStatement.objects.get().entries.count() == 3


def test_posted_non_statement_fails_with_the_reason(client, bank_system, run_pipeline):
    response = post_file(client, "bank", {}, "scan.pdf", b"%PDF-1.6 scanned statement")
    tx = Transaction.objects.get(id=response.json()["transaction_id"])
    (tx,) = run_pipeline(tx)
    assert tx.status == "failed"
    assert "PDF" in tx.last_error_message
    assert not BankStatementFile.objects.exists()


def test_banking_connector_and_handler_are_registered(bank_system, bank_file):
    connector = connector_for(bank_system)
    assert connector.name == "banking" and connector.health().ok
    event = connector.parse_file(file_name="x", body=bank_file("test-ing.940"))
    assert (event.domain, event.payload["format"]) == ("bank_statement", "mt940")
    assert handler_for("bank_statement").__class__.__name__ == "BankStatementHandler"
