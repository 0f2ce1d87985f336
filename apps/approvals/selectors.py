from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.accounts.roles import user_roles
from apps.accounts.selectors import scope_to_user_projects, user_can_see_project
from apps.approvals.choices import DocumentType, RequestStatus, StepStatus
from apps.approvals.models import (
    ApprovalLevelThreshold,
    ApprovalRequest,
    ApprovalStep,
    AuthorityRule,
    Delegation,
)
from apps.approvals.outcomes import sod_checks_for
from apps.core.errors import ApplicationError


@dataclass
class AuthorityVerdict:
    allowed: bool
    code: str
    message: str
    rule: AuthorityRule | None = None
    level: int = 0


@dataclass
class Eligibility:
    """Whether a user may decide a step now, and as whom."""

    allowed: bool
    code: str
    message: str
    on_behalf_of: object | None = None
    delegation: Delegation | None = None
    level: int = 0


def authority_rules_for(
    *, user, document_type: str, project_id: int | None, on_date
) -> list[AuthorityRule]:
    """The active authority rules of a user (directly or through a role) for a document type."""
    roles = user_roles(user)
    queryset = AuthorityRule.objects.filter(
        Q(user=user) | Q(user__isnull=True, role__in=roles),
        document_type=document_type,
        active=True,
    ).filter(Q(project__isnull=True) | Q(project_id=project_id))
    queryset = queryset.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on_date))
    queryset = queryset.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on_date))
    return list(queryset)


def _in_scope(rule: AuthorityRule, cost_codes: list[str]) -> bool:
    prefixes = [p for p in (rule.cost_code_prefixes or []) if p]
    if not prefixes:
        return True
    return all(any(code.startswith(prefix) for prefix in prefixes) for code in cost_codes)


def authority_evaluate(
    *, user, request: ApprovalRequest, level: int, moment: datetime | None = None
) -> AuthorityVerdict:
    """Does this user's own authority cover this request at this level? With the precise reason
    when not: no rule, level too low, cost code out of scope, or amount above the limit."""
    moment = moment or timezone.now()
    if not getattr(user, "is_active", False):
        return AuthorityVerdict(False, "user_inactive", "The user is not active.")
    if not user_can_see_project(user=user, project_id=request.project_id):
        return AuthorityVerdict(
            False, "not_in_project", f"{user.get_username()} is not a member of this project."
        )
    rules = authority_rules_for(
        user=user,
        document_type=request.document_type,
        project_id=request.project_id,
        on_date=moment.date(),
    )
    label = DocumentType(request.document_type).label.lower()
    rules = [rule for rule in rules if rule.currency == request.currency]
    if not rules:
        return AuthorityVerdict(
            False,
            "no_authority",
            f"{user.get_username()} has no authority to approve a {label} on this project.",
        )
    at_level = [rule for rule in rules if rule.level >= level]
    if not at_level:
        return AuthorityVerdict(
            False,
            "authority_level_too_low",
            f"Step {level} needs level-{level} authority; {user.get_username()} has level "
            f"{max(rule.level for rule in rules)}.",
        )
    in_scope = [rule for rule in at_level if _in_scope(rule, request.cost_codes or [])]
    if not in_scope:
        return AuthorityVerdict(
            False,
            "cost_code_out_of_scope",
            f"{user.get_username()}'s authority does not cover cost codes "
            f"{', '.join(request.cost_codes or [])}.",
        )
    covering = [
        rule
        for rule in in_scope
        if rule.amount_limit is None or rule.amount_limit >= request.amount
    ]
    if not covering:
        best = max(rule.amount_limit for rule in in_scope)
        return AuthorityVerdict(
            False,
            "authority_limit_exceeded",
            f"{request.amount} {request.currency} is above {user.get_username()}'s limit of "
            f"{best} {request.currency} for a {label}.",
        )
    rule = min(covering, key=lambda r: r.level)
    return AuthorityVerdict(True, "ok", "authority covers the request", rule=rule, level=rule.level)


