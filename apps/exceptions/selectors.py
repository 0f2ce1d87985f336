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


# --- the workbench (queue views, filters, counts, ageing) ----------------------------------------

QUEUE_VIEWS = {
    "all": "All active",
    "mine": "My items",
    "unassigned": "Unassigned",
    "overdue": "Overdue",
    "closed": "Closed",
}
# Ageing buckets by first_seen_at: (key, label, min hours, max hours).
AGE_BUCKETS = (
    ("lt1d", "< 1 day", 0, 24),
    ("1to3d", "1–3 days", 24, 72),
    ("3to7d", "3–7 days", 72, 168),
    ("gt7d", "> 7 days", 168, None),
)
# Dedicated queues: categories each one shows.
UNMATCHED_INVOICE_CATEGORIES = ("unmatched_invoice", "price_quantity_variance", "missing_receipt")
COST_CODE_CATEGORIES = ("cost_code_error",)
APPROVAL_CATEGORIES = ("approval_overdue",)


def _age_filter(queryset, bucket: str, now):
    from datetime import timedelta

    for key, _label, low, high in AGE_BUCKETS:
        if key == bucket:
            queryset = queryset.filter(first_seen_at__lte=now - timedelta(hours=low))
            if high is not None:
                queryset = queryset.filter(first_seen_at__gt=now - timedelta(hours=high))
            return queryset
    return queryset


def exception_queue(*, user, view: str = "all", filters: dict | None = None) -> QuerySet:
    """The queue page's rows: a view (mine, unassigned, overdue, closed, all active) plus the
    filter form's cleaned values (category, project, system, severity, status, assignee, age,
    amount_min, amount_max, q, categories)."""
    from decimal import Decimal

    filters = filters or {}
    now = timezone.now()
    queryset = exception_list(
        user=user,
        category=filters.get("category") or None,
        severity=filters.get("severity") or None,
        project_id=filters.get("project") or None,
        system_id=filters.get("system") or None,
        assignee_id=filters.get("assignee") or None,
        search=(filters.get("q") or "").strip(),
    )
    if filters.get("categories"):
        queryset = queryset.filter(category__in=list(filters["categories"]))
    status = filters.get("status")
    if status:
        queryset = queryset.filter(status=status)
    elif view == "closed":
        queryset = queryset.exclude(status__in=_ACTIVE)
    else:
        queryset = queryset.filter(status__in=_ACTIVE)
    if view == "mine":
        queryset = queryset.filter(assignee=user)
    elif view == "unassigned":
        queryset = queryset.filter(assignee__isnull=True)
    elif view == "overdue":
        queryset = queryset.filter(status__in=_ACTIVE, sla_due_at__lt=now)
    if filters.get("age"):
        queryset = _age_filter(queryset, filters["age"], now)
    for key, lookup in (
        ("amount_min", "amount_at_risk__gte"),
        ("amount_max", "amount_at_risk__lte"),
    ):
        value = filters.get(key)
        if value not in (None, ""):
            # The form validated it; a bad value from elsewhere is a 400, never ignored.
            queryset = queryset.filter(**{lookup: Decimal(str(value))})
    return queryset


def _active_scope_parts(*, user) -> list[QuerySet]:
    """The active items a user may see, as disjoint querysets whose counts add up.

    Why not one queryset: the scoping condition `project IN (...) OR project IS NULL` cannot be
    an index condition, so PostgreSQL reads every active entry of the counters' index and
    filters. Split in two, each part is a range scan on the index's leading column (an
    index-only scan over just the user's projects, then over the system-wide items)."""
    from apps.accounts.selectors import user_project_ids

    active = ExceptionItem.objects.filter(status__in=_ACTIVE).order_by()
    ids = user_project_ids(user=user)
    if ids is None:
        return [active]
    parts = [active.filter(project__isnull=True)]
    if ids:
        parts.append(active.filter(project_id__in=sorted(ids)))
    return parts


def exception_queue_counts(*, user) -> dict:
    """Every counter of the queue page in one grouped query per scope part: active items per
    category, per queue view (all, mine, unassigned, overdue) and per ageing bucket.

    Returns {"categories": [(value, label, count)] biggest first, "views": {key: count},
    "ageing": [(key, label, count)]}. One pass over the active items' covering index
    (exc_active_counts) instead of one COUNT query per widget."""
    from datetime import timedelta

    from apps.exceptions.choices import ExceptionCategory

    now = timezone.now()
    aggregates = {
        "all": Count("id"),
        "mine": Count("id", filter=Q(assignee=user)),
        "unassigned": Count("id", filter=Q(assignee__isnull=True)),
        "overdue": Count("id", filter=Q(sla_due_at__lt=now)),
    }
    for key, _label, low, high in AGE_BUCKETS:
        condition = Q(first_seen_at__lte=now - timedelta(hours=low))
        if high is not None:
            condition &= Q(first_seen_at__gt=now - timedelta(hours=high))
        aggregates[f"age_{key}"] = Count("id", filter=condition)
    per_category: dict[str, int] = {}
    totals = dict.fromkeys(aggregates, 0)
    for part in _active_scope_parts(user=user):
        for row in part.values("category").annotate(**aggregates):
            per_category[row["category"]] = per_category.get(row["category"], 0) + row["all"]
            for name in aggregates:
                totals[name] += row[name]
    labels = dict(ExceptionCategory.choices)
    return {
        "categories": sorted(
            ((value, labels.get(value, value), n) for value, n in per_category.items()),
            key=lambda r: (-r[2], r[1]),
        ),
        "views": {key: totals[key] for key in ("all", "mine", "unassigned", "overdue")},
        "ageing": [(key, label, totals[f"age_{key}"]) for key, label, _lo, _hi in AGE_BUCKETS],
    }


def exception_category_counts(*, user) -> list[tuple[str, str, int]]:
    """Active items per category the user may see: (value, label, count), biggest first."""
    return exception_queue_counts(user=user)["categories"]


def exception_ageing(*, user) -> list[tuple[str, str, int]]:
    """Active items per ageing bucket: (key, label, count)."""
    return exception_queue_counts(user=user)["ageing"]


def exception_view_counts(*, user) -> dict[str, int]:
    """How many active items each queue view holds (closed is not counted)."""
    return exception_queue_counts(user=user)["views"]


def exception_comments(*, item: ExceptionItem):
    from apps.exceptions.models import ExceptionComment

    return ExceptionComment.objects.filter(item=item).select_related("author").order_by("id")


def saved_filter_list(*, user):
    from apps.exceptions.models import SavedFilter

    return SavedFilter.objects.filter(user=user)


def override_request_list(*, item: ExceptionItem):
    from apps.exceptions.models import OverrideRequest

    return OverrideRequest.objects.filter(item=item).select_related("requested_by", "decided_by")


def assignable_users(*, item: ExceptionItem | None = None):
    """People who may work the queue (finance and integration admins), by username."""
    from django.contrib.auth import get_user_model

    from apps.accounts.roles import FINANCE, INTEGRATION_ADMIN

    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[FINANCE, INTEGRATION_ADMIN])
        .distinct()
        .order_by("username")
    )
