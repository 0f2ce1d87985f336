"""ISO 20022 camt.052 / camt.053 / camt.054 (versions .001.02 and later), read with defusedxml.

Elements are matched on local names so one reader serves every version; the few places where
versions differ (Sts as text or <Sts><Cd>, Dbtr/Nm or Dbtr/Pty/Nm, TxDtls/Amt or
AmtDtls/TxAmt/Amt, BIC or BICFI, the shape of Chrgs) are handled explicitly.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from apps.banking.errors import StatementRefused
from apps.banking.parsers.records import (
    CREDIT,
    DEBIT,
    ParsedBalance,
    ParsedEntry,
    ParsedFile,
    ParsedStatement,
    ParsedTxDetail,
)
from apps.banking.parsers.text import normalize_iban, to_money

CAMT_NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.(05[234])\.001\.(\d{2})$")
SUPPORTED_VERSIONS = range(2, 14)
# message root -> (message type, statement element)
_ROOTS = {
    "BkToCstmrStmt": ("053", "Stmt"),
    "BkToCstmrDbtCdtNtfctn": ("054", "Ntfctn"),
    "BkToCstmrAcctRpt": ("052", "Rpt"),
}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el: Element | None, name: str) -> list[Element]:
    if el is None:
        return []
    return [c for c in el if _local(c.tag) == name]


def _find(el: Element | None, *path: str) -> Element | None:
    for name in path:
        if el is None:
            return None
        el = next((c for c in el if _local(c.tag) == name), None)
    return el


def _text(el: Element | None, *path: str) -> str:
    found = _find(el, *path) if path else el
    if found is None or found.text is None:
        return ""
    return " ".join(found.text.split())


def _amount(el: Element | None, where: str) -> tuple[Decimal | None, str]:
    if el is None or not (el.text or "").strip():
        return None, ""
    try:
        value = Decimal(el.text.strip())
    except InvalidOperation:
        raise StatementRefused(f"{where}: amount {el.text.strip()!r} is not a number") from None
    if value < 0:
        raise StatementRefused(f"{where}: amount {value} is negative; camt amounts are unsigned")
    return to_money(value, where), el.get("Ccy", "")


def _date(el: Element | None) -> dt.date | None:
    """<Dt> or <DtTm> inside el."""
    if el is None:
        return None
    raw = _text(el, "Dt") or _text(el, "DtTm")
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        raise StatementRefused(f"{_local(el.tag)}: date {raw!r} is not an ISO date") from None


def _datetime(raw: str) -> dt.datetime | None:
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _bank_transaction_code(el: Element | None) -> str:
    if el is None:
        return ""
    domain = _find(el, "Domn")
    if domain is not None:
        parts = [
            _text(domain, "Cd"),
            _text(domain, "Fmly", "Cd"),
            _text(domain, "Fmly", "SubFmlyCd"),
        ]
        return "/".join(p for p in parts if p)
    proprietary = _text(el, "Prtry", "Cd")
    return f"PRTRY:{proprietary}" if proprietary else ""


def _status(entry: Element) -> str:
    status = _find(entry, "Sts")
    if status is None:
        return "BOOK"
    # .001.08 and later: <Sts><Cd>BOOK</Cd></Sts> (or <Prtry>)
    return (_text(status) or _text(status, "Cd") or _text(status, "Prtry")).upper()


def _charges(el: Element | None) -> Decimal | None:
    if el is None:
        return None
    total, _ = _amount(_find(el, "TtlChrgsAndTaxAmt"), "Chrgs")
    if total is not None:
        return total
    # .001.02: one or more <Chrgs><Amt/></Chrgs>; .001.04+: <Chrgs><Rcrd><Amt/></Rcrd></Chrgs>
    amounts = [_amount(a, "Chrgs")[0] for a in _children(el, "Amt")]
    for record in _children(el, "Rcrd"):
        amounts.append(_amount(_find(record, "Amt"), "Chrgs")[0])
    amounts = [a for a in amounts if a is not None]
    return sum(amounts, Decimal("0")) if amounts else None


def _party_name(party: Element | None) -> str:
    if party is None:
        return ""
    # .001.08+: Dbtr/Pty/Nm (Party40Choice); earlier: Dbtr/Nm
    return _text(party, "Nm") or _text(party, "Pty", "Nm")


def _account(acct: Element | None) -> tuple[str, str]:
    if acct is None:
        return "", ""
    iban = _text(acct, "Id", "IBAN")
    other = _text(acct, "Id", "Othr", "Id")
    return normalize_iban(iban), other


def _agent_bic(agent: Element | None) -> str:
    if agent is None:
        return ""
    return _text(agent, "FinInstnId", "BICFI") or _text(agent, "FinInstnId", "BIC")


def _remittance(tx: Element) -> tuple[str, str]:
    rmt = _find(tx, "RmtInf")
    if rmt is None:
        return "", ""
    unstructured = " ".join(_text(u) for u in _children(rmt, "Ustrd") if _text(u))
    refs = []
    extra = []
    for strd in _children(rmt, "Strd"):
        ref = _text(strd, "CdtrRefInf", "Ref")
        if ref:
            refs.append(ref)
        for referred in _children(strd, "RfrdDocInf"):
            number = _text(referred, "Nb")
            if number:
                refs.append(number)
        for addtl in _children(strd, "AddtlRmtInf"):
            if _text(addtl):
                extra.append(_text(addtl))
    if extra:
        unstructured = " ".join(p for p in [unstructured, *extra] if p)
    return unstructured, " ".join(refs)


def _tx_detail(tx: Element, entry: ParsedEntry, where: str) -> ParsedTxDetail:
    amount, currency = _amount(_find(tx, "Amt"), where)
    if amount is None:
        amount, currency = _amount(_find(tx, "AmtDtls", "TxAmt", "Amt"), where)
    if amount is None:
        amount, currency = _amount(_find(tx, "AmtDtls", "InstdAmt", "Amt"), where)
    credit_debit = _text(tx, "CdtDbtInd") or entry.credit_debit
    if credit_debit not in (CREDIT, DEBIT):
        raise StatementRefused(f"{where}: CdtDbtInd {credit_debit!r} is neither CRDT nor DBIT")

    refs = _find(tx, "Refs")
    parties = _find(tx, "RltdPties")
    agents = _find(tx, "RltdAgts")
    # The counterparty is the other side of the booking: the debtor pays us on a credit, we pay
    # the creditor on a debit. A reversal flips the original direction, and so the party.
    incoming = (credit_debit == CREDIT) != entry.reversal
    sides = ["Dbtr", "Cdtr"] if incoming else ["Cdtr", "Dbtr"]
    # Banks do not always fill the side the standard implies; fall back to the other party.
    for side in sides:
        name = _party_name(_find(parties, side)) or _party_name(_find(parties, "Ultmt" + side))
        iban, other_account = _account(_find(parties, side + "Acct"))
        if name or iban or other_account:
            break
    agent_side = side + "Agt"
    unstructured, creditor_ref = _remittance(tx)
    return ParsedTxDetail(
        amount=amount,
        currency=currency or entry.currency,
        credit_debit=credit_debit,
        end_to_end_id=_text(refs, "EndToEndId"),
        instruction_id=_text(refs, "InstrId"),
        mandate_id=_text(refs, "MndtId"),
        transaction_id=_text(refs, "TxId"),
        account_servicer_ref=_text(refs, "AcctSvcrRef"),
        payment_info_id=_text(refs, "PmtInfId"),
        remittance_unstructured=unstructured,
        creditor_reference=creditor_ref,
        counterparty_name=name,
        counterparty_iban=iban,
        counterparty_account=other_account,
        counterparty_bic=_agent_bic(_find(agents, agent_side)),
        bank_transaction_code=_bank_transaction_code(_find(tx, "BkTxCd")),
        charges_amount=_charges(_find(tx, "Chrgs")),
        return_reason=_text(tx, "RtrInf", "Rsn", "Cd") or _text(tx, "RtrInf", "Rsn", "Prtry"),
        additional_info=_text(tx, "AddtlTxInf"),
    )


def _entry(ntry: Element, where: str) -> ParsedEntry:
    amount, currency = _amount(_find(ntry, "Amt"), where)
    if amount is None:
        raise StatementRefused(f"{where}: entry without an amount")
    credit_debit = _text(ntry, "CdtDbtInd")
    if credit_debit not in (CREDIT, DEBIT):
        raise StatementRefused(f"{where}: CdtDbtInd {credit_debit!r} is neither CRDT nor DBIT")
    booking_date = _date(_find(ntry, "BookgDt"))
    value_date = _date(_find(ntry, "ValDt"))
    entry = ParsedEntry(
        amount=amount,
        currency=currency,
        credit_debit=credit_debit,
        booking_date=booking_date,
        value_date=value_date,
        reversal=_text(ntry, "RvslInd").lower() in ("true", "1"),
        status=_status(ntry),
        entry_ref=_text(ntry, "NtryRef"),
        account_servicer_ref=_text(ntry, "AcctSvcrRef"),
        bank_transaction_code=_bank_transaction_code(_find(ntry, "BkTxCd")),
        additional_info=_text(ntry, "AddtlNtryInf"),
        charges_amount=_charges(_find(ntry, "Chrgs")),
    )
    tx_elements = []
    for details in _children(ntry, "NtryDtls"):
        batch = _find(details, "Btch")
        if batch is not None:
            count = _text(batch, "NbOfTxs")
            entry.batch_count = int(count) if count.isdigit() else entry.batch_count
            payment_info_id = _text(batch, "PmtInfId")
        else:
            payment_info_id = ""
        for tx in _children(details, "TxDtls"):
            tx_elements.append((tx, payment_info_id))
    for index, (tx, payment_info_id) in enumerate(tx_elements, start=1):
        detail = _tx_detail(tx, entry, f"{where} TxDtls {index}")
        detail.payment_info_id = detail.payment_info_id or payment_info_id
        entry.details.append(detail)
    if len(entry.details) == 1 and entry.details[0].amount is None:
        entry.details[0].amount = amount
    if not entry.details:
        entry.details.append(
            ParsedTxDetail(
                amount=amount,
                currency=currency,
                credit_debit=credit_debit,
                account_servicer_ref=entry.account_servicer_ref,
                bank_transaction_code=entry.bank_transaction_code,
                remittance_unstructured=entry.additional_info,
            )
        )
        entry.details_derived = True
    for index, detail in enumerate(entry.details, start=1):
        if detail.amount is None:
            raise StatementRefused(
                f"{where} TxDtls {index}: a batch entry's transaction has no amount"
            )
    return entry


def _balance(bal: Element, where: str) -> ParsedBalance:
    amount, currency = _amount(_find(bal, "Amt"), where)
    if amount is None:
        raise StatementRefused(f"{where}: balance without an amount")
    code = _text(bal, "Tp", "CdOrPrtry", "Cd") or _text(bal, "Tp", "CdOrPrtry", "Prtry")
    return ParsedBalance(
        amount=amount,
        currency=currency,
        credit_debit=_text(bal, "CdtDbtInd") or CREDIT,
        date=_date(_find(bal, "Dt")),
        code=code,
    )


def _statement(stmt: Element, kind_label: str, number: int) -> ParsedStatement:
    statement_id = _text(stmt, "Id")
    where = f"{kind_label} {number}" + (f" ({statement_id})" if statement_id else "")
    if not statement_id:
        raise StatementRefused(f"{where}: no <Id>")
    acct = _find(stmt, "Acct")
    if acct is None:
        raise StatementRefused(f"{where}: no account <Acct>")
    iban, other = _account(acct)
    if not iban and not other:
        raise StatementRefused(f"{where}: the account has neither an IBAN nor another id")
    parsed = ParsedStatement(
        statement_id=statement_id,
        sequence=_text(stmt, "ElctrncSeqNb") or _text(stmt, "LglSeqNb"),
        created_at=_datetime(_text(stmt, "CreDtTm")),
        period_from=_datetime(_text(stmt, "FrToDt", "FrDtTm")),
        period_to=_datetime(_text(stmt, "FrToDt", "ToDtTm")),
        account_iban=iban,
        account_number=other,
        account_currency=_text(acct, "Ccy"),
        account_bic=_agent_bic(_find(acct, "Svcr")),
        account_owner=_text(acct, "Ownr", "Nm") or _text(acct, "Nm"),
        additional_info=_text(stmt, "AddtlStmtInf") or _text(stmt, "AddtlNtfctnInf"),
    )
    for bal in _children(stmt, "Bal"):
        balance = _balance(bal, where)
        if balance.code in ("OPBD", "PRCD") and parsed.opening_balance is None:
            parsed.opening_balance = balance
        elif balance.code in ("CLBD",):
            parsed.closing_balance = balance
    for index, ntry in enumerate(_children(stmt, "Ntry"), start=1):
        parsed.entries.append(_entry(ntry, f"{where} Ntry {index}"))
    if not parsed.account_currency:
        currencies = {e.currency for e in parsed.entries if e.currency}
        if parsed.closing_balance:
            currencies.add(parsed.closing_balance.currency)
        parsed.account_currency = currencies.pop() if len(currencies) == 1 else ""
    return parsed


def parse_camt(data: bytes) -> ParsedFile:
    """Parse a camt document; anything that is not readable camt is refused with the reason."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise StatementRefused(
            f"XML with a DTD or entity declarations is refused as unsafe ({type(exc).__name__})",
            code="unsafe_xml",
        ) from None
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise StatementRefused(f"malformed XML: {exc}", line=line, code="malformed_xml") from None

    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if _local(root.tag) != "Document":
        raise StatementRefused(
            f"XML root <{_local(root.tag)}> is not an ISO 20022 <Document>", code="not_camt"
        )
    message = next((c for c in root if _local(c.tag) in _ROOTS), None)
    match = CAMT_NAMESPACE.match(namespace)
    if namespace and not match:
        raise StatementRefused(
            f"XML namespace {namespace!r} is not camt.052/053/054", code="not_camt"
        )
    if message is None:
        found = ", ".join(f"<{_local(c.tag)}>" for c in root) or "nothing"
        raise StatementRefused(
            f"camt document holds {found}, not a bank-to-customer statement, "
            "notification or report",
            code="not_camt",
        )
    message_type, statement_tag = _ROOTS[_local(message.tag)]
    if match:
        if match.group(1) != message_type:
            raise StatementRefused(
                f"namespace says camt.{match.group(1)} but the message is "
                f"<{_local(message.tag)}> (camt.{message_type})",
                code="not_camt",
            )
        version_number = int(match.group(2))
        if version_number not in SUPPORTED_VERSIONS:
            raise StatementRefused(
                f"camt.{message_type}.001.{match.group(2)} is not supported "
                "(versions .001.02 to .001.13 are)",
                code="unsupported_version",
            )
        version = f"camt.{message_type}.001.{match.group(2)}"
    else:
        version = f"camt.{message_type} (no namespace)"

    label = {"053": "statement", "054": "notification", "052": "report"}[message_type]
    parsed = ParsedFile(
        format=f"camt.{message_type}",
        version=version,
        message_id=_text(message, "GrpHdr", "MsgId"),
    )
    for number, stmt in enumerate(_children(message, statement_tag), start=1):
        parsed.statements.append(_statement(stmt, label, number))
    if not parsed.statements:
        raise StatementRefused(f"camt.{message_type} message holds no <{statement_tag}>")
    return parsed
