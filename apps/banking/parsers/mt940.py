"""SWIFT MT940 customer statements, read with the `mt-940` package plus bank-specific handling.

The package parses the tags (:20:, :25:, :28C:, :60F/M:, :61:, :62F/M:, :64:, :65:). Around it
we do what real files need:
- split the file into statements ourselves and keep the line number of every tag, so a file the
  package cannot read is refused with the line, never half-imported;
- undo bank quirks before the package sees the text (ING wraps :28C: and :61: anywhere and puts
  /TRCD/ on the next line; ASN puts the counterparty IBAN, 34x, into the 16x customer reference);
- read :86: ourselves, by its shape: German/SEPA structured (`166?00...?20EREF+...?31IBAN`),
  slash-keyed (`/EREF/.../CNTP/IBAN/BIC/NAME/...` as ING, Rabobank and ABN AMRO SEPA write it),
  or the free text of older formats (ABN AMRO GIRO/BEA, old ING, ASN, Raiffeisen) where each
  bank has its own place for the counterparty account and name.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

import mt940
from mt940.tags import StatementASNB

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
from apps.banking.parsers.text import (
    IBAN_RE,
    looks_like_bic,
    looks_like_iban,
    normalize_iban,
    to_money,
)

TAG_LINE = re.compile(r"^:(\d{2}[A-Z]?):(.*)$")
MAX_DETAIL_LINE = 65  # :86: is 6*65x: a full-width line was wrapped, not ended
NOT_PROVIDED = {"", "NOTPROVIDED", "NONREF", "NONE"}


@dataclass
class _Tag:
    tag: str
    lines: list[str]
    line: int

    @property
    def first(self) -> str:
        return self.lines[0] if self.lines else ""


@dataclass
class _Block:
    line: int
    tags: list[_Tag] = field(default_factory=list)
    closed: bool = False  # a closing balance was seen; a "-" line now ends the message


def _tokenize(text: str) -> tuple[list[_Block], list[str]]:
    """Statements as tag lists with line numbers; also the header lines (bank identification)."""
    blocks: list[_Block] = []
    header: list[str] = []
    current: _Block | None = None
    ended = True  # outside a statement until a :20:
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        stripped = line.strip()
        match = TAG_LINE.match(line)
        if match and match.group(1) == "20":
            current = _Block(line=number)
            blocks.append(current)
            ended = False
            current.tags.append(_Tag("20", [match.group(2)], number))
            continue
        if current is None or ended:
            if stripped:
                header.append(stripped)
            continue
        if match:
            tag = match.group(1)
            current.tags.append(_Tag(tag, [match.group(2)], number))
            if tag.startswith("62"):
                current.closed = True
            continue
        # SWIFT envelope and trailers: "-}", "-", "-XXX", "{5:...}" end a message once its
        # closing balance is in. Before that a lone "-" is data: ING wraps mandate ids there.
        if stripped.startswith("{") or (current.closed and stripped.startswith("-")):
            ended = True
            if stripped.startswith("{"):
                header.append(stripped)
            continue
        current.tags[-1].lines.append(line)
    return blocks, header


def _bank_code(header: list[str], blocks: list[_Block]) -> str:
    """The bank's BIC from the envelope or header lines, else the IBAN's bank code."""
    for line in header:
        for candidate in re.findall(r"[A-Z]{6}[A-Z0-9]{2}", line):
            if candidate[4:6].isalpha() and looks_like_bic(candidate):
                return candidate[:4]
    for block in blocks:
        for tag in block.tags:
            if tag.tag == "25":
                value = normalize_iban(tag.first)
                if looks_like_iban(value[:18]) or IBAN_RE.match(value):
                    return value[4:8]
                bic = value.split("/", 1)[0]
                if looks_like_bic(bic):
                    return bic[:4]
    return ""


_VARIANTS = {
    "INGB": "ing",
    "RABO": "rabobank",
    "ASNB": "asn",
    "ABNA": "abnamro",
    "UBRT": "raiffeisen",
    "RZBA": "raiffeisen",
}


def _variant(bank: str, text: str) -> str:
    if bank in _VARIANTS:
        return _VARIANTS[bank]
    if re.search(r"(?m)^:86:\d{3}\?\d{2}", text):
        return "sepa-structured"
    return "generic"


def _joined(lines: list[str]) -> str:
    return "".join(line.strip("\r\n") for line in lines)


def _library_text(block: _Block, variant: str) -> tuple[str, dict[str, _Tag]]:
    """The block as the package should see it, and a map from tag text back to our tag."""
    parts: list[str] = []
    by_value: dict[str, _Tag] = {}
    for tag in block.tags:
        if tag.tag == "86":
            continue  # read by _details(), never by the package (it would merge structures)
        if tag.tag == "61" and variant == "ing":
            # ING wraps :61: at arbitrary places; the supplementary details start at /TRCD/.
            value = _joined(tag.lines)
            value = re.sub(r"(?<!\n)/TRCD/", "\n/TRCD/", value, count=1)
        elif tag.tag in ("28C", "28", "25", "20") or tag.tag[:2] in ("60", "62", "64", "65"):
            value = _joined(tag.lines).strip()
        else:
            value = "\n".join(line.rstrip() for line in tag.lines).rstrip("\n")
        by_value[value] = tag
        parts.append(f":{tag.tag}:{value}")
    return "\n".join(parts) + "\n", by_value


def _library_tags(variant: str) -> dict:
    if variant == "asn":
        statement = StatementASNB()
        return {statement.id: statement}
    return {}


def _balance(balance, code: str) -> ParsedBalance | None:
    if balance is None:
        return None
    amount = balance.amount
    return ParsedBalance(
        amount=to_money(abs(Decimal(amount.amount)), f":{code}:"),
        currency=amount.currency or "",
        credit_debit=CREDIT if balance.status == "C" else DEBIT,
        date=dt.date(balance.date.year, balance.date.month, balance.date.day)
        if balance.date
        else None,
        code=code,
    )


def _account(value: str) -> tuple[str, str, str, str]:
    """:25: → (iban, other account id, currency, bic). Banks append currency or prefix a BIC."""
    value = value.strip()
    currency = ""
    bic = ""
    compact = re.sub(r"\s+", "", value).upper()
    iban_match = re.match(r"^([A-Z]{2}\d{2}[A-Z0-9]{11,30}?)([A-Z]{3})?$", compact)
    if iban_match and looks_like_iban(iban_match.group(1)):
        return iban_match.group(1), "", iban_match.group(2) or "", ""
    parts = value.split("/")
    if len(parts) >= 2 and looks_like_bic(parts[0]):
        bic = parts[0]
        parts = parts[1:]
    if len(parts) >= 2 and re.fullmatch(r"[A-Z]{3}", parts[-1]):
        currency = parts[-1]
        parts = parts[:-1]
    return "", "/".join(parts), currency, bic


# --- :86: readers ------------------------------------------------------------------------------

SLASH_KEYS = (
    "EREF|PREF|MARF|CSID|CNTP|REMI|RTRN|PURP|ULTC|ULTD|ULTB|IREF|EXCH|CHGS|ORDP|BENM|NAME|ADDR|"
    "ISDT|BUSP|TRTP|IBAN|BIC|SUM|OCMT|CDTRREFTP|CDTRREF|ISSR|TRCD|KREF|MREF|SVWZ"
)
_SLASH_KEY_RE = re.compile(rf"/({SLASH_KEYS})/")


def _slash_fields(text: str) -> list[tuple[str, str]]:
    """'/EREF/x//CNTP/a/b/c///REMI/USTD//text/' → [('EREF','x'), ('CNTP','a/b/c//'), ...]."""
    matches = list(_SLASH_KEY_RE.finditer(text))
    fields = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        value = text[match.end() : end]
        # The separator before the next key is shared ("x//CNTP/" = value "x" + "/CNTP/").
        if value.endswith("/") and index + 1 < len(matches):
            value = value[:-1]
        fields.append((match.group(1), value))
    return fields


def _read_slash_keyed(text: str, detail: ParsedTxDetail) -> None:
    fields = _slash_fields(text)
    detail.extra["fields"] = {key: value for key, value in fields}
    party_keys_seen = False
    for key, value in fields:
        clean = value.strip().strip("/").strip()
        if key == "EREF" and clean.upper() not in NOT_PROVIDED:
            detail.end_to_end_id = clean
        elif key == "PREF":
            detail.payment_info_id = clean
        elif key in ("MARF", "MREF"):
            detail.mandate_id = clean
        elif key == "KREF":
            detail.instruction_id = clean
        elif key == "IREF":
            detail.instruction_id = detail.instruction_id or clean
        elif key == "RTRN":
            detail.return_reason = clean
        elif key == "CNTP":
            # ING: /CNTP/account/BIC/name/city/
            parts = value.split("/")
            account = parts[0].strip() if parts else ""
            if looks_like_iban(account):
                detail.counterparty_iban = normalize_iban(account)
            elif account:
                detail.counterparty_account = account
            if len(parts) > 1 and looks_like_bic(parts[1].strip()):
                detail.counterparty_bic = parts[1].strip()
            if len(parts) > 2 and parts[2].strip():
                detail.counterparty_name = parts[2].strip()
        elif key in ("BENM", "ORDP"):
            party_keys_seen = True
        elif key == "NAME" and clean and not detail.counterparty_name:
            detail.counterparty_name = clean
        elif key == "IBAN" and clean:
            if looks_like_iban(clean):
                detail.counterparty_iban = normalize_iban(clean)
            else:
                detail.counterparty_account = clean
        elif key == "BIC" and looks_like_bic(clean):
            detail.counterparty_bic = clean
        elif key == "REMI":
            _read_remittance(value, detail)
        elif key == "CDTRREF" and clean:
            detail.creditor_reference = clean
        elif key in ("SVWZ",) and clean:
            detail.remittance_unstructured = " ".join(
                p for p in [detail.remittance_unstructured, clean] if p
            )
    detail.extra["party_keys"] = party_keys_seen


def _read_remittance(value: str, detail: ParsedTxDetail) -> None:
    """ING writes USTD//text/ or STRD/CUR/reference/; Rabobank and ABN AMRO plain text."""
    stripped = value.strip()
    if stripped.startswith("USTD"):
        text = stripped[4:].strip("/").strip()
        detail.remittance_unstructured = text
    elif stripped.startswith("STRD"):
        parts = [p for p in stripped[4:].split("/") if p]
        if parts:
            detail.creditor_reference = parts[-1].strip()
            detail.extra["creditor_reference_type"] = parts[0] if len(parts) > 1 else ""
    else:
        detail.remittance_unstructured = stripped.strip("/").strip()


