"""Banking reads for pages, the API and other apps (the exception UI links bank lines)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet, Sum

from apps.accounts.selectors import scope_to_user_projects
from apps.banking.choices import RECONCILED_STATUSES, MatchState, MatchStatus
from apps.banking.models import (
    BankAccount,
    BankLineMatch,
    BankStatement,
    BankTransactionDetail,
)
from apps.core.errors import NotFoundError


def bank_account_list(*, user) -> QuerySet[BankAccount]:
    return scope_to_user_projects(BankAccount.objects.all(), user=user)


def bank_statement_list(
    *, user, account_id: int | str | None = None, format: str = ""
) -> QuerySet[BankStatement]:
    """Statements the user may see, with their line counts by reconciliation state."""
    queryset = scope_to_user_projects(
        BankStatement.objects.select_related("account", "file"), user=user, field="account__project"
    )
    if account_id not in (None, ""):
        queryset = queryset.filter(account_id=account_id)
    if format:
        queryset = queryset.filter(format=format)
    return queryset.annotate(
        line_count=Count("entries__details"),
        unmatched_count=Count(
            "entries__details", filter=Q(entries__details__match_status=MatchStatus.UNMATCHED)
        ),
        reconciled_count=Count(
            "entries__details", filter=Q(entries__details__match_status__in=RECONCILED_STATUSES)
        ),
    )


def bank_statement_get(*, user, statement_id: int) -> BankStatement:
    statement = bank_statement_list(user=user).filter(pk=statement_id).first()
    if statement is None:
        raise NotFoundError(f"Bank statement {statement_id} does not exist or is not yours.")
    return statement


def bank_line_list(
    *,
    user,
    statement_id: int | str | None = None,
    account_id: int | str | None = None,
    matched: bool | None = None,
    status: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    search: str = "",
) -> QuerySet[BankTransactionDetail]:
    """Bank lines (one per transaction detail) with their entry, statement and account."""
    queryset = scope_to_user_projects(
        BankTransactionDetail.objects.select_related("entry", "entry__statement", "account"),
        user=user,
        field="account__project",
    )
    if statement_id not in (None, ""):
        queryset = queryset.filter(entry__statement_id=statement_id)
    if account_id not in (None, ""):
        queryset = queryset.filter(account_id=account_id)
    if matched is True:
        queryset = queryset.filter(match_status__in=RECONCILED_STATUSES)
    elif matched is False:
        queryset = queryset.filter(match_status=MatchStatus.UNMATCHED)
    if status:
        queryset = queryset.filter(match_status=status)
    if date_from:
        queryset = queryset.filter(booking_date__gte=date_from)
    if date_to:
        queryset = queryset.filter(booking_date__lte=date_to)
    if search:
        queryset = queryset.filter(
            Q(counterparty_name__icontains=search)
            | Q(end_to_end_id__icontains=search)
            | Q(counterparty_iban__icontains=search.replace(" ", ""))
            | Q(remittance_unstructured__icontains=search)
            | Q(creditor_reference__icontains=search)
        )
    return queryset


def bank_line_get(*, user, line_id: int) -> BankTransactionDetail:
    line = bank_line_list(user=user).filter(pk=line_id).first()
    if line is None:
        raise NotFoundError(f"Bank line {line_id} does not exist or is not yours.")
    return line


def bank_line_matches(*, line: BankTransactionDetail) -> QuerySet[BankLineMatch]:
    return line.matches.select_related("created_by").order_by("-id")


def bank_line_active_matches(*, line: BankTransactionDetail) -> list[BankLineMatch]:
    return [m for m in line.matches.all() if m.state == MatchState.ACTIVE]


def bank_statement_summary(*, statement: BankStatement) -> dict:
    """Counts and money per reconciliation state for one statement."""
    rows = (
        BankTransactionDetail.objects.filter(entry__statement=statement)
        .values("match_status")
        .annotate(count=Count("id"), amount=Sum("amount"))
    )
    by_status = {row["match_status"]: row for row in rows}
    return {
        "by_status": [
            {
                "status": status,
                "label": status.label,
                "colour": status.colour,
                "count": by_status[status.value]["count"],
                "amount": by_status[status.value]["amount"],
            }
            for status in MatchStatus
            if status.value in by_status
        ],
        "lines": sum(row["count"] for row in by_status.values()),
        "unmatched_amount": (by_status.get(MatchStatus.UNMATCHED) or {}).get("amount"),
    }
