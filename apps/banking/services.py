"""Banking writes: import statement files, reconcile bank lines, match lines by hand."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import import_module

from django.conf import settings
from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.banking.candidates import (
    ReconciliationCandidate,
    candidate_from,
    reconciliation_candidates,
)
from apps.banking.choices import (
    RECONCILED_STATUSES,
    CreditDebit,
    EntryStatus,
    MatchMethod,
    MatchState,
    MatchStatus,
    MatchTargetKind,
)
from apps.banking.errors import StatementRefused
from apps.banking.matching import DATE_WINDOW_DAYS, LineFacts, match_line
from apps.banking.models import (
    BankAccount,
    BankEntry,
    BankLineMatch,
    BankStatement,
    BankStatementFile,
    BankTransactionDetail,
)
from apps.banking.parsers import parse_statement_file
from apps.banking.parsers.records import ParsedEntry, ParsedFile, ParsedStatement
from apps.core.errors import ApplicationError

logger = logging.getLogger(__name__)

EXCEPTION_CATEGORY_FALLBACK = "reconciliation_difference"
RECONCILE_CHUNK = 200


# --- import ------------------------------------------------------------------------------------


@dataclass
class ReconcileResult:
    matched: int = 0
    differences: int = 0
    unmatched: int = 0
    reversed: int = 0
    not_booked: int = 0
    already_done: int = 0
    exceptions_opened: int = 0

    def add(self, other: ReconcileResult) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass
class ImportResult:
    file: BankStatementFile
    duplicate_file: bool
    format: str
    version: str
    variant: str
    statements: list[BankStatement] = field(default_factory=list)
    statements_created: int = 0
    statements_duplicate: int = 0
    entries_created: int = 0
    entries_known: int = 0
    reconciliation: ReconcileResult = field(default_factory=ReconcileResult)

    @property
    def summary(self) -> str:
        if self.duplicate_file:
            return f"already imported ({len(self.statements)} statements); nothing changed"
        text = (
            f"{self.format} {self.version}"
            + (f" ({self.variant})" if self.variant and self.variant != "generic" else "")
            + f": {self.statements_created} statements, {self.entries_created} entries"
        )
        if self.statements_duplicate:
            text += f", {self.statements_duplicate} statements already imported"
        if self.entries_known:
            text += f", {self.entries_known} entries already known"
        r = self.reconciliation
        return text + (
            f"; reconciled {r.matched} matched, {r.differences} with difference, "
            f"{r.unmatched} unmatched, {r.reversed} reversed"
        )

    def as_dict(self) -> dict:
        return {
            "file_id": self.file.id,
            "sha256": self.file.sha256,
            "duplicate_file": self.duplicate_file,
            "format": self.format,
            "version": self.version,
            "variant": self.variant,
            "statement_ids": [s.id for s in self.statements],
            "statements_created": self.statements_created,
            "statements_duplicate": self.statements_duplicate,
            "entries_created": self.entries_created,
            "entries_known": self.entries_known,
            "reconciliation": self.reconciliation.as_dict(),
            "summary": self.summary,
        }


def _account_identity(parsed: ParsedStatement) -> tuple[str, dict]:
    if parsed.account_iban:
        identifier = parsed.account_iban
    elif parsed.account_bic:
        identifier = f"{parsed.account_bic}/{parsed.account_number}"
    else:
        identifier = parsed.account_number
    return identifier[:80], {
        "iban": parsed.account_iban,
        "number": parsed.account_number[:80],
        "bic": parsed.account_bic[:11],
        "currency": parsed.account_currency[:3],
        "owner_name": parsed.account_owner[:200],
    }


def _digest(*parts) -> str:
    text = "|".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _statement_key(account: BankAccount, file_format: str, parsed: ParsedStatement) -> str:
    opening = parsed.opening_balance
    closing = parsed.closing_balance
    return _digest(
        account.identifier,
        file_format,
        parsed.statement_id,
        parsed.sequence,
        opening.date if opening else "",
        closing.date if closing else "",
        parsed.period_from.isoformat() if parsed.period_from else "",
        parsed.period_to.isoformat() if parsed.period_to else "",
    )


def _entry_base_key(entry: ParsedEntry) -> str:
    if entry.account_servicer_ref:
        # The bank's own unique reference; amount and side guard against a bank reusing it.
        return f"asr:{entry.account_servicer_ref}:{entry.credit_debit}:{entry.amount}"[:180]
    # No bank reference: everything the bank said about the booking. Only a re-delivery of the
    # same booking (camt.054 then camt.053, a re-sent day) produces the same key.
    details = [
        (
            d.amount,
            d.end_to_end_id,
            d.instruction_id,
            d.remittance_unstructured,
            d.creditor_reference,
            d.counterparty_iban,
            d.counterparty_name,
        )
        for d in entry.details
    ]
    return "h:" + _digest(
        entry.booking_date,
        entry.value_date,
        entry.credit_debit,
        entry.reversal,
        entry.amount,
        entry.currency,
        entry.entry_ref,
        entry.customer_reference,
        entry.bank_reference,
        entry.bank_transaction_code,
        entry.raw_details or entry.additional_info,
        details,
    )


def _signed(amount: Decimal, credit_debit: str) -> Decimal:
    return amount if credit_debit == CreditDebit.CREDIT else -amount


def _balance_difference(parsed: ParsedStatement) -> Decimal | None:
    if parsed.opening_balance is None or parsed.closing_balance is None:
        return None
    booked = sum(
        (_signed(e.amount, e.credit_debit) for e in parsed.entries if e.status == "BOOK"),
        Decimal("0"),
    )
    return parsed.opening_balance.signed + booked - parsed.closing_balance.signed


def _create_statement(
    *, parsed_file: ParsedFile, parsed: ParsedStatement, file: BankStatementFile
) -> tuple[BankStatement | None, int, int]:
    identifier, defaults = _account_identity(parsed)
    account, created = BankAccount.objects.get_or_create(identifier=identifier, defaults=defaults)
    if not created and not account.currency and defaults["currency"]:
        account.currency = defaults["currency"]
        account.save(update_fields=["currency"])
    key = _statement_key(account, parsed_file.format, parsed)
    if BankStatement.objects.filter(statement_key=key).exists():
        return None, 0, 0
    opening, closing = parsed.opening_balance, parsed.closing_balance
    statement = BankStatement.objects.create(
        file=file,
        account=account,
        format=parsed_file.format,
        statement_id=parsed.statement_id[:140],
        sequence=parsed.sequence[:40],
        statement_key=key,
        currency=(parsed.account_currency or account.currency)[:3],
        created_at_bank=parsed.created_at,
        period_from=parsed.period_from,
        period_to=parsed.period_to,
        opening_balance=opening.signed if opening else None,
        opening_date=opening.date if opening else None,
        closing_balance=closing.signed if closing else None,
        closing_date=closing.date if closing else None,
        balance_difference=_balance_difference(parsed),
        additional_info=parsed.additional_info,
        source_line=parsed.source_line,
    )
    # Keys first, then one query for the ones already stored (an earlier delivery).
    occurrences: Counter[str] = Counter()
    keyed: list[tuple[str, ParsedEntry]] = []
    for entry in parsed.entries:
        base = _entry_base_key(entry)
        occurrences[base] += 1
        n = occurrences[base]
        keyed.append((base if n == 1 else f"{base}#{n}", entry))
    known = set(
        BankEntry.objects.filter(account=account, entry_key__in=[k for k, _ in keyed]).values_list(
            "entry_key", flat=True
        )
    )
    new_entries = [
        (position, key, entry)
        for position, (key, entry) in enumerate(keyed, start=1)
        if key not in known
    ]
    rows = BankEntry.objects.bulk_create(
        [
            BankEntry(
                statement=statement,
                account=account,
                position=position,
                entry_key=key,
                amount=entry.amount,
                currency=entry.currency[:3],
                credit_debit=entry.credit_debit,
                reversal=entry.reversal,
                status=entry.status[:10],
                booking_date=entry.booking_date,
                value_date=entry.value_date,
                entry_ref=entry.entry_ref[:140],
                account_servicer_ref=entry.account_servicer_ref[:140],
                bank_transaction_code=entry.bank_transaction_code[:80],
                additional_info=entry.additional_info,
                charges_amount=entry.charges_amount,
                batch_count=entry.batch_count,
                customer_reference=entry.customer_reference[:80],
                bank_reference=entry.bank_reference[:80],
                raw_details=entry.raw_details,
                source_line=entry.source_line,
                details_derived=entry.details_derived,
            )
            for position, key, entry in new_entries
        ],
        batch_size=500,
    )
    BankTransactionDetail.objects.bulk_create(
        [
            _detail_row(row, account, entry, index, detail)
            for row, (_, _, entry) in zip(rows, new_entries, strict=True)
            for index, detail in enumerate(entry.details, start=1)
        ],
        batch_size=500,
    )
    created_entries = len(rows)
    statement.entry_count = created_entries
    statement.known_entry_count = len(keyed) - created_entries
    statement.save(update_fields=["entry_count", "known_entry_count"])
    return statement, created_entries, len(keyed) - created_entries


def _detail_row(row: BankEntry, account, entry: ParsedEntry, index: int, detail):
    return BankTransactionDetail(
        entry=row,
        account=account,
        position=index,
        booking_date=entry.booking_date,
        amount=detail.amount,
        currency=(detail.currency or entry.currency)[:3],
        credit_debit=detail.credit_debit or entry.credit_debit,
        reversal=entry.reversal,
        end_to_end_id=detail.end_to_end_id[:140],
        instruction_id=detail.instruction_id[:140],
        mandate_id=detail.mandate_id[:140],
        transaction_id=detail.transaction_id[:140],
        account_servicer_ref=detail.account_servicer_ref[:140],
        payment_info_id=detail.payment_info_id[:140],
        remittance_unstructured=detail.remittance_unstructured,
        creditor_reference=detail.creditor_reference[:140],
        counterparty_name=detail.counterparty_name[:200],
        counterparty_iban=detail.counterparty_iban[:34],
        counterparty_account=detail.counterparty_account[:80],
        counterparty_bic=detail.counterparty_bic[:11],
        bank_transaction_code=detail.bank_transaction_code[:80],
        charges_amount=detail.charges_amount,
        return_reason=detail.return_reason[:40],
        additional_info=detail.additional_info,
        extra=detail.extra,
        match_status=MatchStatus.UNMATCHED
        if entry.status == EntryStatus.BOOKED
        else MatchStatus.NOT_BOOKED,
    )


def bank_statement_import(
    *,
    file_bytes: bytes,
    file_name: str = "",
    system=None,
    transaction=None,
    actor=None,
    reconcile: bool = True,
) -> ImportResult:
    """Parse a camt.052/053/054 or MT940 file and store its statements once; then reconcile.

    A file that cannot be read is refused whole (StatementRefused, with the reason and line) and
    the refusal is audited; the same file or statement delivered again adds nothing.
    """
    file_name = (file_name or "")[:255]
    sha256 = hashlib.sha256(file_bytes).hexdigest()
    existing = BankStatementFile.objects.filter(sha256=sha256).first()
    if existing is not None:
        return _duplicate_result(existing)

    limit = getattr(settings, "INGEST_MAX_FILE_BYTES", 50 * 1024 * 1024)
    try:
        if len(file_bytes) > limit:
            raise StatementRefused(
                f"the file is {len(file_bytes)} bytes, over the {limit}-byte limit",
                code="file_too_large",
            )
        parsed = parse_statement_file(file_bytes)
    except StatementRefused as exc:
        audit_record(
            actor=actor,
            action="banking.statement_refused",
            detail={
                "file_name": file_name,
                "sha256": sha256,
                "size": len(file_bytes),
                "code": exc.code,
                "reason": exc.message,
                "line": exc.line,
                "ledger_transaction_id": getattr(transaction, "id", None),
            },
        )
        raise

    user = actor if getattr(actor, "is_authenticated", False) else None
    try:
        with db_transaction.atomic():
            file = BankStatementFile.objects.create(
                sha256=sha256,
                file_name=file_name,
                size=len(file_bytes),
                content=file_bytes,
                format=parsed.format,
                version=parsed.version[:40],
                variant=parsed.variant[:40],
                message_id=parsed.message_id[:140],
                system=system,
                ledger_transaction_id=getattr(transaction, "id", None),
                imported_by=user,
            )
            result = ImportResult(
                file=file,
                duplicate_file=False,
                format=parsed.format,
                version=parsed.version,
                variant=parsed.variant,
            )
            for parsed_statement in parsed.statements:
                statement, created, known = _create_statement(
                    parsed_file=parsed, parsed=parsed_statement, file=file
                )
                if statement is None:
                    result.statements_duplicate += 1
                    continue
                result.statements.append(statement)
                result.statements_created += 1
                result.entries_created += created
                result.entries_known += known
            audit_record(
                actor=actor,
                action="banking.statement_imported",
                target=file,
                detail={
                    "file_name": file_name,
                    "format": parsed.format,
                    "version": parsed.version,
                    "variant": parsed.variant,
                    "statements_created": result.statements_created,
                    "statements_duplicate": result.statements_duplicate,
                    "entries_created": result.entries_created,
                    "entries_known": result.entries_known,
                },
            )
    except IntegrityError:
        # Another worker stored the same file a moment ago: theirs stands.
        existing = BankStatementFile.objects.filter(sha256=sha256).first()
        if existing is None:
            raise
        return _duplicate_result(existing)

    if reconcile:
        for statement in result.statements:
            result.reconciliation.add(bank_reconcile(statement=statement))
    return result


def _duplicate_result(file: BankStatementFile) -> ImportResult:
    return ImportResult(
        file=file,
        duplicate_file=True,
        format=file.format,
        version=file.version,
        variant=file.variant,
        statements=list(file.statements.order_by("id")),
    )


# --- exception items ---------------------------------------------------------------------------


def _exceptions_services():
    try:
        return import_module("apps.exceptions.services")
    except ModuleNotFoundError:
        return None


def _exception_category() -> str:
    """A bank-specific category when the exception core has one, else reconciliation_difference."""
    try:
        choices = import_module("apps.exceptions.choices")
    except ModuleNotFoundError:
        return EXCEPTION_CATEGORY_FALLBACK
    values = set(getattr(getattr(choices, "ExceptionCategory", None), "values", []))
    for preferred in ("bank_unmatched", "bank_reconciliation", "unmatched_bank_line"):
        if preferred in values:
            return preferred
    return EXCEPTION_CATEGORY_FALLBACK


def _line_details(line: BankTransactionDetail) -> dict:
    entry = line.entry
    return {
        "bank_line_id": line.id,
        "statement_id": entry.statement_id,
        "account": line.account.identifier,
        "booking_date": line.booking_date.isoformat() if line.booking_date else None,
        "amount": str(line.signed_amount),
        "currency": line.currency,
        "end_to_end_id": line.end_to_end_id,
        "counterparty_name": line.counterparty_name,
        "counterparty_iban": line.counterparty_iban,
        "remittance": line.remittance_text[:500],
        "note": line.match_note,
    }


def _open_exception(
    line: BankTransactionDetail, *, kind: str, title: str, reason: str, amount: Decimal
) -> bool:
    """Open (idempotently, by trace key) the exception item for a bank line."""
    services = _exceptions_services()
    if services is None or not hasattr(services, "exception_open"):
        # The line stays visible as unmatched on /banking/ and in the API; say so in the log.
        logger.warning("exception core unavailable; bank line %s stays %s", line.id, kind)
        return False
    trace_key = f"banking:line:{line.id}:{kind}"
    item = services.exception_open(
        category=_exception_category(),
        title=title[:200],
        reason=reason,
        trace_key=trace_key,
        project=line.account.project,
        amount=abs(amount),
        currency=line.currency,
        details=_line_details(line),
        tags=["banking"],
    )
    line.exception_item_id = item.pk
    line.exception_trace_key = trace_key
    line.save(update_fields=["exception_item_id", "exception_trace_key"])
    return True


def _resolve_exception(line: BankTransactionDetail, *, note: str) -> None:
    """Close the line's exception item once the line is reconciled (or cancelled out)."""
    if not line.exception_trace_key:
        return
    services = _exceptions_services()
    if services is None or not hasattr(services, "exception_auto_resolve"):
        return
    services.exception_auto_resolve(
        trace_key=line.exception_trace_key, transaction=None, reason=note[:500]
    )


