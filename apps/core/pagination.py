"""Keyset pagination for HTML tables: `?after=<id>` instead of OFFSET, so page 10,000 costs the
same as page 1 on a 10M-row ledger."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass
class KeysetPage:
    rows: list
    next_after: int | None
    before: int | None
    page_size: int

    @property
    def has_next(self) -> bool:
        return self.next_after is not None


def keyset_paginate(
    queryset: QuerySet, *, after: str | int | None = None, page_size: int = 50
) -> KeysetPage:
    """Newest first by id; `after` is the last id of the previous page."""
    queryset = queryset.order_by("-id")
    cursor = None
    if after not in (None, ""):
        try:
            cursor = int(after)
        except (TypeError, ValueError):
            cursor = None
    if cursor is not None:
        queryset = queryset.filter(id__lt=cursor)
    rows = list(queryset[: page_size + 1])
    next_after = rows[page_size - 1].id if len(rows) > page_size else None
    return KeysetPage(
        rows=rows[:page_size], next_after=next_after, before=cursor, page_size=page_size
    )
