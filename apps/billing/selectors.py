"""Owner billing reads, scoped to the reader's projects."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.selectors import scope_to_user_projects
from apps.billing.models import OwnerContract, PayApplication
from apps.core.errors import NotFoundError


def owner_contract_list(*, user, project_code: str = "") -> QuerySet[OwnerContract]:
    queryset = scope_to_user_projects(
        OwnerContract.objects.select_related("project"), user=user, include_unscoped=False
    )
    if project_code:
        queryset = queryset.filter(project__code=project_code)
    return queryset.order_by("project__code", "number")


def owner_contract_get(*, user, contract_id: int) -> OwnerContract:
    contract = owner_contract_list(user=user).filter(pk=contract_id).first()
    if contract is None:
        raise NotFoundError(f"No owner contract {contract_id} that you can see.")
    return contract


def pay_application_list(
    *, user, contract_id: int | None = None, status: str = ""
) -> QuerySet[PayApplication]:
    queryset = scope_to_user_projects(
        PayApplication.objects.select_related("contract", "project"),
        user=user,
        include_unscoped=False,
    )
    if contract_id:
        queryset = queryset.filter(contract_id=contract_id)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-id")


def pay_application_get(*, user, pay_application_id: int) -> PayApplication:
    app = pay_application_list(user=user).filter(pk=pay_application_id).first()
    if app is None:
        raise NotFoundError(f"No pay application {pay_application_id} that you can see.")
    return app


def pay_application_delivery(*, pay_application: PayApplication):
    """The outbound ledger rows that carry the pay application to Odoo (newest first)."""
    from apps.ledger.models import Transaction

    return Transaction.objects.filter(
        direction="outbound", domain="customer_invoice", subject_id=pay_application.number
    ).order_by("-id")