# --- reconciliation ----------------------------------------------------------------------------


def _facts(line: BankTransactionDetail) -> LineFacts:
    entry = line.entry
    return LineFacts(
        amount=line.amount,
        currency=line.currency,
        credit_debit=line.credit_debit,
        booking_date=line.booking_date,
        end_to_end_id=line.end_to_end_id,
        remittance=" ".join(
            p
            for p in (
                line.remittance_unstructured,
                line.additional_info,
                entry.raw_details,
                entry.entry_ref,
                entry.additional_info if entry.details_derived else "",
            )
            if p
        ),
        creditor_reference=line.creditor_reference,
        counterparty_name=line.counterparty_name,
        counterparty_iban=line.counterparty_iban,
    )


def _active_targets() -> set[tuple[str, int]]:
    return set(
        BankLineMatch.objects.filter(state=MatchState.ACTIVE).values_list(
            "target_kind", "target_id"
        )
    )


def _record_match(
    line: BankTransactionDetail,
    candidate: ReconciliationCandidate,
    *,
    method: str,
    confidence: Decimal,
    actor=None,
    note: str = "",
    check_clash: bool = True,
) -> BankLineMatch:
    clash = check_clash and (
        BankLineMatch.objects.filter(
            state=MatchState.ACTIVE, target_kind=candidate.kind, target_id=candidate.id
        )
        .exclude(line=line)
        .first()
    )
    if clash:
        raise ApplicationError(
            f"{candidate.kind} {candidate.reference or candidate.id} is already matched to bank "
            f"line {clash.line_id}",
            code="already_matched",
            status_code=409,
        )
    user = actor if getattr(actor, "is_authenticated", False) else None
    return BankLineMatch.objects.create(
        line=line,
        target_kind=candidate.kind,
        target_id=candidate.id,
        target_reference=candidate.reference[:140],
        target_amount=candidate.amount,
        target_currency=candidate.currency[:3],
        target_project_id=candidate.project_id,
        method=method,
        confidence=confidence,
        amount_difference=line.amount - candidate.amount,
        note=note[:500],
        created_by=user,
    )


