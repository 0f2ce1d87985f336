"""RFIs and issues in the document register: the platform's RFI (normalised by its connector,
resource kind "rfi") upserts the register entry and its Rfi fields; an RFI flagged with cost
impact opens one potential change (idempotent on resend), which change management can turn into
a draft owner change order."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction as db_transaction
from django.utils import timezone
from django.utils.dateparse import parse_date

from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.documents.choices import DocumentKind
from apps.documents.models import Document, PotentialChange, Rfi
from apps.documents.services import aware_datetime

# Platform words for "yes, it has an impact" (Procore: yes_known / yes_unknown; ACC: true).
IMPACT_YES = {"yes", "yes_known", "yes_unknown", "true", "1", "y"}


@dataclass
class RfiApplyResult:
    document: Document
    rfi: Rfi
    created: bool = False
    changed: bool = False
    stale: bool = False
    potential_change: PotentialChange | None = None
    potential_change_created: bool = False
    warnings: list[dict] = field(default_factory=list)
    events: list = field(default_factory=list)


def impact_flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in IMPACT_YES


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _int(value) -> int | None:
    try:
        return int(Decimal(str(value))) if value not in (None, "") else None
    except (InvalidOperation, ValueError):
        return None


def rfi_apply_resource(
    *, project, system, resource: dict[str, Any], transaction_id: int | None = None
) -> RfiApplyResult:
    """Upsert the register entry and RFI fields; open the potential change on cost impact."""
    key = str(resource.get("document_external_id") or resource.get("external_id") or "")
    if not key:
        raise ApplicationError("The RFI has no id.", code="schema_invalid")
    source_time = aware_datetime(resource.get("updated_at")) or timezone.now()
    details = resource.get("rfi") or {}
    with db_transaction.atomic():
        document = (
            Document.objects.select_for_update()
            .filter(system=system, kind=DocumentKind.RFI, external_id=key)
            .first()
        )
        created = document is None
        if created:
            document = Document.objects.create(
                project=project, system=system, kind=DocumentKind.RFI, external_id=key
            )
        rfi, rfi_created = Rfi.objects.get_or_create(document=document)
        result = RfiApplyResult(document=document, rfi=rfi, created=created or rfi_created)
        if (
            not created
            and document.source_updated_at is not None
            and source_time < document.source_updated_at
        ):
            result.stale = True
            return result
        status = str(resource.get("status") or details.get("status") or "")
        values = {
            "number": str(resource.get("number") or ""),
            "title": str(resource.get("title") or details.get("subject") or ""),
            "url": str(resource.get("url") or ""),
            "status_code": status,
            "status_label": status.replace("_", " ").capitalize(),
        }
        for name, value in values.items():
            value = value[: Document._meta.get_field(name).max_length]
            if getattr(document, name) != value:
                setattr(document, name, value)
                result.changed = True
        if result.changed and document.status_code != status:
            document.status_changed_at = source_time
        document.status_known = True
        document.review_due_on = parse_date(str(details.get("due_date") or "")[:10]) or None
        document.source_updated_at = source_time
        if transaction_id:
            document.last_transaction_id = transaction_id
        document.save()
        rfi_values = {
            "number": values["number"][:120],
            "subject": str(details.get("subject") or values["title"])[:300],
            "status": status[:40],
            "ball_in_court": str(details.get("ball_in_court") or "")[:300],
            "due_date": document.review_due_on,
            "cost_impact": impact_flag(details.get("cost_impact")),
            "cost_impact_amount": _decimal(details.get("cost_impact_amount")),
            "schedule_impact": impact_flag(details.get("schedule_impact")),
            "schedule_impact_days": _int(details.get("schedule_impact_days")),
        }
        for name, value in rfi_values.items():
            if getattr(rfi, name) != value:
                setattr(rfi, name, value)
                result.changed = True
        rfi.save()
        if rfi.cost_impact:
            result.potential_change, result.potential_change_created = potential_change_open(
                rfi=rfi
            )
    return result


def potential_change_open(*, rfi: Rfi) -> tuple[PotentialChange, bool]:
    """The RFI's potential change: opened the first time cost impact is flagged, then only its
    estimate follows the RFI (a resend or a later update never opens a second one)."""
    project = rfi.document.project
    existing = PotentialChange.objects.select_for_update().filter(rfi=rfi).first()
    if existing is not None:
        if (
            rfi.cost_impact_amount is not None
            and existing.estimated_amount != rfi.cost_impact_amount
            and existing.status == PotentialChange.Status.OPEN
        ):
            existing.estimated_amount = rfi.cost_impact_amount
            existing.save(update_fields=["estimated_amount", "updated_at"])
        return existing, False
    change = PotentialChange.objects.create(
        project=project,
        rfi=rfi,
        title=f"RFI {rfi.number}: {rfi.subject}"[:300],
        estimated_amount=rfi.cost_impact_amount,
        currency=project.currency,
    )
    audit_record(
        actor=None,
        actor_label="documents",
        action="potential_change.open",
        target=change,
        detail={"rfi": rfi.number, "estimate": str(rfi.cost_impact_amount or "")},
    )
    return change, True


@db_transaction.atomic
def potential_change_raise_change_order(
    *, potential_change: PotentialChange, actor, lines: list[dict], title: str = ""
):
    """Turn a potential change into a draft owner change order (procurement's service), linked
    both ways. Refused when one was raised already."""
    from apps.procurement.choices import ChangeOrderKind
    from apps.procurement.services import change_order_create

    change = PotentialChange.objects.select_for_update().get(pk=potential_change.pk)
    if change.change_order_id:
        raise ApplicationError(
            f"{change} already has change order {change.change_order.number}.",
            code="change_order_exists",
            status_code=409,
        )
    change_order = change_order_create(
        project=change.project,
        kind=ChangeOrderKind.OWNER,
        title=title or change.title,
        reason=f"From RFI {change.rfi.number} ({change.rfi.subject})",
        lines=lines,
        created_by=actor,
    )
    change.change_order = change_order
    change.status = PotentialChange.Status.CHANGE_ORDER
    change.save(update_fields=["change_order", "status", "updated_at"])
    audit_record(
        actor=actor,
        action="potential_change.change_order",
        target=change,
        detail={"change_order": change_order.number},
    )
    return change_order
