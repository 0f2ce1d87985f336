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
    """Open payments and vendor bills from apps.procurement's selectors, once they exist."""
    try:
        selectors = import_module("apps.procurement.selectors")
    except ModuleNotFoundError:
        return []
    rows: list[ReconciliationCandidate] = []
    for kind, name in (
        (MatchTargetKind.PAYMENT, "payment_list"),
        (MatchTargetKind.BILL, "vendor_bill_list"),
    ):
        selector = getattr(selectors, name, None)
        if selector is None:
            continue
        try:
            objects = selector()
        except TypeError:
            logger.warning("procurement.%s needs arguments banking does not pass", name)
            continue
        for obj in objects:
            candidate = candidate_from(obj, kind=kind)
            if candidate.currency and currency and candidate.currency != currency:
                continue
            rows.append(candidate)
    return rows


register_candidate_source("procurement", _procurement_source)
