"""{{ status|badge }} → the badge colour class of a procurement or approval status value."""

from django import template

from apps.procurement.choices import COLOURS

register = template.Library()

_EXTRA = {"waiting": "grey", "available": "green", "warn": "amber", "block": "red"}


@register.filter
def badge(value) -> str:
    colour = COLOURS.get(str(value)) or _EXTRA.get(str(value), "grey")
    return f"badge badge-{colour}"
