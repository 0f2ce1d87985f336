"""Every real file in tests/fixtures/banking (copies of ../shared/data/banking) is parsed, with
counts derived from the file text itself, and a few amounts, dates and references read back."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from apps.banking.errors import StatementRefused
from apps.banking.parsers import parse_statement_file, sniff_format

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "banking"
MT940_FILES = [
    "abnamro.sta",
    "ing.sta",
    "mt940.txt",
    "rabobank-iban.sta",
    "raiffeisen-cmi.sta",
    "sepa_mt9401.sta",
    "test-ing.940",
    "test-rabo.swi",
]
CAMT_FILES = ["test-camt053", "test-camt053-txdtls", "test-camt054"]


def read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_every_shared_banking_file_is_a_fixture():
    shared = Path(__file__).resolve().parents[3] / "shared" / "data" / "banking"
    if shared.is_dir():  # the fixtures are byte-for-byte copies of the shared sample files
        for path in shared.iterdir():
            assert (FIXTURES / path.name).read_bytes() == path.read_bytes(), path.name
    assert sorted(p.name for p in FIXTURES.iterdir()) == sorted(MT940_FILES + CAMT_FILES)


@pytest.mark.parametrize("name", MT940_FILES)
def test_mt940_file_is_parsed_with_every_line_and_statement(name):
    text = read(name).decode("latin-1")
    expected_lines = len(re.findall(r"(?m)^:61:", text))
    expected_statements = len(re.findall(r"(?m)^:20:", text))
    parsed = parse_statement_file(read(name))
    assert parsed.format == "mt940"
    assert len(parsed.statements) == expected_statements
    assert parsed.entry_count == expected_lines
    for statement in parsed.statements:
        assert statement.opening_balance is not None and statement.closing_balance is not None
        for entry in statement.entries:
            assert entry.amount > 0 and entry.currency
            assert entry.booking_date is not None and len(entry.details) == 1


@pytest.mark.parametrize("name", CAMT_FILES)
def test_camt_file_keeps_every_entry_and_transaction_detail(name):
    text = read(name).decode("utf-8")
    parsed = parse_statement_file(read(name))
    entries = [e for s in parsed.statements for e in s.entries]
    assert len(entries) == text.count("<Ntry>")
    from_bank = [d for e in entries if not e.details_derived for d in e.details]
    assert len(from_bank) == text.count("<TxDtls>")
    version = re.search(r"camt\.05[34]\.001\.\d\d", text).group(0)
    assert parsed.version == version


def test_camt053_v02_reads_amounts_parties_reversal_and_balances():
    parsed = parse_statement_file(read("test-camt053"))
    statement = parsed.statements[0]
    assert (statement.statement_id, statement.sequence) == ("1234Test/1", "2")
    assert statement.account_iban == "NL77ABNA0574908765"
    assert statement.account_bic == "ABNANL2A"
    assert statement.opening_balance.amount == Decimal("15568.27")
    assert statement.closing_balance.amount == Decimal("15121.12")
    first, reversed_batch, credit = statement.entries
    assert (first.amount, first.credit_debit, first.reversal) == (Decimal("754.25"), "DBIT", False)
    assert first.booking_date == dt.date(2014, 1, 5)
    assert first.bank_transaction_code == "PMNT/RDDT/ESDD"
    detail = first.details[0]
    assert detail.end_to_end_id == "435005714488-ABNO33052620"
    assert detail.mandate_id == "1880000341866"
    assert detail.counterparty_name == "INSURANCE COMPANY TESTX"
    assert detail.counterparty_iban == "NL46ABNA0499998748"
    assert detail.remittance_unstructured.startswith("Insurance policy 857239")
    # <RvslInd>true</RvslInd> on a batch of two transactions, each with its return reason.
    assert reversed_batch.reversal is True and reversed_batch.batch_count == 2
    assert [d.amount for d in reversed_batch.details] == [Decimal("564.05"), Decimal("100.00")]
    assert [d.return_reason for d in reversed_batch.details] == ["AC06", "AC06"]
    assert reversed_batch.details[0].payment_info_id == "2018/125-20141229-NORM"
    assert credit.details[0].counterparty_name == "3rd party Media"  # Dbtr on a credit
    assert credit.details[0].end_to_end_id == "115"


def test_camt053_txdtls_batch_entry_keeps_its_transactions():
    parsed = parse_statement_file(read("test-camt053-txdtls"))
    entry = parsed.statements[0].entries[0]
    assert entry.amount == Decimal("3483.00") and entry.currency == "CHF"
    assert entry.account_servicer_ref == "20170323001234567891234567891234"
    assert entry.entry_ref == "012345678"
    assert (entry.booking_date, entry.value_date) == (dt.date(2017, 3, 22), dt.date(2017, 3, 23))
    assert entry.batch_count == 2 and not entry.details_derived
    first, second = entry.details
    assert (first.amount, second.amount) == (Decimal("2187.00"), Decimal("1296.00"))
    assert sum(d.amount for d in entry.details) == entry.amount
    assert first.creditor_reference == "302388292000011111111111111"
    assert second.creditor_reference == "302388292000022222222222222"
    assert (first.counterparty_iban, second.counterparty_iban) == (
        "CH2222000000123456789",
        "CH3333000000123456789",
    )
    assert (first.counterparty_bic, second.counterparty_bic) == ("POFICHBEXXX", "POFICHBEYYY")
    assert first.bank_transaction_code == "PMNT/RCDT/AUTT"


def test_camt054_notification_reads_refs_and_structured_reference():
    parsed = parse_statement_file(read("test-camt054"))
    assert parsed.format == "camt.054"
    entry = parsed.statements[0].entries[0]
    detail = entry.details[0]
    assert (entry.amount, entry.credit_debit, entry.status) == (Decimal("5.00"), "CRDT", "BOOK")
    assert detail.end_to_end_id == "ENDTOENDID-01"
    assert detail.instruction_id == "MIB InstrId305-312MM20211231v1"
    assert detail.account_servicer_ref == "15180015077602405"
    assert detail.creditor_reference == "000000000000000000000000003"
    assert detail.counterparty_iban == "NL46ABNA0499998748"


def test_ing_structured_mt940_unwraps_lines_and_reads_eref_cntp_remi():
    parsed = parse_statement_file(read("test-ing.940"))
    assert parsed.variant == "ing"
    statement = parsed.statements[0]
    assert statement.account_iban == "NL77INGB0574908765" and statement.account_currency == "EUR"
    assert statement.sequence == "00000"  # ":28C:0000" wrapped onto a second line
    first = statement.entries[0]
    assert (first.amount, first.credit_debit) == (Decimal("1.56"), "CRDT")
    assert first.bank_reference == "00000000001005"
    detail = first.details[0]
    assert detail.end_to_end_id == "EV12341REP1231456T1234"
    assert detail.counterparty_iban == "NL32INGB0000012345"
    assert detail.counterparty_bic == "INGBNL2A"
    assert detail.counterparty_name == "ING BANK NV INZAKE WEB"
    assert detail.remittance_unstructured == "EV10001REP1000000T1000"
    # A lone "-" line inside :86: is data (mandate MND-EV01), not the end of the message.
    direct_debit = statement.entries[3].details[0]
    assert direct_debit.mandate_id == "MND-EV01"
    assert statement.entries[2].details[0].return_reason == "MS03"
    assert statement.entries[6].details[0].creditor_reference == "9001123412341234"
    assert statement.additional_info.startswith("/SUM/")


def test_rabobank_mt940_reads_counterparty_iban_from_the_second_61_line():
    parsed = parse_statement_file(read("test-rabo.swi"))
    assert parsed.variant == "rabobank"
    entry = parsed.statements[0].entries[0]
    assert (entry.amount, entry.credit_debit) == (Decimal("400.00"), "CRDT")
    detail = entry.details[0]
    assert detail.counterparty_iban == "NL66RABO0160878799"
    assert detail.counterparty_name == "R. SMITH"
    assert detail.remittance_unstructured == "Test money paid by other partner:"
    debit = parse_statement_file(read("rabobank-iban.sta")).statements[0].entries[0].details[0]
    assert debit.end_to_end_id == "01-01-2013 12:00 0030000987654321"
    assert debit.counterparty_name == "CONTRA ACCOUNT HOLDER"  # wrapped mid-word in the file


def test_asn_mt940_takes_the_34_character_iban_reference():
    parsed = parse_statement_file(read("mt940.txt"))
    assert parsed.variant == "asn"
    entry = parsed.statements[0].entries[0]
    assert (entry.amount, entry.credit_debit) == (Decimal("65.00"), "DBIT")
    assert entry.details[0].counterparty_iban == "NL47INGB9999999999"
    assert entry.details[0].counterparty_name == "hr gjlm paulissen"
    assert entry.details[0].remittance_unstructured == "Betaling sieraden"


def test_german_structured_86_reads_eref_iban_name_and_reversal_mark():
    parsed = parse_statement_file(read("sepa_mt9401.sta"))
    first_statement = parsed.statements[0]
    assert first_statement.account_number == "50880050/0194774600888"
    assert first_statement.opening_balance.credit_debit == "DBIT"
    assert first_statement.opening_balance.amount == Decimal("1234718.36")
    returned = first_statement.entries[0].details[0]
    assert returned.end_to_end_id == "TFNR 40005 00005"
    assert returned.return_reason == "914"
    assert "Reject aus SEPA" in returned.remittance_unstructured
    storno = first_statement.entries[5]  # ":61:0709040904RCR204,88NRTINONREF"
    assert storno.reversal is True and storno.credit_debit == "DBIT"
    assert storno.amount == Decimal("204.88")
    incoming = parsed.statements[1].entries[0].details[0]
    assert incoming.end_to_end_id == "EndToEndIdTFNR2000400001"
    assert incoming.counterparty_iban == "DE42100100100043921105"
    assert incoming.counterparty_bic == "PBNKDEFF100"


def test_raiffeisen_cp852_file_is_decoded_and_split():
    parsed = parse_statement_file(read("raiffeisen-cmi.sta"))
    assert parsed.variant == "raiffeisen"
    statement = parsed.statements[0]
    assert statement.account_currency == "HUF"
    entry = statement.entries[0]
    assert entry.amount == Decimal("2066637.00")
    detail = entry.details[0]
    assert detail.counterparty_account == "109876543210000012345678"
    assert detail.counterparty_name == "HUNGARY KFT."
    assert "összevont utánvét" in detail.remittance_unstructured


def test_abn_amro_old_format_reads_giro_account_and_card_merchant():
    parsed = parse_statement_file(read("abnamro.sta"))
    first = parsed.statements[0].entries[0]
    assert (first.amount, first.value_date) == (Decimal("9.00"), dt.date(2011, 5, 24))
    assert first.details[0].counterparty_account == "428428"
    assert first.details[0].counterparty_name == "KPN - DIGITENNE"
    card = parsed.statements[0].entries[1]
    assert card.details[0].counterparty_name == "DIRCKIII FIL2500 KATWIJK"
    # booking date 05-23, value date 05-21 (":61:1105210523D11,59")
    assert (card.value_date, card.booking_date) == (dt.date(2011, 5, 21), dt.date(2011, 5, 23))
    assert parsed.statements[1].opening_balance.code == "60M"


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "code", "words"),
    [
        (b"", "empty_file", "empty"),
        (b"   \n\n", "empty_file", "empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not_a_statement", "PDF"),
        (b"PK\x03\x04\x14\x00", "not_a_statement", "ZIP"),
        (b"date;amount;name\n2024-01-01;10,00;Acme\n", "not_a_statement", "neither camt"),
        (b"<html><body>hi</body></html>", "not_camt", "<html>"),
        (
            b'<?xml version="1.0"?>'
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03">'
            b"<CstmrCdtTrfInitn/></Document>",
            "not_camt",
            "pain.001",
        ),
        (b"<Document><BkToCstmrStmt><Stmt>", "malformed_xml", "malformed XML"),
    ],
)
def test_content_that_is_no_statement_is_refused_with_a_reason(content, code, words):
    with pytest.raises(StatementRefused) as caught:
        parse_statement_file(content)
    assert caught.value.code == code
    assert words in caught.value.message


def test_xml_with_entities_is_refused_as_unsafe():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&b;</Document>'
    )
    with pytest.raises(StatementRefused) as caught:
        parse_statement_file(bomb)
    assert caught.value.code == "unsafe_xml"


def test_unsupported_camt_version_is_refused():
    doc = read("test-camt054").replace(b"camt.054.001.04", b"camt.054.001.01")
    with pytest.raises(StatementRefused, match=r"camt\.054\.001\.01 is not supported"):
        parse_statement_file(doc)


def test_camt_entry_with_a_bad_amount_is_refused_naming_the_entry():
    doc = read("test-camt053").replace(
        b'<Amt Ccy="EUR">1405.31</Amt>', b'<Amt Ccy="EUR">14x5</Amt>'
    )
    with pytest.raises(StatementRefused) as caught:
        parse_statement_file(doc)
    assert "Ntry 3" in caught.value.message and "14x5" in caught.value.message


def test_unreadable_mt940_line_is_refused_with_its_line_number():
    text = read("abnamro.sta").decode("ascii")
    broken = text.replace(":61:1105230523D11,63N426NONREF", ":61:11052305X3D11,63N426NONREF")
    line = broken.splitlines().index(":61:11052305X3D11,63N426NONREF") + 1
    with pytest.raises(StatementRefused) as caught:
        parse_statement_file(broken.encode("ascii"))
    assert caught.value.line == line
    assert f"line {line}" in caught.value.message and ":61:" in caught.value.message


def test_mt940_without_closing_balance_is_refused_whole():
    text = read("rabobank-iban.sta").decode("ascii")
    cut = text.replace(":62F:C130115EUR000000000930,00", "")
    with pytest.raises(StatementRefused, match="no closing balance"):
        parse_statement_file(cut.encode("ascii"))


def test_format_is_sniffed_from_content_not_name():
    assert sniff_format(read("test-camt053")) == "camt"  # no extension, no XML declaration
    assert sniff_format(read("test-rabo.swi")) == "mt940"
    assert sniff_format(b"\xef\xbb\xbf" + read("test-camt054")) == "camt"