def _settle_in_procurement(line: BankTransactionDetail, candidate, *, actor=None) -> None:
    """The bank shows the money left: procurement learns it. A matched payment becomes
    reconciled; a matched bill gets a bank payment allocated to it (idempotent per bank line).
    A refusal (void payment, foreign bill) becomes the line's exception item, never a silent
    mismatch between the bank and procurement."""
    from apps.procurement.choices import PaymentSource
    from apps.procurement.models import Invoice, Payment
    from apps.procurement.services.payments import payment_reconcile, payment_record

    if line.credit_debit != CreditDebit.DEBIT or line.reversal:
        return
    reference = line.end_to_end_id or line.account_servicer_ref or f"line {line.pk}"
    try:
        with db_transaction.atomic():
            if candidate.kind == MatchTargetKind.PAYMENT:
                payment = Payment.objects.filter(pk=candidate.id).first()
                if payment is not None:
                    payment_reconcile(payment=payment, actor=actor, statement_reference=reference)
            elif candidate.kind == MatchTargetKind.BILL:
                invoice = Invoice.objects.filter(pk=candidate.id).select_related("vendor").first()
                if invoice is None:
                    return
                share = min(line.amount, invoice.open_amount)
                if share <= 0:
                    raise ApplicationError(f"{invoice} has nothing left open to pay.")
                payment_record(
                    vendor=invoice.vendor,
                    amount=line.amount,
                    currency=line.currency,
                    paid_on=line.booking_date or timezone.now().date(),
                    source=PaymentSource.BANK,
                    reference=reference,
                    external_ref=f"bankline:{line.pk}",
                    allocations=[{"invoice": invoice, "amount": share}],
                    recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
                )
    except ApplicationError as exc:
        _open_exception(
            line,
            kind="settlement",
            title=f"Bank line {line.signed_amount} {line.currency} matched to {candidate.kind} "
            f"{candidate.reference} could not be settled in procurement",
            reason=exc.message,
            amount=line.amount,
        )


