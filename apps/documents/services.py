"""Writes on the document register: status-set presets and project settings, applying platform
resources (documents, revisions, statuses, derived events) and transmittals."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.documents.choices import (
    RELEASING_MEANINGS,
    REVIEW_CLOSED_MEANINGS,
    ChangeSource,
    DocumentEventKind,
    DocumentKind,
    StatusMeaning,
    StatusSetKind,
    TransmittalStatus,
)
from apps.documents.models import (
    Document,
    DocumentEvent,
    DocumentStatusChange,
    ProjectDocumentSettings,
    Revision,
    StatusCode,
    StatusSet,
    Transmittal,
    TransmittalItem,
)
from apps.documents.presets import DEFAULT_RESPONSE_SET, DEFAULT_STATUS_SET, PRESETS
from apps.documents.revision_codes import revision_code_parse, revision_is_newer

# Normalised resource kind (connectors' DOCUMENT_RESOURCE_KEYS "kind") → register kind.
RESOURCE_KIND_TO_DOCUMENT = {
    "submittal": DocumentKind.SUBMITTAL,
    "drawing_revision": DocumentKind.DRAWING,
    "drawing": DocumentKind.DRAWING,
    "file_version": DocumentKind.DOCUMENT,
    "file": DocumentKind.DOCUMENT,
    "rfi": DocumentKind.RFI,
}
# A submittal nobody has answered yet is in the state its platform status says.
SUBMITTAL_PLATFORM_STATUS = {
    "draft": StatusMeaning.WORK_IN_PROGRESS,
    "open": StatusMeaning.IN_REVIEW,
    "submitted": StatusMeaning.IN_REVIEW,
    "pending": StatusMeaning.IN_REVIEW,
    "closed": StatusMeaning.FOR_RECORD,
    "void": StatusMeaning.VOID,
}
SUBMITTAL_EVENT_BY_MEANING = {
    StatusMeaning.APPROVED: DocumentEventKind.SUBMITTAL_APPROVED,
    StatusMeaning.APPROVED_AS_NOTED: DocumentEventKind.SUBMITTAL_APPROVED,
    StatusMeaning.REJECTED: DocumentEventKind.SUBMITTAL_REJECTED,
    StatusMeaning.REVISE_RESUBMIT: DocumentEventKind.SUBMITTAL_REVISE_RESUBMIT,
}
DOCUMENT_EVENT_BY_MEANING = {
    StatusMeaning.APPROVED: DocumentEventKind.DOCUMENT_APPROVED,
    StatusMeaning.APPROVED_AS_NOTED: DocumentEventKind.DOCUMENT_APPROVED,
    StatusMeaning.REJECTED: DocumentEventKind.DOCUMENT_REJECTED,
}


# --- status sets ------------------------------------------------------------------------------


def status_sets_load_presets() -> int:
    """Create the shipped presets (and any of their codes) that are missing; returns how many
    rows were created. Never overwrites an admin's edits to an existing code."""
    created = 0
    for preset in PRESETS:
        status_set, made = StatusSet.objects.get_or_create(
            code=preset["code"],
            defaults={
                "name": preset["name"],
                "kind": preset["kind"],
                "description": preset["description"],
                "is_preset": True,
            },
        )
        created += int(made)
        for order, item in enumerate(preset["codes"], start=1):
            _, made = StatusCode.objects.get_or_create(
                status_set=status_set,
                code=item["code"],
                defaults={**{k: v for k, v in item.items() if k != "code"}, "sort_order": order},
            )
            created += int(made)
    return created


def _normalised(text: str) -> tuple[str, str]:
    upper = re.sub(r"\s+", " ", (text or "").strip().upper())
    return upper, re.sub(r"[^A-Z0-9]", "", upper.replace("&", "AND"))


