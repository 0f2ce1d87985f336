"""Write small camt.053.001.08 statements: for the demo, the benchmark and tests that need a
statement shaped a particular way (a reversal, a batch, a pending entry)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


@dataclass
class SampleTx:
    amount: Decimal
    end_to_end_id: str = ""
    name: str = ""
    iban: str = ""
    remittance: str = ""
    creditor_reference: str = ""


@dataclass
class SampleEntry:
    amount: Decimal
    credit_debit: str = "DBIT"
    booking_date: dt.date = dt.date(2026, 1, 15)
    reversal: bool = False
    status: str = "BOOK"
    account_servicer_ref: str = ""
    end_to_end_id: str = ""
    name: str = ""
    iban: str = ""
    remittance: str = ""
    creditor_reference: str = ""
    batch: list[SampleTx] = field(default_factory=list)  # several TxDtls in one entry


def _tx(tx: SampleTx | SampleEntry, credit_debit: str, reversal: bool) -> str:
    # Who the counterparty is depends on the direction of the original booking.
    incoming = (credit_debit == "CRDT") != reversal
    side = "Dbtr" if incoming else "Cdtr"
    parts = ["<TxDtls>"]
    if tx.end_to_end_id:
        parts.append(f"<Refs><EndToEndId>{escape(tx.end_to_end_id)}</EndToEndId></Refs>")
    parts.append(f'<Amt Ccy="EUR">{tx.amount:.2f}</Amt><CdtDbtInd>{credit_debit}</CdtDbtInd>')
    if tx.name or tx.iban:
        parts.append("<RltdPties>")
        if tx.name:
            parts.append(f"<{side}><Pty><Nm>{escape(tx.name)}</Nm></Pty></{side}>")
        if tx.iban:
            parts.append(f"<{side}Acct><Id><IBAN>{tx.iban}</IBAN></Id></{side}Acct>")
        parts.append("</RltdPties>")
    if tx.remittance or tx.creditor_reference:
        parts.append("<RmtInf>")
        if tx.remittance:
            parts.append(f"<Ustrd>{escape(tx.remittance)}</Ustrd>")
        if tx.creditor_reference:
            parts.append(
                f"<Strd><CdtrRefInf><Ref>{escape(tx.creditor_reference)}</Ref></CdtrRefInf></Strd>"
            )
        parts.append("</RmtInf>")
    parts.append("</TxDtls>")
    return "".join(parts)


def camt053_document(
    *,
    statement_id: str,
    iban: str,
    entries: list[SampleEntry],
    opening: Decimal = Decimal("10000.00"),
    sequence: int = 1,
    day: dt.date = dt.date(2026, 1, 15),
) -> bytes:
    """A camt.053.001.08 statement whose balances add up."""
    closing = opening
    for entry in entries:
        if entry.status == "BOOK":
            closing += entry.amount if entry.credit_debit == "CRDT" else -entry.amount
    body = []
    for entry in entries:
        txs = entry.batch or [entry]
        details = "".join(_tx(tx, entry.credit_debit, entry.reversal) for tx in txs)
        batch = f"<Btch><NbOfTxs>{len(entry.batch)}</NbOfTxs></Btch>" if entry.batch else ""
        body.append(
            "<Ntry>"
            f'<Amt Ccy="EUR">{entry.amount:.2f}</Amt><CdtDbtInd>{entry.credit_debit}</CdtDbtInd>'
            + ("<RvslInd>true</RvslInd>" if entry.reversal else "")
            + f"<Sts><Cd>{entry.status}</Cd></Sts>"
            f"<BookgDt><Dt>{entry.booking_date.isoformat()}</Dt></BookgDt>"
            f"<ValDt><Dt>{entry.booking_date.isoformat()}</Dt></ValDt>"
            + (
                f"<AcctSvcrRef>{escape(entry.account_servicer_ref)}</AcctSvcrRef>"
                if entry.account_servicer_ref
                else ""
            )
            + "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly>"
            "</Domn></BkTxCd>"
            f"<NtryDtls>{batch}{details}</NtryDtls>"
            "</Ntry>"
        )

    def balance(code: str, amount: Decimal) -> str:
        side = "CRDT" if amount >= 0 else "DBIT"
        return (
            f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
            f'<Amt Ccy="EUR">{abs(amount):.2f}</Amt><CdtDbtInd>{side}</CdtDbtInd>'
            f"<Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>"
        )

    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<Document xmlns="{NAMESPACE}"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>{escape(statement_id)}-MSG</MsgId>"
        f"<CreDtTm>{day.isoformat()}T18:00:00Z</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{escape(statement_id)}</Id><ElctrncSeqNb>{sequence}</ElctrncSeqNb>"
        f"<CreDtTm>{day.isoformat()}T18:00:00Z</CreDtTm>"
        f"<Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        + balance("OPBD", opening)
        + balance("CLBD", closing)
        + "".join(body)
        + "</Stmt></BkToCstmrStmt></Document>"
    )
    return xml.encode("utf-8")
