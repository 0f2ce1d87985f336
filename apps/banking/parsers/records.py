"""What a parser hands to the importer: plain dataclasses, no Django, so parsers stay pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

CREDIT = "CRDT"
DEBIT = "DBIT"


@dataclass
class ParsedBalance:
    """A balance as the bank states it: the sign is carried by `credit_debit`."""

    amount: Decimal
    currency: str
    credit_debit: str
    date: dt.date | None
    code: str = ""  # OPBD / CLBD / ITBD / CLAV, or the MT940 tag (60F, 62M, ...)

    @property
    def signed(self) -> Decimal:
        return self.amount if self.credit_debit == CREDIT else -self.amount


@dataclass
class ParsedTxDetail:
    """One transaction inside an entry (camt TxDtls, or an MT940 :61:/:86: pair)."""

    amount: Decimal | None = None
    currency: str = ""
    credit_debit: str = ""
    end_to_end_id: str = ""
    instruction_id: str = ""
    mandate_id: str = ""
    transaction_id: str = ""
    account_servicer_ref: str = ""
    payment_info_id: str = ""
    remittance_unstructured: str = ""
    creditor_reference: str = ""  # Strd/CdtrRefInf/Ref, or a structured :86: reference
    counterparty_name: str = ""
    counterparty_iban: str = ""
    counterparty_account: str = ""  # non-IBAN account ids (Othr/Id, BBAN, giro numbers)
    counterparty_bic: str = ""
    bank_transaction_code: str = ""
    charges_amount: Decimal | None = None
    return_reason: str = ""
    additional_info: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class ParsedEntry:
    """One booking on the account (camt Ntry or MT940 :61:)."""

    amount: Decimal
    currency: str
    credit_debit: str
    booking_date: dt.date | None
    value_date: dt.date | None
    reversal: bool = False
    status: str = "BOOK"
    entry_ref: str = ""
    account_servicer_ref: str = ""
    bank_transaction_code: str = ""
    additional_info: str = ""
    charges_amount: Decimal | None = None
    batch_count: int | None = None
    customer_reference: str = ""  # MT940 :61: subfield 7
    bank_reference: str = ""  # MT940 :61: subfield 8
    raw_details: str = ""  # MT940 :86: as received (lines kept)
    source_line: int | None = None
    details: list[ParsedTxDetail] = field(default_factory=list)
    # True when the bank sent no transaction details and the single detail was derived from the
    # entry itself (every MT940 line; a camt Ntry without TxDtls).
    details_derived: bool = False


@dataclass
class ParsedStatement:
    """One statement (camt Stmt / Ntfctn / Rpt, or one MT940 :20: block)."""

    statement_id: str
    sequence: str = ""
    created_at: dt.datetime | None = None
    period_from: dt.datetime | None = None
    period_to: dt.datetime | None = None
    account_iban: str = ""
    account_number: str = ""
    account_currency: str = ""
    account_bic: str = ""
    account_owner: str = ""
    opening_balance: ParsedBalance | None = None
    closing_balance: ParsedBalance | None = None
    additional_info: str = ""
    source_line: int | None = None
    entries: list[ParsedEntry] = field(default_factory=list)


@dataclass
class ParsedFile:
    format: str  # camt.053 / camt.054 / camt.052 / mt940
    version: str  # e.g. camt.053.001.02, or mt940
    variant: str = ""  # bank-specific handling applied (mt940: rabobank, ing, asn, ...)
    message_id: str = ""
    statements: list[ParsedStatement] = field(default_factory=list)

    @property
    def entry_count(self) -> int:
        return sum(len(s.entries) for s in self.statements)