def status_code_resolve(*, status_set: StatusSet | None, raw: str) -> StatusCode | None:
    """The set's code for what a platform sent: its code, label or an alias, case- and
    punctuation-insensitively ("R&R", "Revise & Resubmit", "revise and resubmit")."""
    if status_set is None or not (raw or "").strip():
        return None
    exact, loose = _normalised(raw)
    codes = list(status_set.codes.all())
    for code in codes:
        if _normalised(code.code)[0] == exact:
            return code
    for code in codes:
        spellings = [code.code, code.label, *(code.aliases or [])]
        if any(_normalised(spelling)[0] == exact for spelling in spellings):
            return code
    for code in codes:
        spellings = [code.code, code.label, *(code.aliases or [])]
        if any(_normalised(spelling)[1] == loose for spelling in spellings):
            return code
    return None


def project_document_settings_get(*, project) -> ProjectDocumentSettings:
    """The project's settings, created with the default presets on first use."""
    settings_row = ProjectDocumentSettings.objects.filter(project=project).first()
    if settings_row is not None:
        return settings_row
    status_sets_load_presets()
    try:
        with db_transaction.atomic():
            return ProjectDocumentSettings.objects.create(
                project=project,
                status_set=StatusSet.objects.get(code=DEFAULT_STATUS_SET),
                response_set=StatusSet.objects.get(code=DEFAULT_RESPONSE_SET),
            )
    except IntegrityError:  # created concurrently by another worker
        return ProjectDocumentSettings.objects.get(project=project)


def project_document_settings_update(
    *,
    project,
    actor,
    status_set: StatusSet,
    response_set: StatusSet | None,
    review_days: int,
) -> ProjectDocumentSettings:
    """Choose a project's status set, response table and review period (audited)."""
    if status_set.kind == StatusSetKind.RESPONSE:
        raise ApplicationError(
            f"{status_set.name} is a response table, not a status set.", code="wrong_status_set"
        )
    if response_set is not None and response_set.kind != StatusSetKind.RESPONSE:
        raise ApplicationError(
            f"{response_set.name} is not a submittal response table.", code="wrong_status_set"
        )
    if not 1 <= int(review_days) <= 365:
        raise ApplicationError("The review period must be 1 to 365 days.", code="invalid")
    row = project_document_settings_get(project=project)
    before = {
        "status_set": row.status_set.code if row.status_set else None,
        "response_set": row.response_set.code if row.response_set else None,
        "review_days": row.review_days,
    }
    row.status_set = status_set
    row.response_set = response_set
    row.review_days = int(review_days)
    row.save()
    audit_record(
        actor=actor,
        action="documents.settings.update",
        target=row,
        detail={
            "project": project.code,
            "before": before,
            "after": {
                "status_set": status_set.code,
                "response_set": response_set.code if response_set else None,
                "review_days": row.review_days,
            },
        },
    )
    return row


# --- applying platform resources --------------------------------------------------------------


@dataclass
class DocumentApplyResult:
    document: Document | None
    created: bool = False
    changed: bool = False
    stale: bool = False  # an older snapshot than the register holds: recorded, not applied
    events: list[DocumentEvent] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)