def _find_original(line: BankTransactionDetail) -> BankTransactionDetail | None:
    """The booking a reversal or return undoes: opposite side, same amount, same id or party."""
    opposite = CreditDebit.DEBIT if line.credit_debit == CreditDebit.CREDIT else CreditDebit.CREDIT
    base = (
        BankTransactionDetail.objects.filter(
            account_id=line.account_id,
            credit_debit=opposite,
            amount=line.amount,
            reversal=False,
            return_reason="",
        )
        .exclude(pk=line.pk)
        .exclude(match_status=MatchStatus.REVERSED)
        .select_related("entry")
        .order_by("-booking_date", "-id")
    )
    if line.end_to_end_id and line.end_to_end_id.upper() not in ("NOTPROVIDED", "NONREF"):
        return base.filter(end_to_end_id=line.end_to_end_id).first()
    if line.counterparty_iban:
        return base.filter(counterparty_iban=line.counterparty_iban).first()
    return None


def _reconcile_reversal(line: BankTransactionDetail, result: ReconcileResult) -> None:
    original = _find_original(line)
    label = "Reversal" if line.reversal else f"Return ({line.return_reason})"
    now = timezone.now()
    if original is None:
        line.match_status = MatchStatus.UNMATCHED
        line.match_note = f"{label} without an original bank line to undo"
        line.save(update_fields=["match_status", "match_note"])
        result.unmatched += 1
        if _open_exception(
            line,
            kind="unmatched",
            title=f"{label} of {line.amount} {line.currency} without an original line",
            reason=line.match_note,
            amount=line.amount,
        ):
            result.exceptions_opened += 1
        return
    was_reconciled = original.match_status in RECONCILED_STATUSES
    ended = list(original.matches.filter(state=MatchState.ACTIVE))
    BankLineMatch.objects.filter(pk__in=[m.pk for m in ended]).update(
        state=MatchState.REVERSED, ended_at=now, ended_by_line=line
    )
    original.match_status = MatchStatus.REVERSED
    original.match_note = f"{label} on bank line {line.id} ({line.booking_date})"
    original.save(update_fields=["match_status", "match_note"])
    line.match_status = MatchStatus.REVERSAL
    line.reverses = original
    line.matched_at = now
    line.match_note = f"undoes bank line {original.id}"
    line.save(update_fields=["match_status", "reverses", "matched_at", "match_note"])
    result.reversed += 1
    if was_reconciled and ended:
        # The payment or bill is open again: someone has to pay it or chase the bank.
        targets = ", ".join(f"{m.target_kind} {m.target_reference or m.target_id}" for m in ended)
        if _open_exception(
            line,
            kind="reversed",
            title=f"{label}: {targets} no longer paid",
            reason=f"The bank reversed the booking that settled {targets} "
            f"({line.amount} {line.currency}).",
            amount=line.amount,
        ):
            result.exceptions_opened += 1
    else:
        # A booking and its reversal cancel out: nothing is at risk any more.
        _resolve_exception(original, note=f"cancelled by reversal on bank line {line.id}")