# German structured :86: (DFÜ-Abkommen / SEPA): ?00 posting text, ?10 prima nota, ?20-?29 and
# ?60-?63 purpose with SEPA keywords (EREF+, KREF+, MREF+, CRED+, SVWZ+, ...), ?30 BIC or bank
# code, ?31 IBAN or account, ?32/?33 name, ?34 return code.
_GVC_IDS = {"EREF", "KREF", "MREF", "CRED"}
_GVC_KEY = re.compile(r"^(EREF|KREF|MREF|CRED|SVWZ|ABWA|ABWE|IBAN|BIC |BIC|PURP|DEBT|COAM|OAMT)\+")
MAX35 = 35  # ISO 20022 Max35Text: an end-to-end id can never be longer


def _read_structured_gvc(text: str, detail: ParsedTxDetail) -> None:
    joined = _joined(text.splitlines())
    code = joined[:3]
    segments = re.findall(r"\?(\d{2})([^?]*)", joined[3:])
    fields: dict[str, list[str]] = {}
    for key, value in segments:
        fields.setdefault(key, []).append(value)
    detail.extra["gvc"] = code
    detail.extra["posting_text"] = "".join(fields.get("00", []))
    detail.bank_transaction_code = f"GVC:{code}"
    purpose: dict[str, str] = {}
    current = ""
    for key, value in segments:
        if not (key.startswith("2") or key in ("60", "61", "62", "63")):
            continue
        keyword = _GVC_KEY.match(value)
        if keyword:
            current = keyword.group(1).strip()
            purpose[current] = purpose.get(current, "") + value[keyword.end() :]
            continue
        # A continuation belongs to the current keyword, unless it would make an id longer
        # than an id can be: then it is the free text banks append (e.g. "MTLG:...").
        if current in _GVC_IDS and len(purpose[current]) + len(value) > MAX35:
            current = "SVWZ"
        purpose[current or "SVWZ"] = purpose.get(current or "SVWZ", "") + value
    detail.extra["purpose_fields"] = purpose
    eref = purpose.get("EREF", "").strip()
    if eref.upper() not in NOT_PROVIDED:
        detail.end_to_end_id = eref
    detail.instruction_id = purpose.get("KREF", "").strip()
    detail.mandate_id = purpose.get("MREF", "").strip()
    detail.remittance_unstructured = purpose.get("SVWZ", "").strip()
    account = "".join(fields.get("31", [])).strip()
    if looks_like_iban(account):
        detail.counterparty_iban = normalize_iban(account)
    elif account:
        detail.counterparty_account = account
    bic = "".join(fields.get("30", [])).strip()
    if looks_like_bic(bic):
        detail.counterparty_bic = bic
    detail.counterparty_name = "".join(fields.get("32", []) + fields.get("33", [])).strip()
    detail.return_reason = "".join(fields.get("34", [])).strip()