def _sod_problem(*, request: ApprovalRequest, user, step: ApprovalStep | None) -> tuple[str, str]:
    """Segregation of duties for one person: ('', '') when clear."""
    name = user.get_username()
    if user.id in {request.requested_by_id, request.created_by_id}:
        return (
            "sod_self_approval",
            f"{name} requested or created this document and cannot approve it.",
        )
    other_steps = request.steps.filter(status=StepStatus.APPROVED)
    if step is not None:
        other_steps = other_steps.exclude(id=step.id)
    if other_steps.filter(Q(decided_by=user) | Q(on_behalf_of=user)).exists():
        return "sod_repeat_approver", f"{name} already approved another step of this request."
    for check in sod_checks_for(request.document_type):
        try:
            check(request=request, user=user)
        except ApplicationError as exc:
            return exc.code, exc.message
    return "", ""


def delegations_active_for(*, delegate, moment: datetime | None = None) -> QuerySet[Delegation]:
    moment = moment or timezone.now()
    return Delegation.objects.filter(
        delegate=delegate, revoked_at__isnull=True, starts_at__lte=moment, ends_at__gt=moment
    ).select_related("delegator")


def step_eligibility(*, user, step: ApprovalStep, moment: datetime | None = None) -> Eligibility:
    """May this user decide this step now: by their own authority or as a delegate, and never
    against segregation of duties (checked for the delegate and for whom they act)."""
    moment = moment or timezone.now()
    request = step.request
    code, message = _sod_problem(request=request, user=user, step=step)
    if code:
        return Eligibility(False, code, message)
    own = authority_evaluate(user=user, request=request, level=step.level, moment=moment)
    if own.allowed:
        return Eligibility(True, "ok", own.message, level=own.level)
    refusal = Eligibility(False, own.code, own.message)
    for delegation in delegations_active_for(delegate=user, moment=moment):
        if delegation.project_id and delegation.project_id != request.project_id:
            continue
        if delegation.document_types and request.document_type not in delegation.document_types:
            continue
        delegator = delegation.delegator
        code, message = _sod_problem(request=request, user=delegator, step=step)
        if code:
            refusal = Eligibility(
                False, code, f"As delegate of {delegator.get_username()}: {message}"
            )
            continue
        verdict = authority_evaluate(
            user=delegator, request=request, level=step.level, moment=moment
        )
        if verdict.allowed:
            return Eligibility(
                True,
                "ok",
                f"as delegate of {delegator.get_username()} "
                f"until {delegation.ends_at:%Y-%m-%d %H:%M}",
                on_behalf_of=delegator,
                delegation=delegation,
                level=verdict.level,
            )
    return refusal


def approval_levels_required(
    *, document_type: str, project_id: int | None, amount, currency: str
) -> int:
    """1 + one more level for every threshold the amount is above (project rows win over the
    entity's rows, which win over group-wide rows for the same document type)."""
    thresholds = ApprovalLevelThreshold.objects.filter(
        document_type=document_type, currency=currency
    ).filter(Q(project__isnull=True) | Q(project_id=project_id))
    project_rows = [t for t in thresholds if t.project_id is not None]
    rows = project_rows or _entity_thresholds(document_type, currency, project_id)
    rows = rows or [t for t in thresholds if t.project_id is None]
    levels = {1}
    for threshold in rows:
        if amount > threshold.above_amount:
            levels.add(threshold.level)
    return max(levels)


def _entity_thresholds(document_type: str, currency: str, project_id: int | None) -> list:
    """The project's entity's own chain (apps.entities), in place of the group thresholds."""
    from apps.entities.selectors import entity_approval_thresholds

    return entity_approval_thresholds(
        document_type=document_type, currency=currency, project_id=project_id
    )


def current_step(request: ApprovalRequest) -> ApprovalStep | None:
    return request.steps.filter(status=StepStatus.PENDING).order_by("level").first()