def bank_reconcile(
    *,
    statement: BankStatement,
    candidates: list[ReconciliationCandidate] | None = None,
    date_window_days: int = DATE_WINDOW_DAYS,
) -> ReconcileResult:
    """Match the statement's lines to payments and bills; unmatched lines become exception items.

    Safe to run again: reconciled lines are left alone, unmatched lines are tried again (new
    payments may have arrived), exception items are opened once per line (trace key).
    """
    result = ReconcileResult()
    lines = list(
        BankTransactionDetail.objects.filter(entry__statement=statement)
        .select_related("entry", "account", "account__project")
        .order_by("reversal", "entry__position", "position")
    )
    if candidates is None:
        dates = [line.booking_date for line in lines if line.booking_date]
        window = dt.timedelta(days=date_window_days)
        candidates = reconciliation_candidates(
            currency=statement.currency,
            date_from=min(dates) - window if dates else None,
            date_to=max(dates) + window if dates else None,
        )
    taken = _active_targets()
    # One commit per chunk rather than per line: a commit is a WAL flush on PostgreSQL.
    for start in range(0, len(lines), RECONCILE_CHUNK):
        with db_transaction.atomic():
            for line in lines[start : start + RECONCILE_CHUNK]:
                _reconcile_line(line, candidates, taken, result, date_window_days)
    statement.reconciled_at = timezone.now()
    statement.save(update_fields=["reconciled_at"])
    return result


