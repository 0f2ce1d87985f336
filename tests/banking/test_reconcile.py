"""Bank line ↔ payment / vendor bill reconciliation: each method, differences, reversals,
unmatched lines as exception items, manual matching."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apps.audit.models import AuditEntry
from apps.banking.candidates import ReconciliationCandidate
from apps.banking.choices import MatchMethod, MatchState, MatchStatus
from apps.banking.models import BankLineMatch, BankTransactionDetail
from apps.banking.samples import SampleEntry, SampleTx, camt053_document
from apps.banking.services import (
    bank_line_match_manual,
    bank_line_unmatch,
    bank_reconcile,
    bank_statement_import,
)
from apps.core.errors import ApplicationError
from apps.exceptions.choices import ExceptionStatus
from apps.exceptions.models import ExceptionItem

pytestmark = pytest.mark.django_db

IBAN = "NL91ABNA0417164300"
VENDOR_IBAN = "NL20INGB0001234567"


def payment(id, amount, **kwargs) -> ReconciliationCandidate:
    kwargs.setdefault("reference", f"PAY-{id:05d}")
    kwargs.setdefault("currency", "EUR")
    return ReconciliationCandidate(kind="payment", id=id, amount=Decimal(amount), **kwargs)


def bill(id, amount, **kwargs) -> ReconciliationCandidate:
    kwargs.setdefault("reference", f"BILL-{id:05d}")
    kwargs.setdefault("currency", "EUR")
    return ReconciliationCandidate(kind="bill", id=id, amount=Decimal(amount), **kwargs)


def line_of(result, position=1, detail=1) -> BankTransactionDetail:
    return BankTransactionDetail.objects.get(
        entry__statement=result.statements[0], entry__position=position, position=detail
    )


def import_entries(*entries, statement_id="ST-1", **kwargs):
    return bank_statement_import(
        file_bytes=camt053_document(statement_id=statement_id, iban=IBAN, entries=list(entries)),
        **kwargs,
    )


def test_matches_by_end_to_end_id_from_the_real_statement(bank_file, open_items):
    open_items.append(
        payment(1, "754.25", end_to_end_id="435005714488-ABNO33052620", reference="X-1")
    )
    result = bank_statement_import(file_bytes=bank_file("test-camt053"))
    line = line_of(result, position=1)
    assert line.match_status == MatchStatus.MATCHED
    assert line.match_method == MatchMethod.END_TO_END_ID
    assert line.match_confidence == Decimal("1.000")
    match = BankLineMatch.objects.get(line=line)
    assert (match.target_kind, match.target_id, match.state) == ("payment", 1, "active")


def test_matches_by_reference_in_the_remittance_info(bank_file, open_items):
    # ING: :86: .../REMI/STRD/CUR/1070123412341234/ on a 119.00 debit
    open_items.append(bill(7, "119.00", reference="1070123412341234"))
    open_items.append(bill(8, "119.00", reference="9999999999999999"))
    result = bank_statement_import(file_bytes=bank_file("test-ing.940"))
    line = line_of(result, position=8)
    assert line.amount == Decimal("119.00")
    assert (line.match_status, line.match_method) == (MatchStatus.MATCHED, MatchMethod.REFERENCE)
    assert BankLineMatch.objects.get(line=line).target_id == 7


def test_reference_inside_free_text_matches_token_wise(open_items):
    open_items.append(bill(3, "250.00", reference="INV-2026/0042"))
    open_items.append(bill(4, "250.00", reference="INV-2026/004"))
    result = import_entries(
        SampleEntry(Decimal("250.00"), remittance="Payment for inv 2026 0042, thank you")
    )
    line = line_of(result)
    assert line.match_method == MatchMethod.REFERENCE
    assert BankLineMatch.objects.get(line=line).target_id == 3


def test_matches_by_amount_and_counterparty_iban(bank_file, open_items):
    open_items.append(payment(2, "754.25", counterparty_iban="NL46ABNA0499998748"))
    open_items.append(payment(3, "754.25", counterparty_iban="NL00OTHR0000000001"))
    result = bank_statement_import(file_bytes=bank_file("test-camt053"))
    line = line_of(result, position=1)
    assert (line.match_status, line.match_method) == (MatchStatus.MATCHED, MatchMethod.AMOUNT_IBAN)
    assert BankLineMatch.objects.get(line=line).target_id == 2


def test_matches_by_amount_and_similar_name_within_the_date_window(bank_file, open_items):
    # ABN AMRO: "GIRO 428428 KPN - DIGITENNE" 9,00 debit booked 2011-05-24
    open_items.append(
        bill(11, "9.00", counterparty_name="KPN Digitenne B.V.", date=dt.date(2011, 5, 20))
    )
    open_items.append(
        bill(12, "9.00", counterparty_name="KPN Digitenne B.V.", date=dt.date(2011, 3, 1))
    )
    result = bank_statement_import(file_bytes=bank_file("abnamro.sta"))
    line = line_of(result, position=1)
    assert (line.match_status, line.match_method) == (MatchStatus.MATCHED, MatchMethod.AMOUNT_NAME)
    assert Decimal("0.5") < line.match_confidence < Decimal("0.9")
    assert BankLineMatch.objects.get(line=line).target_id == 11


def test_name_outside_the_date_window_does_not_match(open_items):
    open_items.append(bill(1, "80.00", counterparty_name="Acme Steel", date=dt.date(2025, 6, 1)))
    result = import_entries(SampleEntry(Decimal("80.00"), name="ACME STEEL LTD"))
    assert line_of(result).match_status == MatchStatus.UNMATCHED


def test_batch_entry_matches_each_transaction_detail(bank_file, open_items):
    open_items.append(
        bill(
            21,
            "2187.00",
            reference="302388292000011111111111111",
            currency="CHF",
            credit_debit="CRDT",
        )
    )
    open_items.append(
        bill(
            22,
            "1296.00",
            reference="302388292000022222222222222",
            currency="CHF",
            credit_debit="CRDT",
        )
    )
    result = bank_statement_import(file_bytes=bank_file("test-camt053-txdtls"))
    first, second = line_of(result, detail=1), line_of(result, detail=2)
    assert first.entry_id == second.entry_id
    assert [BankLineMatch.objects.get(line=one).target_id for one in (first, second)] == [21, 22]
    assert {first.match_status, second.match_status} == {MatchStatus.MATCHED}


def test_unmatched_line_becomes_an_exception_item_with_the_amount_at_risk(bank_file, open_items):
    result = bank_statement_import(file_bytes=bank_file("test-camt053"))
    line = line_of(result, position=1)
    assert line.match_status == MatchStatus.UNMATCHED
    item = ExceptionItem.objects.get(pk=line.exception_item_id)
    assert item.category == "reconciliation_difference"
    assert item.amount_at_risk == Decimal("754.25") and item.currency == "EUR"
    assert item.status == ExceptionStatus.OPEN
    assert item.details["bank_line_id"] == line.id
    assert item.details["end_to_end_id"] == "435005714488-ABNO33052620"
    assert result.reconciliation.exceptions_opened >= 1


def test_reconciling_again_adds_no_matches_or_exception_items(open_items):
    open_items.append(payment(1, "100.00", end_to_end_id="E2E-1"))
    result = import_entries(
        SampleEntry(Decimal("100.00"), end_to_end_id="E2E-1"),
        SampleEntry(Decimal("55.00"), name="Nobody"),
    )
    counts = (BankLineMatch.objects.count(), ExceptionItem.objects.count())
    again = bank_reconcile(statement=result.statements[0])
    assert (BankLineMatch.objects.count(), ExceptionItem.objects.count()) == counts == (1, 1)
    assert again.already_done == 1 and again.unmatched == 1
    assert ExceptionItem.objects.get().occurrences == 2  # the same problem seen again


def test_a_payment_settles_only_one_line(open_items):
    open_items.append(payment(5, "300.00", counterparty_iban=VENDOR_IBAN))
    result = import_entries(
        SampleEntry(Decimal("300.00"), iban=VENDOR_IBAN),
        SampleEntry(Decimal("300.00"), iban=VENDOR_IBAN, remittance="second"),
    )
    statuses = [line_of(result, position=p).match_status for p in (1, 2)]
    assert statuses == [MatchStatus.MATCHED, MatchStatus.UNMATCHED]


def test_two_equally_good_candidates_are_not_guessed(open_items):
    open_items.append(bill(1, "300.00", counterparty_iban=VENDOR_IBAN))
    open_items.append(bill(2, "300.00", counterparty_iban=VENDOR_IBAN))
    result = import_entries(SampleEntry(Decimal("300.00"), iban=VENDOR_IBAN))
    line = line_of(result)
    assert line.match_status == MatchStatus.UNMATCHED
    assert "2 candidates" in line.match_note and "BILL-00001" in line.match_note


def test_end_to_end_match_with_another_amount_is_a_difference(open_items):
    open_items.append(payment(9, "1000.00", end_to_end_id="E2E-9"))
    result = import_entries(SampleEntry(Decimal("990.00"), end_to_end_id="E2E-9"))
    line = line_of(result)
    assert line.match_status == MatchStatus.DIFFERENCE
    assert BankLineMatch.objects.get(line=line).amount_difference == Decimal("-10.00")
    item = ExceptionItem.objects.get(pk=line.exception_item_id)
    assert item.amount_at_risk == Decimal("10.00")


def test_pending_entries_are_not_reconciled(open_items):
    open_items.append(payment(1, "42.00", end_to_end_id="E2E-P"))
    result = import_entries(SampleEntry(Decimal("42.00"), end_to_end_id="E2E-P", status="PDNG"))
    line = line_of(result)
    assert line.entry.status == "PDNG" and line.match_status == MatchStatus.NOT_BOOKED
    assert not BankLineMatch.objects.exists() and not ExceptionItem.objects.exists()


def test_reversal_unmatches_the_original_and_reopens_the_payment(open_items):
    open_items.append(payment(1, "500.00", end_to_end_id="E2E-R"))
    first = import_entries(SampleEntry(Decimal("500.00"), end_to_end_id="E2E-R"))
    original = line_of(first)
    assert original.match_status == MatchStatus.MATCHED
    second = import_entries(
        SampleEntry(Decimal("500.00"), credit_debit="CRDT", reversal=True, end_to_end_id="E2E-R"),
        statement_id="ST-2",
    )
    reversal = line_of(second)
    original.refresh_from_db()
    assert reversal.match_status == MatchStatus.REVERSAL and reversal.reverses_id == original.id
    assert original.match_status == MatchStatus.REVERSED
    match = BankLineMatch.objects.get(line=original)
    assert match.state == MatchState.REVERSED and match.ended_by_line_id == reversal.id
    item = ExceptionItem.objects.get(pk=reversal.exception_item_id)
    assert "PAY-00001" in item.title and item.amount_at_risk == Decimal("500.00")
    # The payment is open again: a new debit with its id matches it.
    third = import_entries(
        SampleEntry(Decimal("500.00"), end_to_end_id="E2E-R", remittance="paid again"),
        statement_id="ST-3",
    )
    assert line_of(third).match_status == MatchStatus.MATCHED


def test_reversal_of_an_unmatched_line_cancels_its_exception(open_items):
    first = import_entries(SampleEntry(Decimal("75.00"), iban=VENDOR_IBAN, name="Somebody"))
    original = line_of(first)
    item = ExceptionItem.objects.get(pk=original.exception_item_id)
    import_entries(
        SampleEntry(Decimal("75.00"), credit_debit="CRDT", reversal=True, iban=VENDOR_IBAN),
        statement_id="ST-2",
    )
    item.refresh_from_db()
    original.refresh_from_db()
    assert original.match_status == MatchStatus.REVERSED
    assert item.status == ExceptionStatus.RESOLVED


def test_reversal_without_an_original_is_an_exception(bank_file, open_items):
    # test-camt053: <RvslInd>true</RvslInd> on a returned direct-debit batch, original not here
    result = bank_statement_import(file_bytes=bank_file("test-camt053"))
    line = line_of(result, position=2, detail=1)
    assert line.reversal and line.match_status == MatchStatus.UNMATCHED
    assert "without an original" in line.match_note
    assert ExceptionItem.objects.get(pk=line.exception_item_id).amount_at_risk == Decimal("564.05")


def test_manual_match_resolves_the_exception_and_is_audited(open_items, fiona):
    result = import_entries(SampleEntry(Decimal("1234.56"), name="Unknown Ltd"))
    line = line_of(result)
    item = ExceptionItem.objects.get(pk=line.exception_item_id)
    target = bill(77, "1234.56", reference="BILL-77")
    matches = bank_line_match_manual(line=line, bill=target, actor=fiona, note="phoned vendor")
    line.refresh_from_db()
    item.refresh_from_db()
    assert [m.target_id for m in matches] == [77]
    assert (line.match_status, line.match_method) == (MatchStatus.MANUAL, MatchMethod.MANUAL)
    assert item.status == ExceptionStatus.RESOLVED
    audit = AuditEntry.objects.get(action="banking.line_matched_manually")
    assert audit.actor == fiona and audit.detail["targets"][0]["id"] == 77


def test_manual_match_refuses_a_bill_another_line_already_settles(open_items, fiona):
    open_items.append(bill(5, "60.00", end_to_end_id="E2E-5"))
    result = import_entries(
        SampleEntry(Decimal("60.00"), end_to_end_id="E2E-5"),
        SampleEntry(Decimal("60.00"), remittance="other"),
    )
    with pytest.raises(ApplicationError) as caught:
        bank_line_match_manual(line=line_of(result, position=2), bill=bill(5, "60.00"), actor=fiona)
    assert caught.value.code == "already_matched" and caught.value.status_code == 409


def test_unmatch_puts_the_line_back_in_the_queue(open_items, fiona):
    open_items.append(payment(1, "10.00", end_to_end_id="E2E-U"))
    result = import_entries(SampleEntry(Decimal("10.00"), end_to_end_id="E2E-U"))
    line = bank_line_unmatch(line=line_of(result), actor=fiona, note="wrong payment")
    assert line.match_status == MatchStatus.UNMATCHED
    assert BankLineMatch.objects.get().state == MatchState.REMOVED
    assert ExceptionItem.objects.get(pk=line.exception_item_id).status == ExceptionStatus.OPEN


def test_batch_sample_entry_builds_several_details(open_items):
    result = import_entries(
        SampleEntry(
            Decimal("30.00"),
            batch=[SampleTx(Decimal("10.00"), end_to_end_id="A"), SampleTx(Decimal("20.00"))],
        )
    )
    assert result.statements[0].entries.get().details.count() == 2
