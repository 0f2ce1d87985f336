"""django-q2 entry points (thin): each calls one service."""

from __future__ import annotations

from apps.documents.services import document_reviews_overdue_flag


def reviews_overdue_flag() -> dict[str, int]:
    return document_reviews_overdue_flag()
