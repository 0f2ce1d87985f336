"""/approvals/: waiting for me (with delegated and escalated items), my requests, history,
one-click approve / reject with a comment (htmx), and my delegations."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.roles import APPROVER, FINANCE, REQUESTER, role_required
from apps.approvals.choices import Decision
from apps.approvals.forms import DecisionForm, DelegationForm
from apps.approvals.models import Delegation
from apps.approvals.selectors import (
    approval_history,
    approval_mine,
    approval_request_get,
    approval_waiting_for,
    authority_rule_list,
    delegation_list,
)
from apps.approvals.services import approval_decide, delegation_create, delegation_revoke
from apps.core.errors import ApplicationError, NotFoundError

APPROVAL_ROLES = (REQUESTER, APPROVER, FINANCE)


@role_required(*APPROVAL_ROLES)
def index(request):
    user = request.user
    return render(
        request,
        "approvals/index.html",
        {
            "waiting": approval_waiting_for(user=user, limit=100),
            "mine": approval_mine(user=user)[:50],
            "history": approval_history(user=user)[:50],
            "delegations": delegation_list(user=user)[:20],
            "rules": authority_rule_list(user=user)[:50],
            "delegation_form": DelegationForm(user=user),
        },
    )


@role_required(*APPROVAL_ROLES)
@require_POST
def decide(request, request_id: int, decision: str):
    """Approve or reject; an htmx click gets the row back showing the outcome (or the refusal)."""
    if decision not in Decision.values:
        raise Http404("Unknown decision.")
    try:
        approval = approval_request_get(user=request.user, request_id=request_id)
    except NotFoundError as exc:
        raise Http404(exc.message) from None
    form = DecisionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    error = ""
    try:
        approval_decide(
            request_id=approval.id, actor=request.user, decision=decision, comment=comment
        )
    except ApplicationError as exc:
        error = exc.message
    approval.refresh_from_db()
    if request.htmx:
        return render(
            request,
            "approvals/index.html#decided-row",
            {"approval": approval, "error": error},
            status=200,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"#{approval.id} {approval.get_status_display().lower()}.")
    return redirect("approvals:index")


@role_required(*APPROVAL_ROLES)
@require_POST
def delegation_new(request):
    form = DelegationForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            delegation = delegation_create(
                actor=request.user,
                delegator=request.user,
                delegate=form.cleaned_data["delegate"],
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
                document_types=form.cleaned_data["document_types"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, f"Delegated to {delegation.delegate.username}.")
        except ApplicationError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(
            request,
            "The delegation is incomplete: "
            + "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()),
        )
    return redirect("approvals:index")


@role_required(*APPROVAL_ROLES)
@require_POST
def delegation_end(request, delegation_id: int):
    delegation = Delegation.objects.filter(id=delegation_id, delegator=request.user).first()
    if delegation is None:
        raise Http404("No such delegation of yours.")
    try:
        delegation_revoke(delegation=delegation, actor=request.user)
        messages.success(request, "Delegation ended.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("approvals:index")
