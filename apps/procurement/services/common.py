"""Helpers shared by the procurement services: document numbers, locks, amounts."""

from __future__ import annotations

from decimal import Decimal
from functools import wraps

from django.db import IntegrityError, transaction
from django.db.models import F

from apps.audit.services import audit_record
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


def audited_refusal(action: str, *, target: str, actor: str = "actor"):
    """Decorator for services called with keywords: a refusal (ApplicationError) is written to
    the audit log after the service's own transaction rolled back, so the record survives."""

    def decorator(func):
        @wraps(func)
        def wrapper(**kwargs):
            try:
                return func(**kwargs)
            except ApplicationError as exc:
                audit_record(
                    actor=kwargs.get(actor),
                    action=action,
                    target=kwargs.get(target),
                    detail={"code": exc.code, "message": exc.message, "details": exc.details},
                )
                raise

        return wrapper

    return decorator


__all__ = [
    "audited_refusal",
    "ZERO",
    "line_amount",
    "next_number",
    "parse_quantity",
    "parse_unit_price",
    "require_currency",
    "require_project_access",
]