def _reconcile_line(line, candidates, taken, result: ReconcileResult, date_window_days: int):
    """One line: skip, reverse, match or leave unmatched with an exception item."""
    if line.match_status in (*RECONCILED_STATUSES, MatchStatus.REVERSED, MatchStatus.REVERSAL):
        result.already_done += 1
        return
    if line.entry.status != EntryStatus.BOOKED:
        if line.match_status != MatchStatus.NOT_BOOKED:
            line.match_status = MatchStatus.NOT_BOOKED
            line.save(update_fields=["match_status"])
        result.not_booked += 1
        return
    if line.reversal or line.return_reason:
        _reconcile_reversal(line, result)
        return
    decision = match_line(_facts(line), candidates, taken=taken, date_window_days=date_window_days)
    if not decision.matched:
        line.match_status = MatchStatus.UNMATCHED
        line.match_note = decision.note[:500]
        line.save(update_fields=["match_status", "match_note"])
        result.unmatched += 1
        direction = "incoming" if line.credit_debit == CreditDebit.CREDIT else "outgoing"
        if _open_exception(
            line,
            kind="unmatched",
            title=f"Unmatched {direction} bank line {line.signed_amount} {line.currency}"
            + (f" {line.counterparty_name}" if line.counterparty_name else ""),
            reason=decision.note,
            amount=line.amount,
        ):
            result.exceptions_opened += 1
        return
    candidate = decision.candidate
    _record_match(
        line,
        candidate,
        method=decision.method,
        confidence=decision.confidence,
        note=decision.note,
        # `taken` already holds every active target; the unique constraint backs it.
        check_clash=False,
    )
    taken.add(candidate.key)
    _settle_in_procurement(line, candidate)
    line.match_method = decision.method
    line.match_confidence = decision.confidence
    line.matched_at = timezone.now()
    line.match_note = decision.note[:500]
    if decision.amount_difference:
        line.match_status = MatchStatus.DIFFERENCE
        result.differences += 1
    else:
        line.match_status = MatchStatus.MATCHED
        result.matched += 1
    line.save(
        update_fields=[
            "match_status",
            "match_method",
            "match_confidence",
            "matched_at",
            "match_note",
        ]
    )
    if decision.amount_difference:
        if _open_exception(
            line,
            kind="difference",
            title=f"Bank line {line.signed_amount} {line.currency} differs from "
            f"{candidate.kind} {candidate.reference} by {decision.amount_difference}",
            reason=f"Matched by {MatchMethod(decision.method).label}; the bank amount "
            f"{line.amount} differs from {candidate.amount}.",
            amount=decision.amount_difference,
        ):
            result.exceptions_opened += 1
    else:
        _resolve_exception(line, note=decision.note)


