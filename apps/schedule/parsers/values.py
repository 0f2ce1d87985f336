"""Reading the scalar values of schedule files: dates, numbers, flags.

Schedule dates are the file's wall-clock times (P6 and MS Project store no time zone). They are
returned as aware datetimes in UTC *without shifting*, so 2024-02-07 08:00 in the file is
2024-02-07 08:00 UTC in the database and the calendar date never moves.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

# Accepted date spellings, tried in order after the fast path for P6's own format.
# The DD-MON-YY forms come from hand-made (spreadsheet / SQL*Plus) XER files.
DATE_FORMATS = (
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d",
    "%d-%b-%y %H:%M",
    "%d-%b-%y",
    "%d-%b-%Y %H:%M",
    "%d-%b-%Y",
)
DATE_FORMATS_HINT = "YYYY-MM-DD HH:MM, YYYY-MM-DDTHH:MM:SS or DD-MON-YY"


class ValueNotReadable(ValueError):
    """A field value that cannot be read; str() is a reason fit for the import report."""


_date_cache: dict[str, datetime] = {}
_DATE_CACHE_LIMIT = 20_000


def parse_datetime_value(text: str) -> datetime | None:
    """'' → None; a known spelling → aware UTC datetime; anything else raises ValueNotReadable."""
    text = text.strip()
    if not text:
        return None
    cached = _date_cache.get(text)
    if cached is not None:
        return cached
    value = _parse_uncached(text)
    if len(_date_cache) >= _DATE_CACHE_LIMIT:
        _date_cache.clear()
    _date_cache[text] = value
    return value


def _parse_uncached(text: str) -> datetime:
    # Fast path for P6's "2024-02-07 08:00", which is nearly every date in a real XER.
    if (
        len(text) == 16
        and text[4] == "-"
        and text[7] == "-"
        and text[10] == " "
        and text[13] == ":"
    ):
        try:
            return datetime(
                int(text[0:4]),
                int(text[5:7]),
                int(text[8:10]),
                int(text[11:13]),
                int(text[14:16]),
                tzinfo=UTC,
            )
        except ValueError:
            pass
    candidate = text
    # XML dates may carry fractions or an offset; the wall-clock part is what we keep.
    if "T" in candidate and len(candidate) > 19:
        candidate = candidate[:19]
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(candidate, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValueNotReadable(f"'{text}' is not a date (expected {DATE_FORMATS_HINT})")


def parse_decimal_value(text: str) -> Decimal | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueNotReadable(f"'{text}' is not a number") from None
    if not value.is_finite():
        raise ValueNotReadable(f"'{text}' is not a finite number")
    return value


def parse_flag_value(text: str) -> bool:
    return text.strip().upper() in {"Y", "1", "TRUE", "YES"}
