"""Reads on exception items for the queue, the pipeline and reports (always project-scoped)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from apps.accounts.selectors import scope_to_user_projects
from apps.core.errors import NotFoundError
from apps.exceptions.choices import ACTIVE_STATUSES
from apps.exceptions.models import (
    ExceptionCategoryConfig,
    ExceptionItem,
    ExceptionLink,
)

_ACTIVE = [s.value for s in ACTIVE_STATUSES]


def exception_list(
    *,
    user,
    status: str | list[str] | None = None,
    active: bool | None = None,
    category: str | None = None,
    severity: str | None = None,
    project_id: int | None = None,
    system_id: int | None = None,
    assignee_id: int | None = None,
    owner_group: str | None = None,
    trace_key: str | None = None,
    overdue: bool | None = None,
    search: str = "",
) -> QuerySet[ExceptionItem]:
    """Items the user may see (their projects plus system-wide items), filtered."""
    queryset = scope_to_user_projects(ExceptionItem.objects.all(), user=user)
    if status:
        statuses = [status] if isinstance(status, str) else list(status)
        queryset = queryset.filter(status__in=statuses)
    if active is True:
        queryset = queryset.filter(status__in=_ACTIVE)
    elif active is False:
        queryset = queryset.exclude(status__in=_ACTIVE)
    if category:
        queryset = queryset.filter(category=category)
    if severity:
        queryset = queryset.filter(severity=severity)
    if project_id:
        queryset = queryset.filter(project_id=project_id)
    if system_id:
        queryset = queryset.filter(system_id=system_id)
    if assignee_id:
        queryset = queryset.filter(assignee_id=assignee_id)
    if owner_group:
        queryset = queryset.filter(owner_group=owner_group)
    if trace_key:
        queryset = queryset.filter(trace_key=trace_key)
    if overdue:
        queryset = queryset.filter(status__in=_ACTIVE, sla_due_at__lt=timezone.now())
    if search:
        queryset = queryset.filter(
            Q(title__icontains=search) | Q(reason__icontains=search) | Q(trace_key=search)
        )
    return queryset.select_related("project", "system", "assignee")


def exception_get(*, user, item_id: int) -> ExceptionItem:
    """One item the user may see, or NotFoundError (also for items of other projects)."""
    item = exception_list(user=user).filter(pk=item_id).first()
    if item is None:
        raise NotFoundError("No such exception item.")
    return item


def exception_active_for_trace_key(*, trace_key: str) -> ExceptionItem | None:
    """The open/in-progress/waiting item for a trace key (pipeline use: no user scoping)."""
    return ExceptionItem.objects.filter(trace_key=trace_key, status__in=_ACTIVE).first()


def exception_transaction_ids(*, item: ExceptionItem, role: str | None = None) -> list[int]:
    """The ids of the transactions linked to an item, oldest link first."""
    links = ExceptionLink.objects.filter(item=item)
    if role:
        links = links.filter(role=role)
    return list(links.order_by("id").values_list("transaction_id", flat=True))


def exception_links(*, item: ExceptionItem) -> QuerySet[ExceptionLink]:
    return ExceptionLink.objects.filter(item=item).select_related("transaction").order_by("id")


def exception_items_for_transaction(*, transaction_id: int) -> QuerySet[ExceptionItem]:
    """Items a transaction is linked to (for the ledger detail page)."""
    return ExceptionItem.objects.filter(links__transaction_id=transaction_id).distinct()


def exception_summary(*, user) -> dict:
    """Counts for KPIs: active by severity and category, overdue, and money at risk by currency."""
    queryset = exception_list(user=user, active=True)
    by_severity = dict(
        queryset.values_list("severity").annotate(n=Count("id")).values_list("severity", "n")
    )
    by_category = dict(
        queryset.values_list("category").annotate(n=Count("id")).values_list("category", "n")
    )
    at_risk = {
        row["currency"]: row["total"]
        for row in queryset.exclude(amount_at_risk__isnull=True)
        .values("currency")
        .annotate(total=Sum("amount_at_risk"))
    }
    return {
        "active": queryset.count(),
        "overdue": queryset.filter(sla_due_at__lt=timezone.now()).count(),
        "by_severity": by_severity,
        "by_category": by_category,
        "amount_at_risk": at_risk,
    }


def exception_category_config_list() -> QuerySet[ExceptionCategoryConfig]:
    return ExceptionCategoryConfig.objects.all()