def bank_line_match_manual(
    *, line: BankTransactionDetail, payment=None, bill=None, actor, note: str = ""
) -> list[BankLineMatch]:
    """A reviewer matches a bank line to a payment and/or a bill; earlier matches end."""
    if payment is None and bill is None:
        raise ApplicationError("Name a payment or a bill to match the bank line to.")
    if line.match_status in (MatchStatus.REVERSAL, MatchStatus.NOT_BOOKED):
        raise ApplicationError(
            f"A {MatchStatus(line.match_status).label.lower()} line cannot be matched.",
            code="not_matchable",
        )
    targets = []
    if payment is not None:
        targets.append(candidate_from(payment, kind=MatchTargetKind.PAYMENT))
    if bill is not None:
        targets.append(candidate_from(bill, kind=MatchTargetKind.BILL))
    now = timezone.now()
    with db_transaction.atomic():
        line = BankTransactionDetail.objects.select_for_update(of=("self",)).get(pk=line.pk)
        previous = list(line.matches.filter(state=MatchState.ACTIVE))
        BankLineMatch.objects.filter(pk__in=[m.pk for m in previous]).update(
            state=MatchState.REMOVED, ended_at=now
        )
        matches = [
            _record_match(
                line,
                target,
                method=MatchMethod.MANUAL,
                confidence=Decimal("1.000"),
                actor=actor,
                note=note or "matched by a reviewer",
            )
            for target in targets
        ]
        # A named payment carries the money; the bill beside it is already allocated there.
        for target in [t for t in targets if t.kind == MatchTargetKind.PAYMENT] or targets:
            _settle_in_procurement(line, target, actor=actor)
        line.match_status = MatchStatus.MANUAL
        line.match_method = MatchMethod.MANUAL
        line.match_confidence = Decimal("1.000")
        line.matched_at = now
        line.match_note = (note or f"matched manually by {getattr(actor, 'username', 'system')}")[
            :500
        ]
        line.save(
            update_fields=[
                "match_status",
                "match_method",
                "match_confidence",
                "matched_at",
                "match_note",
            ]
        )
        audit_record(
            actor=actor,
            action="banking.line_matched_manually",
            target=line,
            detail={
                "targets": [
                    {"kind": t.kind, "id": t.id, "reference": t.reference, "amount": str(t.amount)}
                    for t in targets
                ],
                "replaced": [
                    {"kind": m.target_kind, "id": m.target_id, "method": m.method} for m in previous
                ],
                "note": note,
            },
        )
    _resolve_exception(
        line, note=f"matched by {getattr(actor, 'username', 'a reviewer')}: {line.match_note}"
    )
    return matches


