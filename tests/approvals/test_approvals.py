"""Authority limits, multi-step approval, segregation of duties, delegation inside and outside
its dates, escalation when overdue — all enforced in the services."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.accounts import roles
from apps.accounts.services import user_create
from apps.approvals.choices import Decision, DocumentType, RequestStatus, StepStatus
from apps.approvals.models import ApprovalLevelThreshold, ApprovalRequest, AuthorityRule
from apps.approvals.selectors import approval_waiting_for
from apps.approvals.services import (
    approval_decide,
    approval_escalate_overdue,
    authority_rule_create,
    delegation_create,
    delegation_revoke,
)
from apps.audit.models import AuditEntry
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.procurement.services import requisition_create, requisition_submit
from tests.plugins.procurement import PASSWORD, pending_request

D = Decimal


def submitted_requisition(budget, rob, amount, code=("P3", "09 21 16")):
    requisition = requisition_create(
        project=budget.project,
        requested_by=rob,
        title=f"Drylining {amount}",
        lines=[{"phase": code[0], "cost_code": code[1], "quantity": "1", "unit_price": amount}],
    )
    return requisition_submit(requisition=requisition, actor=rob)


def test_approver_within_limit_approves_and_the_decision_is_audited(
    school_budget, rob, alice, authority
):
    requisition = submitted_requisition(school_budget, rob, "30000")
    request = pending_request(requisition)
    approval_decide(request_id=request.id, actor=alice, decision=Decision.APPROVE, comment="ok")
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    step = request.steps.get()
    assert step.decided_by == alice and step.comment == "ok"
    entry = AuditEntry.objects.filter(action="approval.approve").get()
    assert entry.actor == alice and entry.detail["final"] is True


def test_amount_above_the_approvers_limit_is_refused_with_the_limit(
    school_budget, rob, alice, dora, authority
):
    requisition = submitted_requisition(school_budget, rob, "60000")
    request = pending_request(requisition)
    with pytest.raises(PermissionDeniedError) as refused:
        approval_decide(request_id=request.id, actor=alice, decision=Decision.APPROVE)
    assert refused.value.code == "authority_limit_exceeded"
    assert "above alice's limit of 50000.00 EUR" in refused.value.message
    # The refusal is recorded, the request still waits, and dora (no limit) may approve.
    assert AuditEntry.objects.filter(action="approval.refused").exists()
    approval_decide(request_id=request.id, actor=dora, decision=Decision.APPROVE)
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED


def test_cost_code_scope_limits_authority(school_budget, rob, alice, ada):
    authority_rule_create(
        actor=ada,
        user=alice,
        document_type=DocumentType.REQUISITION,
        currency="EUR",
        amount_limit=D("100000"),
        cost_code_prefixes=["03", "05"],
    )
    request = pending_request(submitted_requisition(school_budget, rob, "1000"))
    with pytest.raises(PermissionDeniedError) as refused:
        approval_decide(request_id=request.id, actor=alice, decision=Decision.APPROVE)
    assert refused.value.code == "cost_code_out_of_scope"
    concrete = pending_request(
        submitted_requisition(school_budget, rob, "1000", ("P1", "03 31 13"))
    )
    approval_decide(request_id=concrete.id, actor=alice, decision=Decision.APPROVE)


def test_multi_step_approval_above_a_limit_needs_two_different_people(
    school_budget, rob, alice, dora, authority
):
    ApprovalLevelThreshold.objects.create(
        document_type=DocumentType.REQUISITION, level=2, above_amount=D("20000"), currency="EUR"
    )
    small = pending_request(submitted_requisition(school_budget, rob, "20000"))
    assert small.required_levels == 1
    request = pending_request(submitted_requisition(school_budget, rob, "20000.01"))
    assert request.required_levels == 2
    assert list(request.steps.values_list("level", "status")) == [
        (1, StepStatus.PENDING),
        (2, StepStatus.WAITING),
    ]
    # Level 2 authority cannot be used before level 1 has decided? It can decide level 1 too,
    # but then it cannot also take level 2: two different people are required.
    approval_decide(request_id=request.id, actor=dora, decision=Decision.APPROVE)
    with pytest.raises(PermissionDeniedError) as refused:
        approval_decide(request_id=request.id, actor=dora, decision=Decision.APPROVE)
    assert refused.value.code == "sod_repeat_approver"
    # alice has only level 1.
    with pytest.raises(PermissionDeniedError) as refused:
        approval_decide(request_id=request.id, actor=alice, decision=Decision.APPROVE)
    assert refused.value.code == "authority_level_too_low"
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING


def test_multi_step_in_order_level_one_then_level_two(school_budget, rob, alice, dora, authority):
    ApprovalLevelThreshold.objects.create(
        document_type=DocumentType.REQUISITION, level=2, above_amount=D("20000"), currency="EUR"
    )
    request = pending_request(submitted_requisition(school_budget, rob, "25000"))
    assert [row["request"].id for row in approval_waiting_for(user=alice)] == [request.id]
    assert approval_waiting_for(user=dora) == []  # not at her level yet
    approval_decide(request_id=request.id, actor=alice, decision=Decision.APPROVE)
    assert approval_waiting_for(user=alice) == []
    assert [row["request"].id for row in approval_waiting_for(user=dora)] == [request.id]
    approval_decide(request_id=request.id, actor=dora, decision=Decision.APPROVE)
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert request.steps.get(level=2).decided_by == dora


def test_nobody_approves_what_they_requested(school_budget, rob, authority):
    # rob somehow holds approval authority too: still refused on his own requisition.
    AuthorityRule.objects.create(
        user=rob, document_type=DocumentType.REQUISITION, level=1, currency="EUR"
    )
    request = pending_request(submitted_requisition(school_budget, rob, "1000"))
    with pytest.raises(PermissionDeniedError) as refused:
        approval_decide(request_id=request.id, actor=rob, decision=Decision.APPROVE)
    assert refused.value.code == "sod_self_approval"


def test_reject_needs_a_comment_and_releases_the_reservation(school_budget, rob, alice, authority):
    requisition = submitted_requisition(school_budget, rob, "5000")
    line = school_budget.line("P3", "09 21 16")
    assert line.pending_commitments == D("5000.00")
    request = pending_request(requisition)
    with pytest.raises(ApplicationError) as refused:
        approval_decide(request_id=request.id, actor=alice, decision=Decision.REJECT)
    assert refused.value.code == "comment_required"
    approval_decide(
        request_id=request.id, actor=alice, decision=Decision.REJECT, comment="use stock"
    )
    requisition.refresh_from_db()
    assert requisition.status == "rejected"
    assert school_budget.line("P3", "09 21 16").pending_commitments == D("0.00")
    with pytest.raises(ApplicationError) as again:
        approval_decide(request_id=request.id, actor=alice, decision=Decision.APPROVE)
    assert again.value.code == "approval_not_pending"


def test_delegation_works_inside_its_dates_only(school_budget, rob, alice, authority, school):
    bob = user_create(username="bob", password=PASSWORD, roles=[roles.APPROVER], projects=[school])
    request = pending_request(submitted_requisition(school_budget, rob, "2000"))
    now = timezone.now()
    delegation = delegation_create(
        actor=alice,
        delegator=alice,
        delegate=bob,
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=8),
        reason="site visit",
    )
    assert AuditEntry.objects.filter(action="delegation.create").get().detail["delegate"] == "bob"
    # Before the period: bob has no authority of his own.
    with pytest.raises(PermissionDeniedError) as refused:
        approval_decide(request_id=request.id, actor=bob, decision=Decision.APPROVE, moment=now)
    assert refused.value.code == "no_authority"
    # After it: same.
    with pytest.raises(PermissionDeniedError):
        approval_decide(
            request_id=request.id,
            actor=bob,
            decision=Decision.APPROVE,
            moment=now + timedelta(days=8, seconds=1),
        )
    # Inside it: bob approves as alice's delegate, and the step says so.
    approval_decide(
        request_id=request.id, actor=bob, decision=Decision.APPROVE, moment=now + timedelta(days=2)
    )
    step = ApprovalRequest.objects.get(id=request.id).steps.get()
    assert step.decided_by == bob and step.on_behalf_of == alice and step.delegation == delegation
    audit = AuditEntry.objects.filter(action="approval.approve").get()
    assert audit.detail["on_behalf_of"] == "alice"


def test_delegate_cannot_exceed_the_delegators_limit_or_approve_for_a_revoked_delegation(
    school_budget, rob, alice, authority, school
):
    bob = user_create(username="bob", password=PASSWORD, roles=[roles.APPROVER], projects=[school])
    now = timezone.now()
    delegation = delegation_create(
        actor=alice,
        delegator=alice,
        delegate=bob,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=1),
    )
    big = pending_request(submitted_requisition(school_budget, rob, "60000"))
    with pytest.raises(PermissionDeniedError) as refused:
        approval_decide(request_id=big.id, actor=bob, decision=Decision.APPROVE)
    assert refused.value.code == "no_authority"
    small = pending_request(submitted_requisition(school_budget, rob, "100"))
    delegation_revoke(delegation=delegation, actor=alice)
    with pytest.raises(PermissionDeniedError):
        approval_decide(request_id=small.id, actor=bob, decision=Decision.APPROVE)


def test_delegating_to_the_requester_does_not_let_them_approve_their_own(
    school_budget, rob, alice, authority
):
    now = timezone.now()
    delegation_create(
        actor=alice,
        delegator=alice,
        delegate=rob,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=1),
    )
    request = pending_request(submitted_requisition(school_budget, rob, "100"))
    with pytest.raises(PermissionDeniedError) as refused:
        approval_decide(request_id=request.id, actor=rob, decision=Decision.APPROVE)
    assert refused.value.code == "sod_self_approval"


def test_delegation_rules(alice, rob, fiona):
    now = timezone.now()
    with pytest.raises(PermissionDeniedError):
        delegation_create(
            actor=rob,
            delegator=alice,
            delegate=rob,
            starts_at=now,
            ends_at=now + timedelta(days=1),
        )
    with pytest.raises(ApplicationError) as refused:
        delegation_create(
            actor=alice, delegator=alice, delegate=alice, starts_at=now, ends_at=now + timedelta(1)
        )
    assert refused.value.code == "delegation_to_self"
    with pytest.raises(ApplicationError) as refused:
        delegation_create(actor=alice, delegator=alice, delegate=fiona, starts_at=now, ends_at=now)
    assert refused.value.code == "delegation_dates"


def test_overdue_step_escalates_to_the_next_level_and_opens_an_exception_item(
    school_budget, rob, alice, dora, authority
):
    request = pending_request(submitted_requisition(school_budget, rob, "1000"))
    step = request.steps.get()
    assert approval_waiting_for(user=dora) == []
    later = step.due_at + timedelta(minutes=1)
    assert approval_escalate_overdue(now=step.due_at - timedelta(minutes=1)) == 0
    assert approval_escalate_overdue(now=later) == 1
    step.refresh_from_db()
    assert step.escalation_level == 1 and step.due_at > later
    # The level-2 director now sees it, and may decide it.
    rows = approval_waiting_for(user=dora, moment=later)
    assert [row["request"].id for row in rows] == [request.id]
    assert AuditEntry.objects.filter(action="approval.escalate").count() == 1
    # Running the sweep again right away escalates nothing more.
    assert approval_escalate_overdue(now=later) == 0
    from apps.exceptions.models import ExceptionItem

    item = ExceptionItem.objects.get(trace_key=f"approval:{request.id}:overdue")
    assert item.category == "approval_overdue"
    approval_decide(request_id=request.id, actor=dora, decision=Decision.APPROVE, moment=later)
    item.refresh_from_db()
    assert item.status == "resolved"
