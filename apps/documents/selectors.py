"""Reads for the document register pages and API (always scoped to the user's projects)."""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from apps.accounts.selectors import scope_to_user_projects
from apps.core.errors import NotFoundError
from apps.documents.choices import (
    MEANING_COLOURS,
    RELEASING_MEANINGS,
    DocumentEventKind,
    StatusMeaning,
)
from apps.documents.models import (
    Document,
    DocumentEvent,
    ProjectDocumentSettings,
    StatusSet,
    Transmittal,
)

# Age of the current status, for "documents by status and age".
AGE_BUCKETS = [
    ("0–7 days", 0, 7),
    ("8–30 days", 8, 30),
    ("31–90 days", 31, 90),
    ("> 90 days", 91, None),
]


def document_list(
    *,
    user,
    project_id: int | None = None,
    kind: str = "",
    meaning: str = "",
    overdue: bool = False,
    q: str = "",
    today: date | None = None,
) -> QuerySet[Document]:
    queryset = scope_to_user_projects(
        Document.objects.select_related("project", "system"), user=user, include_unscoped=False
    )
    if project_id:
        queryset = queryset.filter(project_id=project_id)
    if kind:
        queryset = queryset.filter(kind=kind)
    if meaning == "unknown":
        queryset = queryset.filter(status_known=False)
    elif meaning:
        queryset = queryset.filter(status_meaning=meaning)
    if overdue:
        queryset = queryset.filter(
            status_meaning=StatusMeaning.IN_REVIEW,
            review_due_on__lt=today or timezone.now().date(),
        )
    if q:
        queryset = queryset.filter(
            Q(number__icontains=q)
            | Q(title__icontains=q)
            | Q(spec_section__icontains=q)
            | Q(external_id=q)
        )
    return queryset


def document_get(*, user, document_id: int) -> Document:
    """A document the user may see, or NotFoundError (another project's document is 'not found')."""
    document = document_list(user=user).filter(pk=document_id).first()
    if document is None:
        raise NotFoundError("No such document.")
    return document


def document_overdue_reviews(*, user, today: date | None = None, limit: int = 20) -> list[Document]:
    today = today or timezone.now().date()
    return list(
        document_list(user=user, overdue=True, today=today).order_by("review_due_on", "id")[:limit]
    )


def document_status_age_matrix(*, queryset: QuerySet[Document], now: datetime | None = None):
    """Rows per status meaning, columns per age bucket of the current status: counts."""
    now = now or timezone.now()
    rows: OrderedDict[str, dict] = OrderedDict()
    for meaning in [*StatusMeaning.values, "unknown"]:
        label = StatusMeaning(meaning).label if meaning != "unknown" else "Unknown status code"
        rows[meaning] = {
            "meaning": meaning,
            "label": label,
            "colour": MEANING_COLOURS.get(meaning, "red"),
            "cells": [0] * len(AGE_BUCKETS),
            "total": 0,
        }
    for meaning, known, changed_at, created_at in queryset.values_list(
        "status_meaning", "status_known", "status_changed_at", "created_at"
    ).iterator(chunk_size=2000):
        key = meaning if known and meaning else "unknown"
        age = (now - (changed_at or created_at)).days
        for index, (_, low, high) in enumerate(AGE_BUCKETS):
            if age >= low and (high is None or age <= high):
                rows[key]["cells"][index] += 1
                break
        rows[key]["total"] += 1
    return [row for row in rows.values() if row["total"]]


def document_counts_by_meaning(*, queryset: QuerySet[Document]) -> dict[str, int]:
    counts: dict[str, int] = {}
    rows = queryset.order_by().values("status_meaning", "status_known").annotate(n=Count("id"))
    for row in rows:
        key = "unknown" if not row["status_known"] else (row["status_meaning"] or "none")
        counts[key] = counts.get(key, 0) + row["n"]
    return counts


def document_events_releasing(*, user=None) -> QuerySet[DocumentEvent]:
    """Approved submittals linked to procurement lines not yet carried onward (for workflows)."""
    queryset = DocumentEvent.objects.filter(
        kind=DocumentEventKind.SUBMITTAL_APPROVED, emitted_transaction_id__isnull=True
    ).exclude(procurement_refs=[])
    queryset = queryset.filter(
        document__status_meaning__in=[meaning.value for meaning in RELEASING_MEANINGS]
    )
    if user is not None:
        queryset = scope_to_user_projects(
            queryset, user=user, field="document__project", include_unscoped=False
        )
    return queryset.select_related("document", "revision")


def document_blocking_procurement(*, user) -> QuerySet[Document]:
    """Documents linked to procurement lines that are not approved yet (in review, to be
    resubmitted, rejected, or with a status code the project's set does not know)."""
    releasing = [meaning.value for meaning in RELEASING_MEANINGS]
    return (
        document_list(user=user)
        .exclude(procurement_refs=[])
        .exclude(status_meaning__in=releasing, status_known=True)
        .order_by("review_due_on", "id")
    )


def document_event_list(*, user, kind: str = "", project_id: int | None = None):
    queryset = scope_to_user_projects(
        DocumentEvent.objects.select_related("document", "document__project", "revision"),
        user=user,
        field="document__project",
        include_unscoped=False,
    )
    if kind:
        queryset = queryset.filter(kind=kind)
    if project_id:
        queryset = queryset.filter(document__project_id=project_id)
    return queryset


def status_set_list() -> QuerySet[StatusSet]:
    return StatusSet.objects.prefetch_related("codes").order_by("kind", "name")


def project_document_settings_list(*, user) -> QuerySet[ProjectDocumentSettings]:
    return scope_to_user_projects(
        ProjectDocumentSettings.objects.select_related("project", "status_set", "response_set"),
        user=user,
        include_unscoped=False,
    )


def transmittal_list(*, user, project_id: int | None = None) -> QuerySet[Transmittal]:
    queryset = scope_to_user_projects(
        Transmittal.objects.select_related("project").annotate(item_count=Count("items")),
        user=user,
        include_unscoped=False,
    )
    if project_id:
        queryset = queryset.filter(project_id=project_id)
    return queryset


def transmittal_get(*, user, transmittal_id: int) -> Transmittal:
    transmittal = transmittal_list(user=user).filter(pk=transmittal_id).first()
    if transmittal is None:
        raise NotFoundError("No such transmittal.")
    return transmittal


def rfi_list(*, user, impact: str = ""):
    """RFIs of the reader's projects (impact: "cost" | "schedule" to filter), with the potential
    change each opened."""
    from apps.documents.models import Rfi

    queryset = scope_to_user_projects(
        Rfi.objects.select_related(
            "document__project", "document__system", "potential_change__change_order"
        ),
        user=user,
        field="document__project",
        include_unscoped=False,
    )
    if impact == "cost":
        queryset = queryset.filter(cost_impact=True)
    elif impact == "schedule":
        queryset = queryset.filter(schedule_impact=True)
    return queryset.order_by("document__project__code", "due_date", "number")