def aware_datetime(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip().replace("+0000", "+00:00")
        moment = parse_datetime(text)
        if moment is None:
            day = parse_date(text[:10])
            if day is None:
                return None
            moment = datetime(day.year, day.month, day.day)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return moment


def _day(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    moment = aware_datetime(value)
    return moment.date() if moment else None


def _resolve_status(
    *, kind: str, resource: dict, settings_row: ProjectDocumentSettings
) -> tuple[str, str, str, bool]:
    """(code, label, meaning, known) for the resource under the project's sets."""
    if kind == DocumentKind.SUBMITTAL:
        response = (resource.get("response") or "").strip()
        if response:
            code = status_code_resolve(status_set=settings_row.response_set, raw=response)
            if code is None:
                return response, response, "", False
            return code.code, code.label, code.meaning, not code.withdrawn
        platform = (resource.get("status") or "").strip() or "Open"
        meaning = SUBMITTAL_PLATFORM_STATUS.get(platform.lower(), "")
        return platform.upper(), platform, meaning, bool(meaning)
    raw = (resource.get("status") or "").strip()
    if not raw:
        return "", "", "", True
    code = status_code_resolve(status_set=settings_row.status_set, raw=raw)
    if code is None:
        return raw.upper(), raw, "", False
    return code.code, code.label, code.meaning, not code.withdrawn


def _event(
    *,
    document: Document,
    revision: Revision | None,
    kind: str,
    at: datetime,
    transaction_id: int | None,
    detail: dict,
    discriminator: str,
) -> DocumentEvent | None:
    """Record a derived event once (a replayed delivery finds the dedupe key and adds nothing)."""
    key = f"{document.pk}:{kind}:{revision.code if revision else '-'}:{discriminator}"[:300]
    event, created = DocumentEvent.objects.get_or_create(
        dedupe_key=key,
        defaults={
            "document": document,
            "revision": revision,
            "kind": kind,
            "at": at,
            "transaction_id": transaction_id,
            "procurement_refs": list(document.procurement_refs or []),
            "detail": detail,
        },
    )
    return event if created else None


def document_apply_resource(
    *,
    project,
    system,
    resource: dict[str, Any],
    transaction_id: int | None = None,
    occurred_at: Any = None,
) -> DocumentApplyResult:
    """Apply a platform resource (a connector's normalised follow-up GET) to the register:
    upsert the document and revision, record status changes and derive business events."""
    kind = RESOURCE_KIND_TO_DOCUMENT.get(resource.get("kind", ""))
    if kind is None:
        raise ApplicationError(
            f"The register does not keep {resource.get('kind')!r} resources.",
            code="unsupported_resource",
        )
    document_key = str(resource.get("document_external_id") or resource.get("external_id") or "")
    if not document_key:
        raise ApplicationError("The resource has no id.", code="schema_invalid")
    settings_row = project_document_settings_get(project=project)
    source_time = (
        aware_datetime(resource.get("updated_at")) or aware_datetime(occurred_at) or timezone.now()
    )

    with db_transaction.atomic():
        document = (
            Document.objects.select_for_update()
            .filter(system=system, kind=kind, external_id=document_key)
            .first()
        )
        created = document is None
        if created:
            document = Document.objects.create(
                project=project, system=system, kind=kind, external_id=document_key
            )
        result = DocumentApplyResult(document=document, created=created)
        if document.project_id != project.pk:
            result.warnings.append(
                {
                    "code": "project_mismatch",
                    "message": f"{document} belongs to project #{document.project_id}; the "
                    f"delivery names project {project.code}. The register keeps the original.",
                }
            )
        if (
            not created
            and document.source_updated_at is not None
            and source_time < document.source_updated_at
        ):
            result.stale = True
            return result

        for name in ("number", "title", "discipline", "spec_section", "spec_section_title", "url"):
            value = str(resource.get(name) or "")[: Document._meta.get_field(name).max_length]
            if value and getattr(document, name) != value:
                setattr(document, name, value)
                result.changed = True
        refs = [str(ref) for ref in resource.get("procurement_refs") or []]
        if refs and refs != document.procurement_refs:
            document.procurement_refs = refs
            result.changed = True

        revision = _apply_revision(
            document=document,
            resource=resource,
            at=source_time,
            transaction_id=transaction_id,
            result=result,
        )
        if revision is not None and not revision.is_current:
            _apply_old_revision_status(
                revision=revision, resource=resource, kind=kind, settings_row=settings_row
            )
        else:
            _apply_status(
                document=document,
                revision=revision,
                resource=resource,
                kind=kind,
                settings_row=settings_row,
                at=source_time,
                transaction_id=transaction_id,
                result=result,
            )
        received = _day(resource.get("received_at"))
        if received and document.received_on != received:
            document.received_on = received
            result.changed = True
        due = _day(resource.get("due_date"))
        if (
            due is None
            and document.received_on
            and document.review_due_on is None
            and document.status_meaning == StatusMeaning.IN_REVIEW
        ):
            # No due date from the platform: the project's review period applies.
            due = document.received_on + timedelta(days=settings_row.review_days)
        if due and document.review_due_on != due:
            document.review_due_on = due
            result.changed = True
        document.source_updated_at = source_time
        document.last_transaction_id = transaction_id or document.last_transaction_id
        document.save()
    return result


def _apply_revision(
    *, document: Document, resource: dict, at: datetime, transaction_id, result
) -> Revision | None:
    code = str(resource.get("revision") or "").strip()[:40]
    if not code:
        return document.revisions.filter(is_current=True).first()
    parsed = revision_code_parse(code)
    revision, made = Revision.objects.get_or_create(
        document=document,
        code=code,
        defaults={
            "kind": parsed.kind,
            "external_id": str(resource.get("external_id") or "")[:300],
            "issued_at": aware_datetime(resource.get("issued_at")) or at,
            "transaction_id": transaction_id,
        },
    )
    platform_says_current = resource.get("is_current")
    newer = revision_is_newer(code, document.current_revision)
    becomes_current = (
        platform_says_current is True
        or (platform_says_current is None and newer)
        # The platform moved on since (its newer version is not here yet): until it arrives,
        # the newest revision the register holds is the current one.
        or (not document.current_revision and newer)
    ) and not revision.is_current
    if made:
        result.changed = True
        if document.kind != DocumentKind.SUBMITTAL:
            event = _event(
                document=document,
                revision=revision,
                kind=DocumentEventKind.REVISION_ISSUED,
                at=revision.issued_at or at,
                transaction_id=transaction_id,
                detail={"revision": code, "revision_kind": parsed.kind},
                discriminator="issued",
            )
            if event:
                result.events.append(event)
        if not becomes_current and document.current_revision:
            result.warnings.append(
                {
                    "code": "older_revision",
                    "message": f"Revision {code} arrived after {document.current_revision}; "
                    "kept in the history, not made current.",
                }
            )
    if becomes_current:
        previous = document.revisions.filter(is_current=True).exclude(pk=revision.pk)
        for old in previous:
            old.is_current = False
            old.superseded_at = at
            old.superseded_by = revision
            old.save(update_fields=["is_current", "superseded_at", "superseded_by"])
            if document.kind == DocumentKind.SUBMITTAL:
                continue  # a resubmission's own events are its reviewer's responses
            event = _event(
                document=document,
                revision=old,
                kind=DocumentEventKind.REVISION_SUPERSEDED,
                at=at,
                transaction_id=transaction_id,
                detail={"revision": old.code, "superseded_by": code},
                discriminator=f"by:{code}",
            )
            if event:
                result.events.append(event)
        revision.is_current = True
        revision.save(update_fields=["is_current"])
        document.current_revision = code
        result.changed = True
    return revision


def _apply_old_revision_status(
    *, revision: Revision, resource: dict, kind: str, settings_row: ProjectDocumentSettings
) -> None:
    """A snapshot of a revision that is no longer current: its own status is recorded on the
    revision, the document keeps its current revision's status."""
    code, _, meaning, _ = _resolve_status(kind=kind, resource=resource, settings_row=settings_row)
    if code and revision.status_code != code:
        revision.status_code = code
        revision.status_meaning = meaning
        revision.save(update_fields=["status_code", "status_meaning"])


def _apply_status(
    *,
    document: Document,
    revision: Revision | None,
    resource: dict,
    kind: str,
    settings_row: ProjectDocumentSettings,
    at: datetime,
    transaction_id,
    result: DocumentApplyResult,
) -> None:
    code, label, meaning, known = _resolve_status(
        kind=kind, resource=resource, settings_row=settings_row
    )
    if not known:
        status_set = (
            settings_row.response_set
            if kind == DocumentKind.SUBMITTAL
            else (settings_row.status_set)
        )
        result.warnings.append(
            {
                "code": "unknown_status",
                "message": f"Status {code!r} is not in {status_set or 'the project settings'} "
                f"(or is withdrawn there): add it to the set or correct it on the platform.",
                "status": code,
                "status_set": status_set.code if status_set else "",
            }
        )
    if revision is not None and revision.is_current and code and revision.status_code != code:
        revision.status_code = code
        revision.status_meaning = meaning
        revision.save(update_fields=["status_code", "status_meaning"])
    if not code or (
        code == document.status_code
        and meaning == document.status_meaning
        and known == document.status_known
    ):
        return
    DocumentStatusChange.objects.create(
        document=document,
        revision=revision,
        from_code=document.status_code,
        to_code=code,
        meaning=meaning,
        at=at,
        source=ChangeSource.PLATFORM,
        transaction_id=transaction_id,
    )
    document.status_code = code[:60]
    document.status_label = label[:200]
    document.status_meaning = meaning
    document.status_known = known
    document.status_changed_at = at
    result.changed = True
    if meaning in REVIEW_CLOSED_MEANINGS:
        document.responded_at = at
    event_kind = (
        SUBMITTAL_EVENT_BY_MEANING if kind == DocumentKind.SUBMITTAL else DOCUMENT_EVENT_BY_MEANING
    ).get(meaning)
    if event_kind:
        event = _event(
            document=document,
            revision=revision,
            kind=event_kind,
            at=at,
            transaction_id=transaction_id,
            detail={
                "status": code,
                "label": label,
                "meaning": meaning,
                "releases_procurement": meaning in RELEASING_MEANINGS
                and bool(document.procurement_refs),
            },
            discriminator=code,
        )
        if event:
            result.events.append(event)


def document_mark_deleted(
    *,
    system,
    resource_kind: str,
    external_id: str,
    transaction_id: int | None = None,
    at: Any = None,
) -> Document | None:
    """A platform deleted a resource: the register keeps the document, voided, with history.

    Returns the document, or None when the register never held it (nothing to void)."""
    kind = RESOURCE_KIND_TO_DOCUMENT.get(resource_kind)
    if kind is None or not external_id:
        return None
    moment = aware_datetime(at) or timezone.now()
    with db_transaction.atomic():
        document = (
            Document.objects.select_for_update()
            .filter(system=system, kind=kind, external_id=external_id)
            .first()
        )
        revision = None
        if document is None:
            revision = (
                Revision.objects.select_related("document")
                .filter(document__system=system, external_id=external_id)
                .first()
            )
            document = revision.document if revision else None
        if document is None:
            return None
        if revision is not None and not revision.is_current:
            return document  # an old revision went away; the current one still stands
        if document.status_code == "DELETED":
            return document
        DocumentStatusChange.objects.create(
            document=document,
            revision=revision,
            from_code=document.status_code,
            to_code="DELETED",
            meaning=StatusMeaning.VOID,
            at=moment,
            source=ChangeSource.PLATFORM,
            transaction_id=transaction_id,
            note="deleted on the platform",
        )
        document.status_code = "DELETED"
        document.status_label = "Deleted on the platform"
        document.status_meaning = StatusMeaning.VOID
        document.status_known = True
        document.status_changed_at = moment
        document.last_transaction_id = transaction_id or document.last_transaction_id
        document.save()
    return document


OVERDUE_TRACE_PREFIX = "doc_review_overdue:"


def document_reviews_overdue_flag(*, today: date | None = None) -> dict[str, int]:
    """Open a document hold for each review past its due date (once per document).
    Run by the `documents-overdue-reviews` schedule; the hold resolves itself when the review is
    answered (`document_review_hold_resolve`). Returns {"opened", "already_open"}."""
    from apps.exceptions.choices import ExceptionCategory
    from apps.exceptions.selectors import exception_active_for_trace_key
    from apps.exceptions.services import exception_open

    today = today or timezone.now().date()
    opened = 0
    overdue = Document.objects.filter(
        status_meaning=StatusMeaning.IN_REVIEW, review_due_on__lt=today
    ).select_related("project", "system")
    overdue_keys = set()
    for document in overdue.iterator(chunk_size=500):
        key = f"{OVERDUE_TRACE_PREFIX}{document.pk}"
        overdue_keys.add(key)
        if exception_active_for_trace_key(trace_key=key) is not None:
            continue  # already flagged: a daily sweep must not count a new occurrence
        days = (today - document.review_due_on).days
        exception_open(
            category=ExceptionCategory.DOCUMENT_HOLD,
            title=f"Review overdue: {document.number or document.external_id} ({days} days)",
            reason=f"{document.get_kind_display()} {document.number} '{document.title}' on "
            f"{document.project.code} was due for review on {document.review_due_on:%Y-%m-%d} and "
            f"is still {document.status_label or 'in review'}"
            + (
                f"; linked procurement lines wait on it: {', '.join(document.procurement_refs)}"
                if document.procurement_refs
                else ""
            )
            + ". Chase the reviewer, or record the response on the platform.",
            trace_key=key,
            project=document.project,
            system=document.system,
            details={"document": document.pk, "review_due_on": str(document.review_due_on)},
            tags=["review_overdue"],
        )
        opened += 1
    return {"opened": opened, "already_open": len(overdue_keys) - opened}


def document_review_hold_resolve(*, document: Document, transaction=None) -> bool:
    """Resolve the document's overdue-review hold once it is no longer in review."""
    from apps.exceptions.services import exception_auto_resolve

    if document.status_meaning == StatusMeaning.IN_REVIEW:
        return False
    item = exception_auto_resolve(
        trace_key=f"{OVERDUE_TRACE_PREFIX}{document.pk}",
        transaction=transaction,
        reason=f"the review was answered: {document.status_code} ({document.status_label})",
    )
    return item is not None


# --- transmittals -----------------------------------------------------------------------------


def transmittal_create(
    *,
    project,
    actor,
    number: str,
    subject: str,
    purpose: str,
    to_party: str,
    from_party: str = "",
    due_on: date | None = None,
    documents: list[Document],
) -> Transmittal:
    """Create a draft transmittal carrying the documents at their current revisions (audited)."""
    if not documents:
        raise ApplicationError("A transmittal carries at least one document.", code="invalid")
    foreign = [doc for doc in documents if doc.project_id != project.pk]
    if foreign:
        raise ApplicationError(
            "Every document of a transmittal must belong to its project.",
            code="invalid",
            details={"documents": [doc.pk for doc in foreign]},
        )
    if Transmittal.objects.filter(project=project, number=number).exists():
        raise ApplicationError(
            f"Transmittal {number} already exists on {project.code}.", code="duplicate"
        )
    with db_transaction.atomic():
        transmittal = Transmittal.objects.create(
            project=project,
            number=number,
            subject=subject,
            purpose=purpose,
            to_party=to_party,
            from_party=from_party,
            due_on=due_on,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        for document in documents:
            TransmittalItem.objects.create(
                transmittal=transmittal,
                document=document,
                revision=document.revisions.filter(is_current=True).first(),
            )
        audit_record(
            actor=actor,
            action="documents.transmittal.create",
            target=transmittal,
            detail={"project": project.code, "documents": [doc.pk for doc in documents]},
        )
    return transmittal


TRANSMITTAL_TRANSITIONS = {
    TransmittalStatus.DRAFT: {TransmittalStatus.SENT, TransmittalStatus.CLOSED},
    TransmittalStatus.SENT: {
        TransmittalStatus.ACKNOWLEDGED,
        TransmittalStatus.RESPONDED,
        TransmittalStatus.CLOSED,
    },
    TransmittalStatus.ACKNOWLEDGED: {TransmittalStatus.RESPONDED, TransmittalStatus.CLOSED},
    TransmittalStatus.RESPONDED: {TransmittalStatus.CLOSED},
    TransmittalStatus.CLOSED: set(),
}


def transmittal_transition(*, transmittal: Transmittal, actor, to_status: str) -> Transmittal:
    """Move a transmittal along draft → sent → acknowledged → responded → closed (audited)."""
    allowed = TRANSMITTAL_TRANSITIONS.get(transmittal.status, set())
    if to_status not in allowed:
        raise ApplicationError(
            f"A {transmittal.get_status_display().lower()} transmittal cannot become {to_status}.",
            code="illegal_transition",
        )
    before = transmittal.status
    transmittal.status = to_status
    if to_status == TransmittalStatus.SENT and transmittal.sent_on is None:
        transmittal.sent_on = timezone.now().date()
    transmittal.save(update_fields=["status", "sent_on", "updated_at"])
    audit_record(
        actor=actor,
        action="documents.transmittal.transition",
        target=transmittal,
        detail={"from": before, "to": to_status},
    )
    return transmittal
