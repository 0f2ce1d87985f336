"""Helpers shared by the procurement services: document numbers, locks, amounts."""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F

from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.procurement.models import DocumentSequence
from apps.projects.money import (
    ZERO,
    parse_decimal,
    quantize_money,
    quantize_quantity,
)


def next_number(prefix: str) -> str:
    """The next document number for a prefix, e.g. PO-000042 (gap-free per committed
    transaction: the sequence row is updated inside the caller's transaction)."""
    with transaction.atomic():
        updated = DocumentSequence.objects.filter(prefix=prefix).update(
            last_value=F("last_value") + 1
        )
        if not updated:
            try:
                with transaction.atomic():
                    DocumentSequence.objects.create(prefix=prefix, last_value=1)
            except IntegrityError:
                DocumentSequence.objects.filter(prefix=prefix).update(
                    last_value=F("last_value") + 1
                )
        value = DocumentSequence.objects.get(prefix=prefix).last_value
    return f"{prefix}-{value:06d}"


def line_amount(quantity: Decimal, unit_price: Decimal, currency: str) -> Decimal:
    return quantize_money(quantity * unit_price, currency)


def parse_quantity(value, *, field: str = "quantity", allow_negative: bool = False) -> Decimal:
    quantity = quantize_quantity(parse_decimal(value, field=field, allow_negative=allow_negative))
    return quantity


def parse_unit_price(value, *, field: str = "unit_price") -> Decimal:
    return parse_decimal(value, field=field).quantize(Decimal("0.0001"))


def require_project_access(*, user, project) -> None:
    """Services that act for a person refuse projects the person is not a member of."""
    from apps.accounts.selectors import user_can_see_project

    if user is not None and not user_can_see_project(user=user, project_id=project.id):
        raise PermissionDeniedError(
            f"You are not a member of project {project.code}.", code="not_in_project"
        )


def require_currency(document_currency: str, expected: str, what: str) -> None:
    if document_currency != expected:
        raise ApplicationError(
            f"{what} is in {document_currency} but the project budgets in {expected}.",
            code="currency_mismatch",
        )


__all__ = [
    "ZERO",
    "line_amount",
    "next_number",
    "parse_quantity",
    "parse_unit_price",
    "require_currency",
    "require_project_access",
]
