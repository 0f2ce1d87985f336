"""What reconciliation matches bank lines against: payments and vendor bills, as plain rows.

Banking does not read procurement's tables; it asks registered candidate sources for rows in a
small protocol (ReconciliationCandidate). The procurement source is registered below and reads
procurement's selectors when they exist; tests and other apps can register their own.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from importlib import import_module

from apps.banking.choices import CreditDebit, MatchTargetKind

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReconciliationCandidate:
    """A payment or a vendor bill that a bank line may settle."""

    kind: str  # MatchTargetKind: "payment" or "bill"
    id: int
    reference: str  # payment reference / bill number as it would appear in remittance info
    amount: Decimal  # positive
    currency: str
    # The bank side the money moves on: paying a vendor (payment or bill) is a debit.
    credit_debit: str = CreditDebit.DEBIT
    end_to_end_id: str = ""
    counterparty_name: str = ""
    counterparty_iban: str = ""
    date: dt.date | None = None  # payment date / bill due date
    project_id: int | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.id)


CandidateSource = Callable[..., Iterable[ReconciliationCandidate]]
_SOURCES: dict[str, CandidateSource] = {}


def register_candidate_source(name: str, source: CandidateSource) -> None:
    """Add (or replace) a source: `source(*, currency, date_from, date_to)` → candidates."""
    _SOURCES[name] = source


def unregister_candidate_source(name: str) -> None:
    _SOURCES.pop(name, None)


def reconciliation_candidates(
    *, currency: str, date_from: dt.date | None, date_to: dt.date | None
) -> list[ReconciliationCandidate]:
    """Every registered source's open payments and bills in a currency around a period."""
    rows: list[ReconciliationCandidate] = []
    for source in list(_SOURCES.values()):
        rows.extend(source(currency=currency, date_from=date_from, date_to=date_to))
    return rows


def _attr(obj, *names, default=None):
    for name in names:
        value = getattr(obj, name, None)
        if value not in (None, ""):
            return value
    return default


def candidate_from(obj, *, kind: str) -> ReconciliationCandidate:
    """A candidate from a procurement object (or a candidate already), for manual matching."""
    if isinstance(obj, ReconciliationCandidate):
        return obj
    vendor = getattr(obj, "vendor", None)
    return ReconciliationCandidate(
        kind=kind,
        id=int(obj.pk),
        reference=str(_attr(obj, "reference", "number", "name", "ref", default=obj.pk)),
        amount=Decimal(
            str(_attr(obj, "amount", "payable_amount", "amount_total", "total", default="0"))
        ),
        currency=str(_attr(obj, "currency", default="")),
        credit_debit=CreditDebit.DEBIT,
        end_to_end_id=str(_attr(obj, "end_to_end_id", default="")),
        counterparty_name=str(_attr(vendor, "name", default="") if vendor else ""),
        counterparty_iban=str(_attr(vendor, "iban", "bank_iban", default="") if vendor else ""),
        date=_attr(obj, "paid_on", "payment_date", "date", "due_date", "invoice_date"),
        project_id=_attr(obj, "project_id"),
    )


def _procurement_source(*, currency: str, date_from, date_to) -> list[ReconciliationCandidate]:
    """Unreconciled payments and open vendor bills from apps.procurement's selectors."""
    try:
        return _procurement_rows(currency=currency, date_from=date_from, date_to=date_to)
    except TypeError:
        # A changed selector signature must not stop imports; lines stay unmatched (and are
        # exception items), and the log says why.
        logger.exception("procurement selectors changed; bank lines are not matched to them")
        return []


def _procurement_rows(*, currency: str, date_from, date_to) -> list[ReconciliationCandidate]:
    try:
        selectors = import_module("apps.procurement.selectors")
    except ModuleNotFoundError:
        return []
    rows: list[ReconciliationCandidate] = []
    payment_list = getattr(selectors, "payment_list", None)
    if payment_list is not None:
        for payment in payment_list(unreconciled_only=True, date_from=date_from, date_to=date_to):
            if currency and payment.currency != currency:
                continue
            reference = payment.reference or payment.number
            rows.append(
                ReconciliationCandidate(
                    kind=MatchTargetKind.PAYMENT,
                    id=payment.pk,
                    reference=reference,
                    amount=payment.amount,
                    currency=payment.currency,
                    # The hub's payment reference travels as the pain.001 EndToEndId.
                    end_to_end_id=reference,
                    counterparty_name=payment.vendor.name if payment.vendor_id else "",
                    date=payment.paid_on,
                )
            )
    bill_list = getattr(selectors, "vendor_bill_list", None)
    if bill_list is not None:
        # Bills are paid weeks after their date: no date filter, only what is still open.
        for bill in bill_list(open_only=True, currency=currency):
            open_amount = (bill.payable_amount or Decimal("0")) - (bill.paid_amount or Decimal("0"))
            if open_amount <= 0:
                continue
            rows.append(
                ReconciliationCandidate(
                    kind=MatchTargetKind.BILL,
                    id=bill.pk,
                    reference=bill.number,
                    amount=open_amount,
                    currency=bill.currency,
                    counterparty_name=bill.vendor.name if bill.vendor_id else "",
                    date=bill.due_date or bill.invoice_date,
                    project_id=bill.project_id,
                )
            )
    return rows


register_candidate_source("procurement", _procurement_source)