def bank_line_unmatch(
    *, line: BankTransactionDetail, actor, note: str = ""
) -> BankTransactionDetail:
    """A reviewer undoes a line's match; the line is unmatched again and back in the queue."""
    if line.match_status not in RECONCILED_STATUSES:
        raise ApplicationError("Only a matched bank line can be unmatched.", code="not_matched")
    now = timezone.now()
    with db_transaction.atomic():
        line = (
            BankTransactionDetail.objects.select_for_update(of=("self",))
            .select_related("entry", "account", "account__project")
            .get(pk=line.pk)
        )
        ended = list(line.matches.filter(state=MatchState.ACTIVE))
        BankLineMatch.objects.filter(pk__in=[m.pk for m in ended]).update(
            state=MatchState.REMOVED, ended_at=now
        )
        line.match_status = MatchStatus.UNMATCHED
        line.match_method = ""
        line.match_confidence = None
        line.matched_at = None
        line.match_note = (note or "unmatched by a reviewer")[:500]
        line.save(
            update_fields=[
                "match_status",
                "match_method",
                "match_confidence",
                "matched_at",
                "match_note",
            ]
        )
        audit_record(
            actor=actor,
            action="banking.line_unmatched",
            target=line,
            detail={
                "ended": [{"kind": m.target_kind, "id": m.target_id} for m in ended],
                "note": note,
            },
        )
        _open_exception(
            line,
            kind="unmatched",
            title=f"Bank line {line.signed_amount} {line.currency} unmatched by a reviewer",
            reason=line.match_note,
            amount=line.amount,
        )
    return line
