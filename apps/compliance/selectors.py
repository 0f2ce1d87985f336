"""Reads for subcontractor compliance: the policies in force, what is missing, the overview."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Q
from django.utils import timezone

from apps.compliance.choices import DocumentKind, HoldStatus
from apps.compliance.models import ComplianceDocument, ComplianceHold, CompliancePolicy

PURPOSE_FLAG = {"commitment": "block_commitment", "payment": "hold_claim_payment"}


def compliance_policies_for(*, project=None) -> list[CompliancePolicy]:
    """The group policies, with the project's entity's policy in place of the group's per kind."""
    entity_id = getattr(project, "entity_id", None)
    rows = CompliancePolicy.objects.filter(Q(entity__isnull=True) | Q(entity_id=entity_id))
    by_kind: dict[str, CompliancePolicy] = {}
    for policy in rows.order_by("kind"):
        if policy.entity_id is not None or policy.kind not in by_kind:
            by_kind[policy.kind] = policy
    return list(by_kind.values())


def _documents(vendor, project, kind):
    return ComplianceDocument.objects.filter(vendor=vendor, kind=kind).filter(
        Q(project__isnull=True) | Q(project=project)
    )


def compliance_problems(*, vendor, project=None, purpose: str, on: date | None = None) -> list:
    """[{kind, code, message}] for every required document that is missing or expired under
    the policies that block this purpose ("commitment" or "payment")."""
    on = on or timezone.localdate()
    flag = PURPOSE_FLAG[purpose]
    problems = []
    for policy in compliance_policies_for(project=project):
        if not policy.required or not getattr(policy, flag):
            continue
        documents = list(_documents(vendor, project, policy.kind))
        if any(doc.is_valid_on(on) for doc in documents):
            continue
        label = DocumentKind(policy.kind).label.lower()
        if documents:
            latest = max((d.expires_on for d in documents if d.expires_on), default=None)
            problems.append(
                {
                    "kind": policy.kind,
                    "code": "compliance_expired",
                    "message": f"{label} expired on {latest}",
                }
            )
        else:
            problems.append(
                {"kind": policy.kind, "code": "compliance_missing", "message": f"no {label}"}
            )
    return problems


def compliance_expiring(*, today: date | None = None) -> list[tuple[ComplianceDocument, int]]:
    """Documents that expire within their policy's warning window and were not warned about,
    with the days left (only the latest document per vendor, project and kind)."""
    today = today or timezone.localdate()
    longest = max(
        [p.warn_days for p in CompliancePolicy.objects.all()] or [30],
    )
    rows = (
        ComplianceDocument.objects.filter(
            expires_on__gte=today,
            expires_on__lte=today + timedelta(days=longest),
            warning__isnull=True,
        )
        .select_related("vendor", "project")
        .order_by("expires_on")
    )
    found = []
    for document in rows:
        policies = {p.kind: p for p in compliance_policies_for(project=document.project)}
        policy = policies.get(document.kind)
        if policy is None or not policy.required:
            continue
        days_left = (document.expires_on - today).days
        if days_left > policy.warn_days:
            continue
        newer = _documents(document.vendor, document.project, document.kind).filter(
            Q(expires_on__isnull=True) | Q(expires_on__gt=document.expires_on)
        )
        if newer.exists():
            continue
        found.append((document, days_left))
    return found


