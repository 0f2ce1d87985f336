"""Approval requests, decisions, delegation and escalation.

Every rule (authority, segregation of duties, delegation dates) is enforced here, never only in
the UI; every decision is audited.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.roles import is_admin
from apps.approvals.choices import Decision, DocumentType, RequestStatus, StepStatus
from apps.approvals.models import ApprovalRequest, ApprovalStep, AuthorityRule, Delegation
from apps.approvals.outcomes import handler_for
from apps.approvals.selectors import approval_levels_required, current_step, step_eligibility
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from apps.projects.exception_items import exception_item_close, exception_item_open
from apps.projects.money import currency_validate, parse_decimal, quantize_money

# How long a step may wait before it is escalated to the next level.
APPROVAL_SLA_HOURS = {
    DocumentType.REQUISITION: 24,
    DocumentType.PURCHASE_ORDER: 48,
    DocumentType.SUBCONTRACT: 72,
    DocumentType.CHANGE_ORDER: 72,
    DocumentType.INVOICE_VARIANCE: 48,
    DocumentType.CONTROL_OVERRIDE: 24,
    DocumentType.POSTING: 24,
}
MAX_ESCALATIONS = 3


def _sla(document_type: str) -> timedelta:
    return timedelta(hours=APPROVAL_SLA_HOURS.get(document_type, 48))


@transaction.atomic
def approval_request_create(
    *,
    document_type: str,
    target,
    project,
    amount: Decimal,
    currency: str,
    requested_by,
    title: str,
    created_by=None,
    summary: str = "",
    cost_codes: list[str] | None = None,
    context: dict | None = None,
) -> ApprovalRequest:
    """Open an approval request with one step per required level (idempotent per document and
    purpose: an open request for the same document is returned, not duplicated)."""
    if document_type not in DocumentType.values:
        raise ApplicationError(
            f"Unknown document type {document_type!r}.", code="bad_document_type"
        )
    currency = currency_validate(currency)
    amount = quantize_money(parse_decimal(amount, field="amount", allow_negative=True), currency)
    content_type = ContentType.objects.get_for_model(type(target))
    existing = ApprovalRequest.objects.filter(
        content_type=content_type,
        object_id=target.pk,
        document_type=document_type,
        status=RequestStatus.PENDING,
    ).first()
    if existing is not None:
        return existing
    now = timezone.now()
    levels = approval_levels_required(
        document_type=document_type,
        project_id=getattr(project, "id", None),
        amount=abs(amount),
        currency=currency,
    )
    try:
        with transaction.atomic():
            request = ApprovalRequest.objects.create(
                document_type=document_type,
                content_type=content_type,
                object_id=target.pk,
                project=project,
                title=title[:255],
                summary=summary,
                amount=abs(amount),
                currency=currency,
                cost_codes=sorted(set(cost_codes or [])),
                requested_by=requested_by,
                created_by=created_by,
                required_levels=levels,
                due_at=now + _sla(document_type) * levels,
                context=context or {},
            )
    except IntegrityError:
        # A concurrent submit opened it a moment ago.
        return ApprovalRequest.objects.get(
            content_type=content_type,
            object_id=target.pk,
            document_type=document_type,
            status=RequestStatus.PENDING,
        )
    ApprovalStep.objects.bulk_create(
        [
            ApprovalStep(
                request=request,
                level=level,
                status=StepStatus.PENDING if level == 1 else StepStatus.WAITING,
                due_at=now + _sla(document_type) if level == 1 else None,
            )
            for level in range(1, levels + 1)
        ]
    )
    audit_record(
        actor=requested_by,
        action="approval.request",
        target=request,
        detail={
            "document_type": document_type,
            "document": str(target),
            "amount": str(request.amount),
            "currency": currency,
            "levels": levels,
        },
    )
    return request


def approval_decide(
    *,
    request_id: int,
    actor,
    decision: str,
    comment: str = "",
    moment: datetime | None = None,
) -> ApprovalRequest:
    """Approve or reject the current step of a request; the final decision calls the document's
    outcome handler in the same transaction (so its own checks can still refuse)."""
    if decision not in Decision.values:
        raise ApplicationError(f"Unknown decision {decision!r}.", code="bad_decision")
    comment = (comment or "").strip()
    if decision == Decision.REJECT and not comment:
        raise ApplicationError(
            "Say why you reject it: a comment is required.", code="comment_required"
        )
    moment = moment or timezone.now()
    with transaction.atomic():
        request = ApprovalRequest.objects.select_for_update().filter(id=request_id).first()
        if request is None:
            raise NotFoundError(f"No approval request {request_id}.")
        if request.status != RequestStatus.PENDING:
            raise ApplicationError(
                f"Request #{request.id} is already {request.get_status_display().lower()}.",
                code="approval_not_pending",
                status_code=409,
            )
        step = current_step(request)
        if step is None:
            raise ApplicationError(
                f"Request #{request.id} has no open step.",
                code="approval_not_pending",
                status_code=409,
            )
        eligibility = step_eligibility(user=actor, step=step, moment=moment)
        if eligibility.allowed:
            _decide_step(request, step, actor, decision, comment, eligibility, moment)
            return request
    # Refused: recorded outside the decision's transaction so the record survives the error.
    audit_record(
        actor=actor,
        action="approval.refused",
        target=request,
        detail={"code": eligibility.code, "message": eligibility.message, "level": step.level},
    )
    raise PermissionDeniedError(
        eligibility.message,
        code=eligibility.code,
        details={"request": request.id, "level": step.level},
    )


def _decide_step(request, step, actor, decision, comment, eligibility, moment) -> None:
    """Record one step's decision; the final one calls the document's outcome handler."""
    step.status = StepStatus.APPROVED if decision == Decision.APPROVE else StepStatus.REJECTED
    step.decided_by = actor
    step.on_behalf_of = eligibility.on_behalf_of
    step.delegation = eligibility.delegation
    step.decided_at = moment
    step.comment = comment
    step.save()
    final = False
    if decision == Decision.REJECT:
        request.status = RequestStatus.REJECTED
        request.steps.filter(status=StepStatus.WAITING).update(status=StepStatus.CANCELLED)
        final = True
    else:
        following = request.steps.filter(status=StepStatus.WAITING).order_by("level").first()
        if following is None:
            request.status = RequestStatus.APPROVED
            final = True
        else:
            following.status = StepStatus.PENDING
            following.due_at = moment + _sla(request.document_type)
            following.save(update_fields=["status", "due_at"])
    if final:
        request.decided_at = moment
    request.save(update_fields=["status", "decided_at"])
    audit_record(
        actor=actor,
        action=f"approval.{decision}",
        target=request,
        detail={
            "level": step.level,
            "of_levels": request.required_levels,
            "comment": comment,
            "on_behalf_of": (
                eligibility.on_behalf_of.get_username() if eligibility.on_behalf_of else None
            ),
            "delegation": eligibility.delegation.id if eligibility.delegation else None,
            "final": final,
            "amount": str(request.amount),
        },
    )
    if final:
        exception_item_close(
            trace_key=f"approval:{request.id}:overdue",
            reason=f"decided: {request.status}",
        )
        handler = handler_for(request.document_type)
        if handler is not None:
            handler(
                request=request,
                approved=request.status == RequestStatus.APPROVED,
                actor=actor,
            )


@transaction.atomic
def approval_cancel(*, request: ApprovalRequest, actor, reason: str) -> ApprovalRequest:
    """Withdraw an open request (the document was cancelled or changed)."""
    request = ApprovalRequest.objects.select_for_update().get(id=request.id)
    if request.status != RequestStatus.PENDING:
        return request
    request.status = RequestStatus.CANCELLED
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at"])
    request.steps.filter(status__in=[StepStatus.PENDING, StepStatus.WAITING]).update(
        status=StepStatus.CANCELLED
    )
    audit_record(actor=actor, action="approval.cancel", target=request, detail={"reason": reason})
    exception_item_close(trace_key=f"approval:{request.id}:overdue", reason="cancelled")
    return request


@transaction.atomic
def delegation_create(
    *,
    actor,
    delegator,
    delegate,
    starts_at: datetime,
    ends_at: datetime,
    project=None,
    document_types: list[str] | None = None,
    reason: str = "",
) -> Delegation:
    """Lend the delegator's approval authority to a delegate between two moments (audited)."""
    if actor.id != delegator.id and not is_admin(actor):
        raise PermissionDeniedError(
            "Only the delegator (or an admin) can delegate their authority.", code="not_delegator"
        )
    if delegate.id == delegator.id:
        raise ApplicationError("You cannot delegate to yourself.", code="delegation_to_self")
    if not delegate.is_active:
        raise ApplicationError(
            f"{delegate.get_username()} is not active.", code="delegate_inactive"
        )
    if ends_at <= starts_at:
        raise ApplicationError("A delegation must end after it starts.", code="delegation_dates")
    if ends_at <= timezone.now():
        raise ApplicationError("That period is already over.", code="delegation_dates")
    document_types = sorted(set(document_types or []))
    unknown = [d for d in document_types if d not in DocumentType.values]
    if unknown:
        raise ApplicationError(f"Unknown document types: {unknown}.", code="bad_document_type")
    delegation = Delegation.objects.create(
        delegator=delegator,
        delegate=delegate,
        starts_at=starts_at,
        ends_at=ends_at,
        project=project,
        document_types=document_types,
        reason=reason[:255],
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="delegation.create",
        target=delegation,
        detail={
            "delegator": delegator.get_username(),
            "delegate": delegate.get_username(),
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
            "project": getattr(project, "code", None),
            "document_types": document_types,
            "reason": reason,
        },
    )
    return delegation