def _free_text_lines(lines: list[str]) -> list[str]:
    """Re-join lines the bank wrapped at full width; keep the ones it ended itself."""
    logical: list[str] = []
    carry = ""
    for line in lines:
        carry += line
        if len(line) >= MAX_DETAIL_LINE:
            continue
        logical.append(carry.strip())
        carry = ""
    if carry:
        logical.append(carry.strip())
    return logical


_ABN_GIRO = re.compile(r"^(GIRO|BGC|GEA|CHIP|TIKKIE)\s+(\d+)\s+(.+?)(?:\s{2,}|$)")
_ABN_BEA = re.compile(r"^(BEA|GEA)\s+NR:\S+\s+\d\d\.\d\d\.\d\d/\d\d[.:]\d\d\s+(.+?),PAS\d*")
_DOTTED_ACCOUNT = re.compile(r"^(\d{2}\.\d{2}\.\d{2}\.\d{3})\s+(.+?)(?:\s{2,}|$)")
_BETALINGSKENMERK = re.compile(r"BETALINGSKENM\.\s*(\d+)")


def _read_free_text(lines: list[str], detail: ParsedTxDetail, variant: str) -> None:
    logical = _free_text_lines(lines)
    nonblank = [line for line in logical if line]
    first = nonblank[0] if nonblank else ""
    remittance = nonblank
    if variant == "asn" and first:
        # ASN: "<IBAN> <name>" on the first line, then the description.
        token, _, rest = first.partition(" ")
        if looks_like_iban(token):
            detail.counterparty_iban = detail.counterparty_iban or normalize_iban(token)
            detail.counterparty_name = detail.counterparty_name or rest.strip()
            remittance = nonblank[1:]
    elif variant == "raiffeisen" and nonblank:
        # Raiffeisen HU: bank reference, counterparty account, name, then the description.
        detail.extra["bank_reference"] = nonblank[0]
        if len(nonblank) > 2 and re.fullmatch(r"\d{8,34}", nonblank[1]):
            detail.counterparty_account = nonblank[1]
            detail.counterparty_name = nonblank[2]
            remittance = nonblank[3:]
        else:
            remittance = nonblank[1:]
    elif variant == "abnamro" and first:
        giro = _ABN_GIRO.match(first)
        bea = _ABN_BEA.match(first)
        dotted = _DOTTED_ACCOUNT.match(first)
        if giro:
            detail.counterparty_account = giro.group(2)
            detail.counterparty_name = giro.group(3).strip()
        elif bea:
            detail.counterparty_name = bea.group(2).strip()
        elif dotted:
            detail.counterparty_account = dotted.group(1).replace(".", "")
            detail.counterparty_name = dotted.group(2).strip()
        reference = _BETALINGSKENMERK.search(" ".join(nonblank).replace("  ", " "))
        if reference is None:
            reference = _BETALINGSKENMERK.search("".join(logical))
        if reference:
            detail.creditor_reference = reference.group(1)
    elif variant == "ing" and first:
        # Old ING format: a 9-10 digit account number, then the name.
        account = re.match(r"^(\d{9,10})\s+(.+)$", first)
        if account:
            detail.counterparty_account = account.group(1)
            detail.counterparty_name = re.split(r"\s{2,}|\t|\^", account.group(2))[0].strip()
    if not detail.counterparty_iban:
        found = IBAN_RE.search(" ".join(nonblank))
        if found and looks_like_iban(found.group(1)):
            detail.counterparty_iban = found.group(1)
    detail.remittance_unstructured = " ".join(" ".join(remittance).split())


