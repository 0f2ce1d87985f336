"""Pure matching rules: one bank line against candidate payments and bills. No database.

In order, first hit wins:
1. end-to-end id equal (what we sent in the pain.001 comes back in the statement);
2. the payment's or bill's reference found in the remittance information;
3. exact amount and the counterparty IBAN;
4. exact amount and a similar counterparty name within a date window.
A rule that finds more than one candidate does not guess: the line stays unmatched with the
candidates named, for a reviewer.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from difflib import SequenceMatcher
from functools import lru_cache

from apps.banking.candidates import ReconciliationCandidate
from apps.banking.choices import MatchMethod

DATE_WINDOW_DAYS = 10
NAME_SIMILARITY_MIN = 0.85
MIN_REFERENCE_LENGTH = 4
NOT_AN_ID = {"NOTPROVIDED", "NONREF", "NONE", ""}


@dataclass(frozen=True)
class LineFacts:
    """What matching needs to know about a bank line."""

    amount: Decimal
    currency: str
    credit_debit: str
    booking_date: dt.date | None
    end_to_end_id: str = ""
    remittance: str = ""
    creditor_reference: str = ""
    counterparty_name: str = ""
    counterparty_iban: str = ""


@dataclass
class MatchDecision:
    candidate: ReconciliationCandidate | None
    method: str = ""
    confidence: Decimal = Decimal("0")
    amount_difference: Decimal = Decimal("0")
    note: str = ""
    ambiguous: list[ReconciliationCandidate] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return self.candidate is not None


@lru_cache(maxsize=65536)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[A-Z0-9]+", (text or "").upper()))


def reference_in_text(reference: str, text: str) -> bool:
    """'BILL/2024/0042' is in 'Payment bill 2024-0042 thanks': token sequence, not substring,
    so 'INV-12' is not found inside 'INV-123'."""
    return _reference_in_tokens(reference, _tokens(text))


def _reference_in_tokens(reference: str, have: tuple[str, ...]) -> bool:
    wanted = _tokens(reference)
    if len("".join(wanted)) < MIN_REFERENCE_LENGTH:
        return False
    width = len(wanted)
    if wanted[0] in have and any(
        have[i : i + width] == wanted for i in range(len(have) - width + 1)
    ):
        return True
    # A reference written without separators ("BILL20240042") still counts.
    compact = "".join(wanted)
    return any(token == compact for token in have)


_LEGAL_FORMS = {
    "BV", "NV", "VOF", "GMBH", "AG", "KG", "SA", "SARL", "SAS", "SPA", "SRL", "SRO", "KFT", "LTD",
    "LIMITED", "LLC", "LLP", "INC", "CORP", "CO", "PLC", "AB", "AS", "OY", "THE",
}  # fmt: skip


def normalize_name(name: str) -> str:
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    text = re.sub(r"(?i)\b([a-z])\.(?=[a-z]\.)", r"\1", text)  # B.V. → BV
    tokens = [t for t in re.findall(r"[A-Z0-9]+", text.upper().replace(".", "")) if t]
    return " ".join(t for t in tokens if t not in _LEGAL_FORMS)


def name_similarity(a: str, b: str) -> float:
    left, right = normalize_name(a), normalize_name(b)
    if not left or not right:
        return 0.0
    if left == right:
        return 1.0
    direct = SequenceMatcher(None, left, right).ratio()
    by_tokens = SequenceMatcher(
        None, " ".join(sorted(left.split())), " ".join(sorted(right.split()))
    ).ratio()
    # "Acme Construction" vs "Acme Construction Holdings": one name inside the other.
    contained = 0.9 if (f" {left} " in f" {right} " or f" {right} " in f" {left} ") else 0.0
    return max(direct, by_tokens, contained)


def _same_id(a: str, b: str) -> bool:
    a, b = (a or "").strip().upper(), (b or "").strip().upper()
    return a not in NOT_AN_ID and a == b


def _within_window(line: LineFacts, candidate: ReconciliationCandidate, days: int) -> bool:
    if line.booking_date is None or candidate.date is None:
        return True
    return abs((line.booking_date - candidate.date).days) <= days


def match_line(
    line: LineFacts,
    candidates: list[ReconciliationCandidate],
    *,
    taken: set[tuple[str, int]] | frozenset = frozenset(),
    date_window_days: int = DATE_WINDOW_DAYS,
) -> MatchDecision:
    """The best candidate for one line by the rules above, or why there is none."""
    pool = [
        c
        for c in candidates
        if c.key not in taken
        and c.credit_debit == line.credit_debit
        and (not c.currency or not line.currency or c.currency == line.currency)
    ]
    if not pool:
        return MatchDecision(None, note="no open payment or bill in this currency and direction")

    def decide(hits, method, confidence, note_label):
        # Payments before bills: a payment is the closer record of a bank movement.
        unique = {c.key: c for c in hits}
        hits = list(unique.values())
        payments = [c for c in hits if c.kind == "payment"]
        if len(hits) > 1 and len(payments) == 1:
            hits = payments
        if len(hits) == 1:
            chosen = hits[0]
            difference = line.amount - chosen.amount
            return MatchDecision(
                chosen,
                method=method,
                confidence=Decimal(str(confidence)),
                amount_difference=difference,
                note=f"{note_label} {chosen.kind} {chosen.reference}",
            )
        return MatchDecision(
            None,
            note=f"{len(hits)} candidates by {note_label}: "
            + ", ".join(f"{c.kind} {c.reference}" for c in hits[:5]),
            ambiguous=hits,
        )

    hits = [c for c in pool if _same_id(line.end_to_end_id, c.end_to_end_id)]
    if hits:
        return decide(hits, MatchMethod.END_TO_END_ID, "1.000", "end-to-end id →")

    have = _tokens(" ".join(p for p in (line.remittance, line.creditor_reference) if p))
    hits = [c for c in pool if c.reference and _reference_in_tokens(c.reference, have)]
    if hits:
        return decide(hits, MatchMethod.REFERENCE, "0.950", "reference →")

    same_amount = [c for c in pool if c.amount == line.amount]
    iban = (line.counterparty_iban or "").replace(" ", "").upper()
    if iban:
        hits = [
            c for c in same_amount if (c.counterparty_iban or "").replace(" ", "").upper() == iban
        ]
        if hits:
            return decide(hits, MatchMethod.AMOUNT_IBAN, "0.900", "amount + IBAN →")

    if line.counterparty_name:
        scored = []
        for candidate in same_amount:
            if not _within_window(line, candidate, date_window_days):
                continue
            score = name_similarity(line.counterparty_name, candidate.counterparty_name)
            if score >= NAME_SIMILARITY_MIN:
                scored.append((score, candidate))
        if scored:
            best = max(score for score, _ in scored)
            hits = [c for score, c in scored if score == best]
            confidence = (Decimal("0.5") + Decimal(str(round(best, 3))) * Decimal("0.3")).quantize(
                Decimal("0.001")
            )
            return decide(hits, MatchMethod.AMOUNT_NAME, confidence, "amount + name →")

    return MatchDecision(None, note="no payment or bill matches by id, reference, IBAN or name")
