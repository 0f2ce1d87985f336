"""The filters every executive report takes: project codes and a period (ISO dates)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class ReportFilters:
    projects: list[str] = field(default_factory=list)
    date_from: date | None = None
    date_to: date | None = None
    errors: tuple[str, ...] = ()

    def contains(self, day: date | None) -> bool:
        """Whether a date falls in the period (an empty bound is open)."""
        if day is None:
            return self.date_from is None and self.date_to is None
        if self.date_from and day < self.date_from:
            return False
        return not (self.date_to and day > self.date_to)


def _parse_date(text: str, label: str, errors: list[str]) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append(f"{label} {text!r} is not a date (YYYY-MM-DD); ignored.")
        return None


def report_filters_from(params) -> ReportFilters:
    """Filters from a QueryDict: ?project=A&project=B&from=2026-01-01&to=2026-12-31."""
    errors: list[str] = []
    date_from = _parse_date(params.get("from", ""), "From", errors)
    date_to = _parse_date(params.get("to", ""), "To", errors)
    if date_from and date_to and date_from > date_to:
        errors.append("From is after To; the period was swapped.")
        date_from, date_to = date_to, date_from
    return ReportFilters(
        projects=[code for code in params.getlist("project") if code],
        date_from=date_from,
        date_to=date_to,
        errors=tuple(errors),
    )