@transaction.atomic
def delegation_revoke(*, delegation: Delegation, actor) -> Delegation:
    """End a delegation now (audited)."""
    if actor.id not in (delegation.delegator_id, delegation.created_by_id) and not is_admin(actor):
        raise PermissionDeniedError(
            "Only the delegator can revoke this delegation.", code="not_delegator"
        )
    if delegation.revoked_at is None:
        delegation.revoked_at = timezone.now()
        delegation.revoked_by = actor
        delegation.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(actor=actor, action="delegation.revoke", target=delegation, detail={})
    return delegation


@transaction.atomic
def authority_rule_create(
    *,
    actor,
    document_type: str,
    currency: str,
    role: str = "",
    user=None,
    project=None,
    level: int = 1,
    amount_limit: Decimal | None = None,
    cost_code_prefixes: list[str] | None = None,
    valid_from=None,
    valid_to=None,
    note: str = "",
) -> AuthorityRule:
    """Add a row to the authority matrix (audited)."""
    if bool(role) == bool(user):
        raise ApplicationError(
            "An authority rule names a role or a user, not both.", code="bad_rule"
        )
    if document_type not in DocumentType.values:
        raise ApplicationError(
            f"Unknown document type {document_type!r}.", code="bad_document_type"
        )
    if level < 1:
        raise ApplicationError("Levels start at 1.", code="bad_rule")
    currency = currency_validate(currency)
    if amount_limit is not None:
        amount_limit = quantize_money(parse_decimal(amount_limit, field="amount_limit"), currency)
    rule = AuthorityRule.objects.create(
        role=role,
        user=user,
        project=project,
        document_type=document_type,
        level=level,
        amount_limit=amount_limit,
        currency=currency,
        cost_code_prefixes=list(cost_code_prefixes or []),
        valid_from=valid_from,
        valid_to=valid_to,
        note=note,
    )
    audit_record(
        actor=actor,
        action="authority_rule.create",
        target=rule,
        detail={
            "role": role,
            "user": user.get_username() if user else None,
            "project": getattr(project, "code", None),
            "document_type": document_type,
            "level": level,
            "amount_limit": str(amount_limit) if amount_limit is not None else None,
            "currency": currency,
            "cost_code_prefixes": list(cost_code_prefixes or []),
        },
    )
    return rule


