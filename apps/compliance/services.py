"""Subcontractor compliance: record documents, hold claim payments and block commitments when a
required document is missing or expired, release holds when a valid document arrives, and warn
before expiry."""

from __future__ import annotations

from datetime import date

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.compliance.choices import DocumentKind, DocumentSource, HoldKind, HoldStatus
from apps.compliance.models import (
    ComplianceDocument,
    ComplianceHold,
    CompliancePolicy,
    ComplianceWarning,
)
from apps.compliance.selectors import compliance_expiring, compliance_problems
from apps.core.errors import ApplicationError
from apps.projects.exception_items import exception_item_close


@transaction.atomic
def compliance_document_record(
    *,
    vendor,
    kind: str,
    expires_on: date | None,
    project=None,
    valid_from: date | None = None,
    reference: str = "",
    source: str = DocumentSource.UPLOAD,
    document_ref: str = "",
    actor=None,
) -> ComplianceDocument:
    """Record a compliance document (uploaded or from the document connector) and release the
    holds it cures."""
    if kind not in DocumentKind.values:
        raise ApplicationError(f"Unknown compliance document kind {kind!r}.", code="bad_kind")
    if source not in DocumentSource.values:
        raise ApplicationError(f"Unknown source {source!r}.", code="bad_source")
    if expires_on and valid_from and expires_on < valid_from:
        raise ApplicationError("The document expires before it is valid.", code="bad_dates")
    document = ComplianceDocument.objects.create(
        vendor=vendor,
        project=project,
        kind=kind,
        reference=reference[:120],
        valid_from=valid_from,
        expires_on=expires_on,
        source=source,
        document_ref=document_ref[:200],
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        actor=actor,
        action="compliance.document",
        target=vendor,
        detail={
            "kind": kind,
            "expires_on": expires_on,
            "project": getattr(project, "code", None),
            "source": source,
        },
    )
    compliance_holds_release(vendor=vendor, document=document, actor=actor)
    return document


def compliance_hold_record(
    *, vendor, project, kind: str, problems: list[dict], invoice=None
) -> ComplianceHold:
    """Record (once) what a missing/expired document holds."""
    hold, created = ComplianceHold.objects.get_or_create(
        vendor=vendor,
        project=project,
        kind=kind,
        invoice=invoice,
        status=HoldStatus.ACTIVE,
        defaults={"missing": problems},
    )
    if not created and hold.missing != problems:
        hold.missing = problems
        hold.save(update_fields=["missing"])
    return hold


PURPOSE_OF = {HoldKind.PAYMENT: "payment", HoldKind.COMMITMENT: "commitment"}


@transaction.atomic
def compliance_holds_release(*, vendor, document=None, actor=None) -> int:
    """Release every active hold of the vendor whose documents are now all valid; held claim
    payments are released for payment (and posted) through procurement. Returns how many."""
    from apps.procurement.services.invoices import invoice_payment_release_for_vendor

    released = 0
    projects = set()
    for hold in ComplianceHold.objects.select_for_update().filter(
        vendor=vendor, status=HoldStatus.ACTIVE
    ):
        if compliance_problems(vendor=vendor, project=hold.project, purpose=PURPOSE_OF[hold.kind]):
            continue
        hold.status = HoldStatus.RELEASED
        hold.released_at = timezone.now()
        hold.released_by_document = document
        hold.save(update_fields=["status", "released_at", "released_by_document"])
        exception_item_close(
            trace_key=hold.trace_key,
            reason=f"valid document received: {document}" if document else "documents valid",
        )
        if hold.kind == HoldKind.PAYMENT:
            projects.add(hold.project)
        released += 1
    for project in projects:
        invoice_payment_release_for_vendor(vendor=vendor, actor=actor, project=project)
    return released


def compliance_policy_set(
    *,
    actor,
    kind: str,
    entity=None,
    required: bool = True,
    block_commitment: bool = True,
    hold_claim_payment: bool = True,
    warn_days: int = 30,
) -> CompliancePolicy:
    """Create or change the group's (entity empty) or an entity's policy for a kind (audited)."""
    if kind not in DocumentKind.values:
        raise ApplicationError(f"Unknown compliance document kind {kind!r}.", code="bad_kind")
    policy, _ = CompliancePolicy.objects.update_or_create(
        entity=entity,
        kind=kind,
        defaults={
            "required": required,
            "block_commitment": block_commitment,
            "hold_claim_payment": hold_claim_payment,
            "warn_days": warn_days,
        },
    )
    audit_record(
        actor=actor,
        action="compliance.policy",
        target=policy,
        detail={
            "entity": getattr(entity, "code", None),
            "kind": kind,
            "required": required,
            "block_commitment": block_commitment,
            "hold_claim_payment": hold_claim_payment,
            "warn_days": warn_days,
        },
    )
    return policy


def _owners(document) -> list[str]:
    """The vendor's own address and the people who raised its open commitments."""
    from apps.procurement.models import Commitment

    emails = {document.vendor.email} if document.vendor.email else set()
    commitments = Commitment.objects.filter(vendor=document.vendor).select_related("created_by")
    if document.project_id:
        commitments = commitments.filter(project_id=document.project_id)
    for commitment in commitments:
        creator = getattr(commitment, "created_by", None)
        if creator is not None and creator.email:
            emails.add(creator.email)
    return sorted(emails)


def compliance_expiry_warn(*, today: date | None = None) -> int:
    """Warn the vendor and its owners once per document N days (policy) before it expires."""
    sent = 0
    for document, days_left in compliance_expiring(today=today):
        recipients = _owners(document)
        with transaction.atomic():
            warning, created = ComplianceWarning.objects.get_or_create(
                document=document, defaults={"recipients": recipients}
            )
            if not created:
                continue
            if recipients:
                send_mail(
                    subject=f"{document} expires in {days_left} day(s)",
                    message=(
                        f"The {document.get_kind_display().lower()} of {document.vendor.name} "
                        f"expires on {document.expires_on}. Without a renewed document, new "
                        "commitments are blocked and progress claim payments are held."
                    ),
                    from_email=None,
                    recipient_list=recipients,
                    fail_silently=True,
                )
            audit_record(
                actor=None,
                action="compliance.expiry_warning",
                target=document.vendor,
                detail={"document": document.pk, "days_left": days_left, "to": recipients},
            )
            sent += 1
    return sent