def _details(tag: _Tag | None, detail: ParsedTxDetail, variant: str) -> str:
    if tag is None:
        return ""
    raw = "\n".join(tag.lines)
    compact = _joined(tag.lines)
    if re.match(r"^\d{3}\?\d{2}", compact):
        _read_structured_gvc(raw, detail)
    elif compact.startswith("/") and _SLASH_KEY_RE.search(compact):
        _read_slash_keyed(compact, detail)
    else:
        _read_free_text(tag.lines, detail, variant)
    return raw


# --- statements --------------------------------------------------------------------------------


def _refuse_library_error(exc: Exception, block: _Block, by_value: dict[str, _Tag]) -> None:
    value = exc.args[2] if len(exc.args) > 2 else None
    tag = by_value.get(value) if isinstance(value, str) else None
    where = tag or block.tags[0]
    label = f":{where.tag}:" if tag else "statement"
    text = (where.first or "")[:60]
    raise StatementRefused(
        f"MT940 {label} cannot be read: {text!r}", line=where.line, code="malformed_mt940"
    ) from None


def _date(value) -> dt.date | None:
    if value is None:
        return None
    return dt.date(value.year, value.month, value.day)


def _statement(block: _Block, variant: str) -> ParsedStatement:
    tags = {t.tag for t in block.tags}
    if "25" not in tags:
        raise StatementRefused("MT940 statement has no account :25:", line=block.line)
    if not tags & {"60F", "60M", "60"}:
        raise StatementRefused(
            "MT940 statement has no opening balance :60F:/:60M:", line=block.line
        )
    if not tags & {"62F", "62M", "62"}:
        raise StatementRefused(
            "MT940 statement has no closing balance :62F:/:62M:", line=block.line
        )
    if tags & {"34F", "13D"}:
        raise StatementRefused(
            "this is an MT942 interim report (:34F:/:13D:), not an MT940 statement",
            line=block.line,
            code="unsupported_format",
        )
    text, by_value = _library_text(block, variant)
    try:
        parsed = mt940.parse(
            text,
            tags=_library_tags(variant) or None,
            options=mt940.Options(reversal_sign=True, case_insensitive_marks=True),
        )
    except (RuntimeError, ValueError, KeyError, TypeError, ArithmeticError) as exc:
        _refuse_library_error(exc, block, by_value)

    data = parsed.data
    account_tag = next(t for t in block.tags if t.tag == "25")
    iban, other, currency, bic = _account(_joined(account_tag.lines))
    opening = data.get("final_opening_balance") or data.get("intermediate_opening_balance")
    opening = opening or data.get("opening_balance")
    closing = data.get("final_closing_balance") or data.get("intermediate_closing_balance")
    closing = closing or data.get("closing_balance")
    statement = ParsedStatement(
        statement_id=(data.get("transaction_reference") or "").strip(),
        sequence="/".join(
            p for p in (data.get("statement_number"), data.get("sequence_number")) if p
        ),
        account_iban=iban,
        account_number=other,
        account_currency=currency,
        account_bic=bic,
        opening_balance=_balance(opening, "60" + ("F" if "60F" in tags else "M")),
        closing_balance=_balance(closing, "62" + ("F" if "62F" in tags else "M")),
        source_line=block.line,
    )
    if not statement.account_currency and statement.opening_balance:
        statement.account_currency = statement.opening_balance.currency

    line_tags = [t for t in block.tags if t.tag == "61"]
    if len(line_tags) != len(parsed):
        raise StatementRefused(
            f"MT940 statement has {len(line_tags)} :61: lines but {len(parsed)} could be read",
            line=block.line,
            code="malformed_mt940",
        )
    # The :86: that follows a :61: describes it; one after the closing balance describes the
    # statement (ING: /SUM/, old ING: totals).
    detail_for: dict[int, _Tag] = {}
    last_line_tag: _Tag | None = None
    closed = False
    statement_info: list[str] = []
    for tag in block.tags:
        if tag.tag == "61":
            last_line_tag = tag
        elif tag.tag.startswith("62"):
            closed = True
        elif tag.tag == "86":
            if closed or last_line_tag is None:
                statement_info.append(" ".join(line.strip() for line in tag.lines))
            elif id(last_line_tag) not in detail_for:
                detail_for[id(last_line_tag)] = tag
    statement.additional_info = " ".join(statement_info)

    for tag, transaction in zip(line_tags, parsed, strict=True):
        statement.entries.append(_entry(tag, detail_for.get(id(tag)), transaction.data, variant))
    return statement


