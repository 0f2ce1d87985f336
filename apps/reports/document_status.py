"""Document status: submittals and drawings by status and age (of the current status), overdue
reviews, and the documents that block procurement (linked to procurement lines, not approved)."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Q

from apps.documents.choices import DocumentKind, StatusMeaning
from apps.documents.selectors import (
    AGE_BUCKETS,
    document_blocking_procurement,
    document_list,
    document_status_age_matrix,
)
from apps.reports.filters import ReportFilters
from apps.reports.selectors import report_projects

KINDS = (DocumentKind.SUBMITTAL, DocumentKind.DRAWING)

DOCUMENT_COLUMNS = [
    ("kind", "Kind"),
    ("status", "Status"),
    *[(f"age_{index}", label) for index, (label, _, _) in enumerate(AGE_BUCKETS)],
    ("total", "Total"),
]


def _scoped(*, user, filters: ReportFilters, projects, kinds=KINDS):
    queryset = document_list(user=user).filter(project__in=projects)
    if kinds:
        queryset = queryset.filter(kind__in=kinds)
    # The period is the date the document was received (created in the hub when not known).
    if filters.date_from:
        queryset = queryset.filter(
            Q(received_on__gte=filters.date_from)
            | Q(received_on__isnull=True, created_at__date__gte=filters.date_from)
        )
    if filters.date_to:
        queryset = queryset.filter(
            Q(received_on__lte=filters.date_to)
            | Q(received_on__isnull=True, created_at__date__lte=filters.date_to)
        )
    return queryset


def document_status_report(*, user, filters: ReportFilters, today: date, now: datetime) -> dict:
    projects = list(report_projects(user=user, codes=filters.projects))
    queryset = _scoped(user=user, filters=filters, projects=projects)
    matrices, rows = [], []
    for kind in KINDS:
        matrix = document_status_age_matrix(queryset=queryset.filter(kind=kind), now=now)
        for entry in matrix:
            row = {
                "kind": kind.label,
                "kind_key": kind.value,
                "status": entry["label"],
                "meaning": entry["meaning"],
                "cells": entry["cells"],
                "total": entry["total"],
            }
            for index, count in enumerate(entry["cells"]):
                row[f"age_{index}"] = count
            rows.append(row)
        matrices.append({"kind": kind, "rows": [r for r in rows if r["kind_key"] == kind.value]})
    overdue = list(
        queryset.filter(status_meaning=StatusMeaning.IN_REVIEW, review_due_on__lt=today).order_by(
            "review_due_on", "id"
        )
    )
    for document in overdue:
        document.days_overdue = (today - document.review_due_on).days
    blocking = list(
        # Any kind of document can hold procurement up, not only submittals and drawings.
        document_blocking_procurement(user=user).filter(
            pk__in=_scoped(user=user, filters=filters, projects=projects, kinds=()).values("pk")
        )[:200]
    )
    return {
        "projects": projects,
        "matrices": matrices,
        "rows": rows,
        "age_labels": [label for label, _, _ in AGE_BUCKETS],
        "overdue": overdue,
        "blocking": blocking,
        "total": sum(r["total"] for r in rows),
    }
