"""Value conversions at the Odoo boundary (reference §2.2): the hub keeps Decimal money and aware
UTC datetimes; Odoo speaks floats, naive-UTC "YYYY-MM-DD HH:MM:SS" strings and `false` for empty."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from apps.connectors.errors import PermanentError

ODOO_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
ODOO_DATE_FORMAT = "%Y-%m-%d"


def to_odoo_number(value: Any, *, field: str) -> float:
    """A Decimal-safe number for Odoo (its JSON floats); rejects what is not a number."""
    if isinstance(value, bool):
        raise PermanentError(f"{field}: expected a number, got {value!r}", code="invalid_payload")
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise PermanentError(
            f"{field}: expected a number, got {value!r}", code="invalid_payload"
        ) from None
    if not number.is_finite():
        raise PermanentError(f"{field}: expected a finite number", code="invalid_payload")
    return float(number)


def to_odoo_date(value: Any, *, field: str) -> str:
    if isinstance(value, datetime):
        return (
            value.astimezone(UTC).strftime(ODOO_DATE_FORMAT)
            if value.tzinfo
            else (value.strftime(ODOO_DATE_FORMAT))
        )
    if isinstance(value, date):
        return value.strftime(ODOO_DATE_FORMAT)
    text = str(value or "").strip()
    try:
        return date.fromisoformat(text[:10]).strftime(ODOO_DATE_FORMAT)
    except ValueError:
        raise PermanentError(
            f"{field}: expected a date (YYYY-MM-DD), got {value!r}", code="invalid_payload"
        ) from None


def to_odoo_datetime(value: Any, *, field: str) -> str:
    """Odoo datetimes are naive UTC strings; a naive input is taken as UTC already."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = str(value or "").strip().replace("Z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise PermanentError(
                f"{field}: expected an ISO 8601 datetime, got {value!r}", code="invalid_payload"
            ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime(ODOO_DATETIME_FORMAT)


def from_odoo_datetime(value: Any) -> str | None:
    """ "2026-03-01 10:00:00" (naive UTC) → "2026-03-01T10:00:00+00:00"."""
    if not value:
        return None
    try:
        return (
            datetime.strptime(str(value)[:19], ODOO_DATETIME_FORMAT).replace(tzinfo=UTC).isoformat()
        )
    except ValueError:
        return str(value)


def from_odoo_date(value: Any) -> str | None:
    return str(value)[:10] if value else None


def from_odoo_money(value: Any) -> str | None:
    """Money as a Decimal string: Odoo's float 1234.5 → "1234.50"; false → None."""
    if value is False or value is None:
        return None
    return str(Decimal(repr(float(value))).quantize(Decimal("0.01")))


def from_odoo_quantity(value: Any) -> str | None:
    if value is False or value is None:
        return None
    if not value:
        return "0"
    # normalize() drops trailing zeros; format "f" keeps 10 as "10", never "1E+1".
    return format(Decimal(repr(float(value))).normalize(), "f")


def from_odoo_text(value: Any) -> str:
    return "" if value is False or value is None else str(value)


def many2one_id(value: Any) -> int | None:
    """[7, "Agrolait"] (read) or 7 (load="_classic_write") → 7; false → None."""
    if isinstance(value, list | tuple):
        return int(value[0]) if value else None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def many2one_name(value: Any) -> str:
    if isinstance(value, list | tuple) and len(value) > 1:
        return str(value[1])
    return ""


def analytic_distribution_from_odoo(value: Any) -> dict[str, float]:
    """{"12": 100.0} or {"12,15": 100.0} (one account per plan, Odoo 17+) → as-is, cleaned."""
    if not isinstance(value, dict):
        return {}
    return {str(key): float(percent) for key, percent in value.items()}


_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str, *, limit: int = 40) -> str:
    return _SLUG.sub("_", text.lower()).strip("_")[:limit].strip("_")
