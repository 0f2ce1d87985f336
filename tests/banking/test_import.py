"""Importing statement files: stored once, refused whole with a reason, audited."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.audit.models import AuditEntry
from apps.banking.errors import StatementRefused
from apps.banking.models import (
    BankEntry,
    BankStatement,
    BankStatementFile,
    BankTransactionDetail,
)
from apps.banking.services import bank_statement_import

pytestmark = pytest.mark.django_db


def test_import_keeps_entries_with_their_transaction_details(bank_file, open_items):
    content = bank_file("test-camt053-txdtls")
    result = bank_statement_import(file_bytes=content, file_name="test-camt053-txdtls")
    assert (result.statements_created, result.entries_created) == (1, 1)
    statement = result.statements[0]
    assert statement.account.identifier == "CH1111000000123456789"
    assert statement.currency == "CHF" and statement.sequence == "58"
    entry = BankEntry.objects.get(statement=statement)
    assert entry.amount == Decimal("3483.00") and entry.batch_count == 2
    assert entry.entry_key.startswith("asr:20170323001234567891234567891234")
    details = list(entry.details.order_by("position"))
    assert [d.amount for d in details] == [Decimal("2187.00"), Decimal("1296.00")]
    assert [d.creditor_reference for d in details] == [
        "302388292000011111111111111",
        "302388292000022222222222222",
    ]
    stored = BankStatementFile.objects.get(pk=result.file.pk)
    assert bytes(stored.content) == content and stored.version == "camt.053.001.04"
    # 75960.15 + 3483.00 = 79443.15: the statement adds up.
    assert statement.balance_difference == Decimal("0.00")


def test_reimporting_the_same_file_adds_nothing(bank_file, open_items):
    first = bank_statement_import(file_bytes=bank_file("sepa_mt9401.sta"))
    counts = (BankStatement.objects.count(), BankEntry.objects.count())
    second = bank_statement_import(file_bytes=bank_file("sepa_mt9401.sta"))
    assert second.duplicate_file and second.file.pk == first.file.pk
    assert (BankStatement.objects.count(), BankEntry.objects.count()) == counts
    assert counts == (26, 97)
    assert [s.pk for s in second.statements] == sorted(s.pk for s in first.statements)


def test_same_statements_in_a_different_file_are_not_duplicated(bank_file, open_items):
    bank_statement_import(file_bytes=bank_file("test-rabo.swi"))
    entries = BankEntry.objects.count()
    # The same statements re-sent with LF line ends: another file, the same statements.
    resent = bank_file("test-rabo.swi").replace(b"\r\n", b"\n")
    result = bank_statement_import(file_bytes=resent)
    assert not result.duplicate_file
    assert (result.statements_created, result.statements_duplicate) == (0, 4)
    assert BankEntry.objects.count() == entries == 2


def test_entry_notified_by_camt054_is_kept_once_when_the_camt053_repeats_it(bank_file, open_items):
    notification = bank_file("test-camt054")
    bank_statement_import(file_bytes=notification)
    statement = (
        notification.replace(b"camt.054.001.04", b"camt.053.001.04")
        .replace(b"BkToCstmrDbtCdtNtfctn", b"BkToCstmrStmt")
        .replace(b"Ntfctn>", b"Stmt>")
    )
    result = bank_statement_import(file_bytes=statement)
    assert (result.statements_created, result.entries_created, result.entries_known) == (1, 0, 1)
    assert result.statements[0].known_entry_count == 1
    assert BankEntry.objects.count() == 1


def test_identical_lines_in_one_statement_are_all_kept(bank_file, open_items):
    # Raiffeisen books four fee lines with the same bank reference on one day.
    result = bank_statement_import(file_bytes=bank_file("raiffeisen-cmi.sta"))
    assert result.entries_created == 7
    keys = list(BankEntry.objects.values_list("entry_key", flat=True))
    assert len(set(keys)) == 7


def test_refused_file_stores_nothing_and_is_audited(ada):
    with pytest.raises(StatementRefused) as caught:
        bank_statement_import(file_bytes=b"%PDF-1.4 not a statement", file_name="x.pdf", actor=ada)
    assert "PDF" in caught.value.message
    assert not BankStatementFile.objects.exists()
    entry = AuditEntry.objects.get(action="banking.statement_refused")
    assert entry.actor == ada and entry.detail["file_name"] == "x.pdf"
    assert entry.detail["code"] == "not_a_statement"


def test_file_refused_halfway_imports_nothing(bank_file, open_items):
    text = bank_file("abnamro.sta").decode("ascii")
    broken = text.replace(":61:1105240524D15,N426NONREF", ":61:1105240524D15,N426NONREF\n:61:XX")
    with pytest.raises(StatementRefused) as caught:
        bank_statement_import(file_bytes=broken.encode("ascii"))
    assert caught.value.line is not None
    assert not BankStatement.objects.exists() and not BankTransactionDetail.objects.exists()


def test_import_is_audited_with_counts(bank_file, fiona, open_items):
    result = bank_statement_import(file_bytes=bank_file("test-camt053"), actor=fiona)
    entry = AuditEntry.objects.get(action="banking.statement_imported")
    assert entry.actor == fiona and entry.target_id == str(result.file.pk)
    assert entry.detail["entries_created"] == 3 and entry.detail["format"] == "camt.053"
    assert result.file.imported_by == fiona