def approval_request_get(*, user, request_id: int) -> ApprovalRequest:
    from apps.core.errors import NotFoundError

    request = (
        scope_to_user_projects(ApprovalRequest.objects.all(), user=user)
        .select_related("project", "requested_by", "content_type")
        .filter(id=request_id)
        .first()
    )
    if request is None:
        raise NotFoundError(f"No approval request {request_id} that you can see.")
    return request


def approval_waiting_for(*, user, moment: datetime | None = None, limit: int = 500) -> list[dict]:
    """Steps this user may decide now (own authority or delegated), at their level or escalated
    to it: the "waiting for me" list."""
    moment = moment or timezone.now()
    steps = (
        ApprovalStep.objects.filter(
            status=StepStatus.PENDING, request__status=RequestStatus.PENDING
        )
        .select_related("request", "request__project", "request__requested_by")
        .order_by("due_at", "id")
    )
    steps = scope_to_user_projects(steps, user=user, field="request__project")
    rows = []
    for step in steps[: limit * 4]:
        eligibility = step_eligibility(user=user, step=step, moment=moment)
        if not eligibility.allowed:
            continue
        # A director (level 2) sees level-1 steps only once they are escalated to them.
        if eligibility.level > step.level + step.escalation_level:
            continue
        rows.append(
            {
                "step": step,
                "request": step.request,
                "eligibility": eligibility,
                "overdue": step.due_at is not None and step.due_at < moment,
            }
        )
        if len(rows) >= limit:
            break
    return rows


def approval_mine(*, user) -> QuerySet[ApprovalRequest]:
    """Requests this user asked for, newest first."""
    return (
        ApprovalRequest.objects.filter(requested_by=user)
        .select_related("project")
        .prefetch_related("steps")
        .order_by("-id")
    )


def approval_history(*, user) -> QuerySet[ApprovalRequest]:
    """Requests this user decided a step of (also as a delegate), newest first."""
    return (
        ApprovalRequest.objects.filter(Q(steps__decided_by=user) | Q(steps__on_behalf_of=user))
        .distinct()
        .select_related("project", "requested_by")
        .order_by("-id")
    )


def approval_requests_for(*, target) -> QuerySet[ApprovalRequest]:
    content_type = ContentType.objects.get_for_model(type(target))
    return ApprovalRequest.objects.filter(content_type=content_type, object_id=target.pk)


def approval_deciders(*, targets: list) -> set[int]:
    """Ids of everyone who approved a step for these documents, including whom a delegate acted
    for (used by SoD rules such as "the PO approver cannot confirm its receipt")."""
    ids: set[int] = set()
    for target in targets:
        if target is None:
            continue
        steps = ApprovalStep.objects.filter(
            request__in=approval_requests_for(target=target), status=StepStatus.APPROVED
        ).values_list("decided_by_id", "on_behalf_of_id")
        for decided_by, on_behalf_of in steps:
            ids.update(i for i in (decided_by, on_behalf_of) if i)
    return ids


def posting_gate_passed(*, target) -> bool:
    """The accounting-approver gate: an approved posting request exists for this document."""
    return (
        approval_requests_for(target=target)
        .filter(document_type=DocumentType.POSTING, status=RequestStatus.APPROVED)
        .exists()
    )


def delegation_list(*, user) -> QuerySet[Delegation]:
    return (
        Delegation.objects.filter(Q(delegator=user) | Q(delegate=user))
        .select_related("delegator", "delegate", "project")
        .order_by("-starts_at")
    )


def authority_rule_list(*, user=None) -> QuerySet[AuthorityRule]:
    queryset = AuthorityRule.objects.select_related("user", "project")
    if user is not None:
        queryset = queryset.filter(Q(user=user) | Q(user__isnull=True, role__in=user_roles(user)))
    return queryset.order_by("document_type", "level", "amount_limit")