def compliance_overview(*, user, project=None, vendor=None) -> list[dict]:
    """Per vendor and project (of the user's projects with commitments): the documents, what is
    missing for commitments and for payments, and the holds."""
    from apps.accounts.selectors import scope_to_user_projects
    from apps.procurement.models import Commitment

    commitments = scope_to_user_projects(
        Commitment.objects.select_related("vendor", "project"), user=user
    )
    if project is not None:
        commitments = commitments.filter(project=project)
    if vendor is not None:
        commitments = commitments.filter(vendor=vendor)
    pairs = {}
    for commitment in commitments:
        pairs[(commitment.vendor_id, commitment.project_id)] = (
            commitment.vendor,
            commitment.project,
        )
    rows = []
    for vendor_obj, project_obj in sorted(
        pairs.values(), key=lambda pair: (pair[1].code, pair[0].code)
    ):
        rows.append(
            {
                "vendor": vendor_obj,
                "project": project_obj,
                "documents": list(
                    _documents_all(vendor_obj, project_obj).order_by("kind", "-expires_on")
                ),
                "commitment_problems": compliance_problems(
                    vendor=vendor_obj, project=project_obj, purpose="commitment"
                ),
                "payment_problems": compliance_problems(
                    vendor=vendor_obj, project=project_obj, purpose="payment"
                ),
                "holds": list(
                    ComplianceHold.objects.filter(vendor=vendor_obj, project=project_obj).order_by(
                        "-created_at"
                    )[:20]
                ),
            }
        )
    return rows


def _documents_all(vendor, project):
    return ComplianceDocument.objects.filter(vendor=vendor).filter(
        Q(project__isnull=True) | Q(project=project)
    )


def compliance_holds_active(*, vendor=None) -> list[ComplianceHold]:
    queryset = ComplianceHold.objects.filter(status=HoldStatus.ACTIVE).select_related(
        "vendor", "project", "invoice"
    )
    if vendor is not None:
        queryset = queryset.filter(vendor=vendor)
    return list(queryset)


def compliance_payment_hold_reason(*, invoice) -> dict | None:
    """A progress-claim payment (a subcontract bill) held for missing/expired documents."""
    from apps.procurement.choices import CommitmentKind

    is_claim = bool(invoice.progress_claim_id) or (
        invoice.commitment_id is not None and invoice.commitment.kind == CommitmentKind.SUBCONTRACT
    )
    if not is_claim:
        return None
    problems = compliance_problems(
        vendor=invoice.vendor, project=invoice.project, purpose="payment"
    )
    if not problems:
        return None
    return {
        "category": "compliance_hold",
        "title": "subcontractor compliance documents missing or expired",
        "reason": f"{invoice.vendor.code}: " + "; ".join(p["message"] for p in problems),
        "trace_key": f"compliance:{invoice.vendor_id}:{invoice.project_id or 0}",
        "problems": problems,
    }


def _visible(queryset, *, user):
    """Rows of the user's projects, and group-wide rows (no project) of vendors with a
    commitment on one of them: what the /compliance/ page would show the user."""
    from apps.accounts.selectors import user_project_ids
    from apps.procurement.models import Commitment

    ids = user_project_ids(user=user)
    if ids is None:
        return queryset
    vendor_ids = Commitment.objects.filter(project_id__in=ids).values("vendor_id")
    return queryset.filter(
        Q(project_id__in=ids) | Q(project__isnull=True, vendor_id__in=vendor_ids)
    )


def compliance_document_list(
    *, user, vendor=None, project=None, kind: str = "", expired: bool | None = None, on=None
):
    """Documents the user may see, newest first; `expired` compares with `on` (default today)."""
    on = on or timezone.localdate()
    queryset = _visible(
        ComplianceDocument.objects.select_related("vendor", "project", "recorded_by"), user=user
    )
    if vendor is not None:
        queryset = queryset.filter(vendor=vendor)
    if project is not None:
        queryset = queryset.filter(Q(project=project) | Q(project__isnull=True))
    if kind:
        queryset = queryset.filter(kind=kind)
    if expired is True:
        queryset = queryset.filter(expires_on__lt=on)
    elif expired is False:
        queryset = queryset.filter(Q(expires_on__isnull=True) | Q(expires_on__gte=on))
    return queryset


def compliance_hold_list(*, user, status: str = "", vendor=None, project=None):
    """Holds the user may see (their projects), newest first."""
    queryset = _visible(
        ComplianceHold.objects.select_related("vendor", "project", "invoice"), user=user
    )
    if status:
        queryset = queryset.filter(status=status)
    if vendor is not None:
        queryset = queryset.filter(vendor=vendor)
    if project is not None:
        queryset = queryset.filter(project=project)
    return queryset
