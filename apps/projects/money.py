"""Money as Decimal with an explicit currency: parsing at the edges, quantizing to the currency's
minor unit, never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from apps.core.errors import ApplicationError

ZERO = Decimal("0")
# ISO 4217 minor units for the currencies a construction firm in our markets bills in. Amounts are
# stored with two decimals, so three-decimal currencies (KWD, BHD, ...) are refused, not rounded.
CURRENCY_MINOR_UNITS = {
    "EUR": 2,
    "USD": 2,
    "GBP": 2,
    "CHF": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "PLN": 2,
    "CZK": 2,
    "AUD": 2,
    "CAD": 2,
    "NZD": 2,
    "ZAR": 2,
    "AED": 2,
    "SAR": 2,
    "SGD": 2,
    "JPY": 0,
}
QUANTITY_PLACES = Decimal("0.0001")
UNIT_PRICE_PLACES = Decimal("0.0001")
PERCENT_PLACES = Decimal("0.01")


def currency_validate(currency: str) -> str:
    """The upper-case currency code, or an ApplicationError naming the supported ones."""
    code = (currency or "").strip().upper()
    if code not in CURRENCY_MINOR_UNITS:
        raise ApplicationError(
            f"Currency {currency!r} is not supported.",
            code="unsupported_currency",
            details={"supported": sorted(CURRENCY_MINOR_UNITS)},
        )
    return code


def money_quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-CURRENCY_MINOR_UNITS.get(currency.upper(), 2))


def quantize_money(amount: Decimal | int | str, currency: str) -> Decimal:
    """Round half up to the currency's minor unit (the commercial rounding on invoices)."""
    return Decimal(amount).quantize(money_quantum(currency), rounding=ROUND_HALF_UP)


def quantize_quantity(quantity: Decimal | int | str) -> Decimal:
    return Decimal(quantity).quantize(QUANTITY_PLACES, rounding=ROUND_HALF_UP)


def parse_decimal(value, *, field: str = "amount", allow_negative: bool = False) -> Decimal:
    """A Decimal from user input; floats are refused because they already lost precision."""
    if isinstance(value, float):
        raise ApplicationError(
            f"{field}: send decimals as strings, not binary floats.", code="float_not_allowed"
        )
    if isinstance(value, Decimal):
        number = value
    else:
        text = (
            str(value if value is not None else "").strip().replace("\u00a0", "").replace(" ", "")
        )
        if not text:
            raise ApplicationError(f"{field}: a number is required.", code="invalid_number")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ApplicationError(
                f"{field}: {value!r} is not a number.", code="invalid_number"
            ) from None
    if not number.is_finite():
        raise ApplicationError(f"{field}: {value!r} is not a finite number.", code="invalid_number")
    if number < 0 and not allow_negative:
        raise ApplicationError(f"{field}: must not be negative.", code="negative_not_allowed")
    return number


def format_money(amount: Decimal | None, currency: str = "") -> str:
    """'1,234,567.89 EUR' for display."""
    if amount is None:
        return "—"
    quantized = quantize_money(amount, currency or "EUR")
    places = CURRENCY_MINOR_UNITS.get((currency or "EUR").upper(), 2)
    text = f"{quantized:,.{places}f}"
    return f"{text} {currency}".strip()
