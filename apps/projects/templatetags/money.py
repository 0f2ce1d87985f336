"""{{ amount|money:currency }} → '1,234.50 EUR'; {{ amount|money }} without the code."""

from decimal import Decimal

from django import template

from apps.projects.money import format_money

register = template.Library()


@register.filter
def money(value, currency: str = ""):
    if value in (None, ""):
        return "—"
    return format_money(Decimal(value), currency or "")


@register.filter
def signed_class(value) -> str:
    """'neg' for negative amounts (shown in red), '' otherwise."""
    try:
        return "neg" if Decimal(value) < 0 else ""
    except Exception:  # not a number: no class
        return ""