def approval_escalate_overdue(*, now: datetime | None = None) -> int:
    """Escalate every overdue step one level up (the next level / group lead sees it in their
    list), give it a new due time, and open an `approval_overdue` exception item."""
    now = now or timezone.now()
    escalated = 0
    overdue_ids = list(
        ApprovalStep.objects.filter(
            status=StepStatus.PENDING,
            request__status=RequestStatus.PENDING,
            due_at__lt=now,
            escalation_level__lt=MAX_ESCALATIONS,
        ).values_list("id", flat=True)[:1000]
    )
    for step_id in overdue_ids:
        with transaction.atomic():
            step = (
                ApprovalStep.objects.select_for_update(of=("self",))
                .select_related("request", "request__project")
                .filter(id=step_id, status=StepStatus.PENDING, due_at__lt=now)
                .first()
            )
            if step is None:  # decided or escalated by someone else meanwhile
                continue
            overdue_for = now - step.due_at
            step.escalation_level += 1
            step.escalated_at = now
            step.due_at = now + _sla(step.request.document_type)
            step.save(update_fields=["escalation_level", "escalated_at", "due_at"])
            request = step.request
            audit_record(
                actor=None,
                action="approval.escalate",
                target=request,
                detail={
                    "level": step.level,
                    "escalated_to_level": step.level + step.escalation_level,
                    "overdue_hours": round(overdue_for.total_seconds() / 3600, 1),
                },
            )
            exception_item_open(
                category="approval_overdue",
                title=f"Approval overdue: {request.title}"[:200],
                reason=(
                    f"Step {step.level} of {request.get_document_type_display().lower()} request "
                    f"#{request.id} waited past its due time; escalated to level "
                    f"{step.level + step.escalation_level}."
                ),
                trace_key=f"approval:{request.id}:overdue",
                project=request.project,
                amount=request.amount,
                currency=request.currency,
                details={
                    "request": request.id,
                    "step": step.id,
                    "escalations": step.escalation_level,
                },
            )
            escalated += 1
    return escalated


def user_by_username(username: str):
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFoundError(f"No user {username}.")
    return user