def _entry(tag: _Tag, details: _Tag | None, data: dict, variant: str) -> ParsedEntry:
    status = (data.get("status") or "").upper()
    reversal = status.startswith("R")
    # C = credit, D = debit; RC = reversal of a credit (booked as a debit), RD the opposite.
    credit_debit = CREDIT if status in ("C", "RD") else DEBIT
    amount = to_money(abs(Decimal(data["amount"].amount)), f"line {tag.line} :61:")
    currency = data["amount"].currency or data.get("currency") or ""
    customer_reference = (data.get("customer_reference") or "").strip()
    bank_reference = (data.get("bank_reference") or "").strip()
    supplementary = (data.get("extra_details") or "").strip()
    entry = ParsedEntry(
        amount=amount,
        currency=currency,
        credit_debit=credit_debit,
        booking_date=_date(data.get("entry_date")) or _date(data.get("date")),
        value_date=_date(data.get("date")),
        reversal=reversal,
        status="BOOK",
        entry_ref="" if _is_label(customer_reference) else customer_reference,
        bank_transaction_code=(data.get("id") or "").strip(),
        customer_reference=customer_reference,
        bank_reference=bank_reference,
        source_line=tag.line,
        details_derived=True,
    )
    detail = ParsedTxDetail(
        amount=amount,
        currency=currency,
        credit_debit=credit_debit,
        bank_transaction_code=entry.bank_transaction_code,
    )
    if supplementary.startswith("/TRCD/"):
        detail.extra["trcd"] = supplementary.strip("/").split("/")[-1]
    elif variant == "asn":
        # ASN: the customer reference is the counterparty IBAN, the next line its name.
        if looks_like_iban(customer_reference):
            detail.counterparty_iban = normalize_iban(customer_reference)
            entry.entry_ref = ""
        detail.counterparty_name = supplementary
    elif supplementary and looks_like_iban(supplementary.split()[0]):
        # Rabobank: the counterparty account on the second :61: line.
        detail.counterparty_iban = normalize_iban(supplementary.split()[0])
    elif supplementary and re.fullmatch(r"P?\d{6,10}", supplementary.split()[0]):
        detail.counterparty_account = supplementary.split()[0]
    elif supplementary:
        detail.extra["supplementary"] = supplementary
    entry.raw_details = _details(details, detail, variant)
    if not detail.end_to_end_id and not _is_label(customer_reference):
        detail.extra["customer_reference"] = customer_reference
    entry.details = [detail]
    return entry


def _is_label(reference: str) -> bool:
    """ING and German banks write the *kind* of reference (EREF, PREF, KREF+) in :61:."""
    value = reference.strip().upper()
    return value in NOT_PROVIDED or bool(re.fullmatch(rf"({SLASH_KEYS})\+?", value))


def looks_like_mt940(text: str) -> bool:
    return bool(
        re.search(r"(?m)^:20:", text)
        and re.search(r"(?m)^:25:", text)
        and re.search(r"(?m)^:(60[FM]|61|62[FM]):", text)
    )


def parse_mt940(text: str) -> ParsedFile:
    """Parse MT940 text; a file the package cannot read is refused with the line."""
    blocks, header = _tokenize(text)
    if not blocks:
        raise StatementRefused("no MT940 statement (:20:) found", code="not_a_statement")
    variant = _variant(_bank_code(header, blocks), text)
    parsed = ParsedFile(format="mt940", version="mt940", variant=variant)
    for block in blocks:
        parsed.statements.append(_statement(block, variant))
    return parsed
