"""Workflow steps performed by the hub (DESIGN §6) and the instance rows that track them.

Each function here is called from the step that performs it: the pipeline's handlers (a
submittal response, a milestone slip, a change event) and the procurement outbound routing (a PO
or a budget revision leaving for Odoo). An instance follows the ledger transaction that last
moved it; its correlation id is that transaction's, so the flow's writes to Odoo (children of
that transaction) share it.
"""

from __future__ import annotations

import logging
from datetime import date

from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.exceptions.choices import ExceptionCategory
from apps.exceptions.services import exception_auto_resolve, exception_open
from apps.workflows.choices import InstanceStatus
from apps.workflows.definitions import (
    CHANGE_MANAGEMENT,
    DOCUMENT_PROCUREMENT,
    SCHEDULE_PROCUREMENT,
    WORKFLOWS,
)
from apps.workflows.models import WorkflowInstance, WorkflowSubject

logger = logging.getLogger(__name__)


def workflow_instance_move(
    *,
    workflow: str,
    key: str,
    transaction,
    step: str,
    project=None,
    title: str = "",
    status: str = InstanceStatus.RUNNING,
    reason: str = "",
    detail: dict | None = None,
    subjects: tuple[tuple[str, str], ...] = (),
) -> WorkflowInstance:
    """Start the instance (workflow, key) or move it to `step`, following `transaction`."""
    if workflow not in WORKFLOWS or WORKFLOWS[workflow].step_index(step) < 0:
        raise ValueError(f"unknown workflow step {workflow}.{step}")
    now = timezone.now()
    with db_transaction.atomic():
        instance = (
            WorkflowInstance.objects.select_for_update()
            .filter(workflow=workflow, key=key[:200])
            .first()
        )
        if instance is None:
            try:
                with db_transaction.atomic():
                    instance = WorkflowInstance.objects.create(
                        workflow=workflow,
                        key=key[:200],
                        title=title[:255],
                        project=project,
                        correlation_id=transaction.correlation_id if transaction else "",
                        origin_transaction_id=transaction.pk if transaction else None,
                        last_transaction_id=transaction.pk if transaction else None,
                        current_step=step,
                        status=status,
                        reason=reason,
                        detail=detail or {},
                        started_at=now,
                        updated_at=now,
                    )
            except IntegrityError:
                instance = WorkflowInstance.objects.select_for_update().get(
                    workflow=workflow, key=key[:200]
                )
        if instance.current_step != step or instance.last_transaction_id != getattr(
            transaction, "pk", instance.last_transaction_id
        ):
            if transaction is not None and transaction.correlation_id != instance.correlation_id:
                # A later event of the same flow (e.g. the approval after a rejection): the
                # flow's next writes descend from it, so its correlation id is the flow's now.
                earlier = instance.detail.setdefault("earlier_correlation_ids", [])
                if instance.correlation_id and instance.correlation_id not in earlier:
                    earlier.append(instance.correlation_id)
                instance.correlation_id = transaction.correlation_id
            if transaction is not None:
                instance.last_transaction_id = transaction.pk
            instance.current_step = step
        instance.status = status
        instance.reason = reason
        if title and not instance.title:
            instance.title = title[:255]
        if project is not None and instance.project_id is None:
            instance.project = project
        if detail:
            instance.detail.update(detail)
        instance.updated_at = now
        instance.save()
        for subject_domain, subject_id in subjects:
            WorkflowSubject.objects.get_or_create(
                instance=instance, subject_domain=subject_domain, subject_id=str(subject_id)[:255]
            )
    return instance


def _instance_for_subject(*, workflow: str, subject_domain: str, subject_id: str):
    link = (
        WorkflowSubject.objects.filter(
            instance__workflow=workflow, subject_domain=subject_domain, subject_id=subject_id
        )
        .select_related("instance")
        .order_by("-id")
        .first()
    )
    return link.instance if link else None


def workflow_outbound_parent(*, domain: str, operation: str, subject):
    """The ledger transaction a procurement write to Odoo descends from when a workflow carried
    its document (None when no workflow did): a PO issued for a requisition a submittal released,
    a budget revision for a change order a platform change event raised. The instance moves on.
    """
    from apps.ledger.models import Transaction

    if domain == "commitment" and operation == "create":
        requisition = getattr(subject, "requisition", None)
        if requisition is None:
            return None
        workflow, subject_domain, subject_id, step = (
            DOCUMENT_PROCUREMENT,
            "requisition",
            requisition.number,
            "po_issued",
        )
    elif (domain, operation) in (("budget_line", "revise"), ("change_order", "apply")):
        workflow, subject_domain, subject_id, step = (
            CHANGE_MANAGEMENT,
            "change_order",
            subject.number,
            "approved",
        )
    else:
        return None
    instance = _instance_for_subject(
        workflow=workflow, subject_domain=subject_domain, subject_id=subject_id
    )
    if instance is None or instance.last_transaction_id is None:
        return None
    parent = Transaction.objects.filter(pk=instance.last_transaction_id).first()
    if parent is None:
        return None
    workflow_instance_move(
        workflow=workflow,
        key=instance.key,
        transaction=parent,
        step=step,
        subjects=((domain, subject.number),),
    )
    return parent


# --- document-driven procurement -----------------------------------------------------------


def _procurement_documents(*, project, refs: list[str]) -> list:
    """The requisitions / commitments the register's procurement refs name ("REQ-1/2" is line 2
    of requisition REQ-1; a commitment is named by its number or its Odoo name)."""
    from apps.procurement.models import Commitment, Requisition

    found, seen = [], set()
    for ref in refs:
        number = str(ref).split("/")[0].strip()
        if not number or number in seen:
            continue
        seen.add(number)
        target = Requisition.objects.filter(project=project, number=number).first()
        if target is None:
            target = (
                Commitment.objects.filter(project=project, number=number).first()
                or Commitment.objects.filter(project=project, external_ref=number).first()
            )
        found.append((number, target))
    return found


def _release(target) -> str:
    """Submit a draft requisition / commitment for approval; returns what happened."""
    from apps.procurement.choices import CommitmentStatus, RequisitionStatus
    from apps.procurement.models import Requisition
    from apps.procurement.services import commitment_submit, requisition_submit

    if isinstance(target, Requisition):
        if target.status != RequisitionStatus.DRAFT:
            return "already_released"
        requisition_submit(requisition=target, actor=target.requested_by)
        return "submitted"
    if target.status != CommitmentStatus.DRAFT:
        return "already_released"
    commitment_submit(commitment=target, actor=target.created_by)
    return "submitted"


def document_events_release(*, events: list, transaction, project) -> list[WorkflowInstance]:
    """Carry submittal responses on to the procurement lines they gate (document-driven
    procurement): approved → the draft requisitions / commitments are submitted for approval
    (budget check, then the approver; the PO goes to Odoo as a child of this transaction);
    rejected or revise-and-resubmit → they stay held, with an exception item saying why."""
    from apps.documents.choices import DocumentEventKind

    responses = {
        DocumentEventKind.SUBMITTAL_APPROVED,
        DocumentEventKind.SUBMITTAL_REJECTED,
        DocumentEventKind.SUBMITTAL_REVISE_RESUBMIT,
    }
    instances = []
    for event in events:
        if event.kind not in responses or not event.procurement_refs or project is None:
            continue
        document = event.document
        label = event.detail.get("label") or event.detail.get("status") or ""
        what = f"{document.kind} {document.number}".strip()
        for number, target in _procurement_documents(project=project, refs=event.procurement_refs):
            hold_key = f"doc_release_hold:{project.code}:{number}"
            key = f"{project.code}:{number}"
            title = f"{what} → {number}"
            subjects = (("document", str(document.pk)), ("requisition", number))
            if target is None:
                exception_open(
                    category=ExceptionCategory.DOCUMENT_HOLD,
                    title=f"{what} names {number}, which procurement does not know",
                    reason=f"{what} was answered ({label}) and names procurement line {number}, "
                    f"but {project.code} has no requisition or commitment {number}: correct "
                    "the reference on the platform or create the requisition.",
                    trace_key=f"doc_release_unknown:{project.code}:{number}",
                    transaction=transaction,
                    project=project,
                )
                continue
            if event.kind != DocumentEventKind.SUBMITTAL_APPROVED:
                reason = (
                    f"{what} came back '{label}' ({event.get_kind_display().lower()}): "
                    f"{number} stays held until an approved revision arrives."
                )
                exception_open(
                    category=ExceptionCategory.DOCUMENT_HOLD,
                    title=f"{number} held: {what} {label}",
                    reason=reason,
                    trace_key=hold_key,
                    transaction=transaction,
                    project=project,
                    details={"document": document.pk, "event": event.kind, "line": number},
                )
                instances.append(
                    workflow_instance_move(
                        workflow=DOCUMENT_PROCUREMENT,
                        key=key,
                        transaction=transaction,
                        step="lines_held",
                        project=project,
                        title=title,
                        status=InstanceStatus.HELD,
                        reason=reason,
                        subjects=subjects,
                    )
                )
                continue
            try:
                with db_transaction.atomic():
                    outcome = _release(target)
            except ApplicationError as exc:
                reason = f"{what} approved, but {number} could not be released: {exc.message}"
                exception_open(
                    category=ExceptionCategory.BUDGET_EXCEEDED
                    if exc.code == "budget_blocked"
                    else ExceptionCategory.DOCUMENT_HOLD,
                    title=f"{number} not released after {what} approval",
                    reason=reason,
                    trace_key=f"doc_release_failed:{project.code}:{number}",
                    transaction=transaction,
                    project=project,
                )
                instances.append(
                    workflow_instance_move(
                        workflow=DOCUMENT_PROCUREMENT,
                        key=key,
                        transaction=transaction,
                        step="lines_held",
                        project=project,
                        title=title,
                        status=InstanceStatus.HELD,
                        reason=reason,
                        subjects=subjects,
                    )
                )
                continue
            exception_auto_resolve(
                trace_key=hold_key,
                transaction=transaction,
                reason=f"{what} approved ({label}): {number} released.",
            )
            instances.append(
                workflow_instance_move(
                    workflow=DOCUMENT_PROCUREMENT,
                    key=key,
                    transaction=transaction,
                    step="lines_released",
                    project=project,
                    title=title,
                    reason="" if outcome == "submitted" else f"{number} was already released",
                    subjects=subjects,
                )
            )
        event.emitted_transaction_id = transaction.pk
        event.save(update_fields=["emitted_transaction_id"])
    return instances


# --- schedule-driven procurement -----------------------------------------------------------


def _day(value) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def milestone_slip_carry(*, payload: dict, transaction, project) -> WorkflowInstance:
    """Schedule-driven procurement for one `milestone.slipped` event: the commitments tied to
    the activity are flagged for review and their expected delivery shifts by the slip; the
    procurement team is alerted with an exception item (schedule slip impact)."""
    from apps.procurement.services import commitments_schedule_slip_apply

    task_code = str(payload.get("task_code") or "")
    baseline, current = _day(payload.get("baseline_date")), _day(payload.get("current_date"))
    slip_days = payload.get("slip_working_days")
    key = f"{project.code}:{task_code}"
    title = f"{task_code} {payload.get('name') or ''}".strip()
    reason = (
        f"Milestone {task_code} slipped {slip_days} working days "
        f"(baseline {baseline or '?'}, now {current or '?'})"
    )
    workflow_instance_move(
        workflow=SCHEDULE_PROCUREMENT,
        key=key,
        transaction=transaction,
        step="slip_detected",
        project=project,
        title=title,
        detail={"slip_working_days": slip_days, "current_date": str(current or "")},
    )
    flagged = commitments_schedule_slip_apply(
        project=project,
        milestone_code=task_code,
        baseline_date=baseline,
        current_date=current,
        reason=reason,
    )
    subjects = tuple(("commitment", c.number) for c in flagged)
    if not flagged:
        return workflow_instance_move(
            workflow=SCHEDULE_PROCUREMENT,
            key=key,
            transaction=transaction,
            step="slip_detected",
            status=InstanceStatus.COMPLETED,
            reason="No open commitment is tied to this milestone.",
        )
    workflow_instance_move(
        workflow=SCHEDULE_PROCUREMENT,
        key=key,
        transaction=transaction,
        step="commitments_flagged",
        subjects=subjects,
        detail={"commitments": [c.number for c in flagged]},
    )
    total = sum((c.total_amount for c in flagged), start=0)
    listing = ", ".join(
        f"{c.number} (expected {c.expected_delivery_date or 'not planned'})" for c in flagged
    )
    exception_open(
        category=ExceptionCategory.SCHEDULE_SLIP_IMPACT,
        title=f"{task_code} slipped {slip_days} working days: "
        f"{len(flagged)} commitment(s) to review",
        reason=f"{reason}. Review deliveries: {listing}.",
        trace_key=f"slip_impact:{project.code}:{task_code}",
        transaction=transaction,
        project=project,
        amount=total,
        currency=flagged[0].currency,
        details={"commitments": [c.number for c in flagged], "task_code": task_code},
    )
    return workflow_instance_move(
        workflow=SCHEDULE_PROCUREMENT,
        key=key,
        transaction=transaction,
        step="alerted",
        status=InstanceStatus.COMPLETED,
        reason=reason,
    )


# --- change management ---------------------------------------------------------------------


def _change_order_requester(project):
    """Who raises a platform change event's change order in the hub: the project's first
    requester (so an approver other than them decides it: segregation of duties)."""
    from apps.accounts.models import ProjectMembership
    from apps.accounts.roles import REQUESTER

    membership = (
        ProjectMembership.objects.filter(
            project=project, user__is_active=True, user__groups__name=REQUESTER
        )
        .select_related("user")
        .order_by("id")
        .first()
    )
    return membership.user if membership else None


def change_event_carry(*, resource: dict, system, transaction, project):
    """Change management: a platform change event becomes an owner change order (one line per
    cost code, against the project's budget) submitted for approval; the approved revision goes
    to Odoo as a child of this transaction. One change order per change event: a repeat or an
    update of the event finds it by its external reference."""
    from apps.procurement.models import ChangeOrder
    from apps.procurement.services import change_order_create, change_order_submit

    external_ref = f"{system.code}:change_event:{resource.get('external_id')}"[:100]
    key = f"{project.code}:{external_ref}"
    title = f"Change event {resource.get('number') or ''} {resource.get('title') or ''}".strip()
    existing = ChangeOrder.objects.filter(project=project, external_ref=external_ref).first()
    if existing is not None:
        return existing, workflow_instance_move(
            workflow=CHANGE_MANAGEMENT,
            key=key,
            transaction=transaction,
            step=_change_order_step(existing),
            project=project,
            subjects=(("change_order", existing.number),),
        )
    requester = _change_order_requester(project)
    if requester is None:
        raise ApplicationError(
            f"{project.code} has no requester to raise the change order for {title}: add a "
            "project member with the requester role, then replay.",
            code="no_requester",
        )
    lines = [
        {
            "cost_code": line.get("cost_code") or "",
            "phase": line.get("phase") or "",
            "amount_delta": line.get("amount") or "0",
            "description": (line.get("description") or "")[:255],
        }
        for line in resource.get("lines") or []
        if isinstance(line, dict)
    ]
    workflow_instance_move(
        workflow=CHANGE_MANAGEMENT,
        key=key,
        transaction=transaction,
        step="change_event",
        project=project,
        title=title,
    )
    change_order = change_order_create(
        project=project,
        kind="owner",
        title=title[:255] or external_ref,
        reason=str(resource.get("reason") or ""),
        lines=lines,
        created_by=requester,
    )
    change_order.external_ref = external_ref
    change_order.save(update_fields=["external_ref"])
    change_order_submit(change_order=change_order, actor=requester)
    instance = workflow_instance_move(
        workflow=CHANGE_MANAGEMENT,
        key=key,
        transaction=transaction,
        step="change_order",
        subjects=(("change_order", change_order.number),),
        detail={"change_order": change_order.number},
    )
    return change_order, instance


def _change_order_step(change_order) -> str:
    return {
        "approved": "approved",
        "rejected": "rejected",
        "cancelled": "rejected",
    }.get(change_order.status, "change_order")


# --- project initiation --------------------------------------------------------------------


def _member_emails(project) -> list[str]:
    from apps.accounts.models import ProjectMembership

    return sorted(
        {
            email
            for email in ProjectMembership.objects.filter(
                project=project, user__is_active=True
            ).values_list("user__email", flat=True)
            if email
        }
    )


def _initiation_outbound(*, project, transaction, actor=None) -> list:
    """The project, its cost codes and its budget for each Odoo system, as outbound rows of one
    flow: the first descends from `transaction` (or starts the flow), the rest from the first.
    Keys carry the values, so re-running sends nothing new unless the budget changed."""
    from apps.connectors.models import System
    from apps.ledger.choices import Trigger
    from apps.ledger.services import transaction_create_outbound
    from apps.procurement.odoo_payloads import budget_name
    from apps.projects.models import BudgetLine
    from apps.sync.selectors import mapping_reverse

    amounts: dict[str, object] = {}
    titles: dict[str, str] = {}
    for line in BudgetLine.objects.filter(project=project).select_related("cost_code"):
        code = line.cost_code.code
        amounts[code] = amounts.get(code, 0) + line.revised
        titles[code] = line.cost_code.title
    rows = []
    parent = transaction
    for system in System.objects.filter(kind="odoo", enabled=True).order_by("id"):

        def external(code, system=system):
            mapped = mapping_reverse(kind="cost_code", system=system, canonical_value=code)
            return mapped if mapped is not None else code

        def outbound(domain, payload, key, subject_id, system=system):
            nonlocal parent
            row = transaction_create_outbound(
                parent=parent,
                system=system,
                domain=domain,
                operation="upsert",
                payload=payload,
                idempotency_key=f"initiation:{project.code}:{key}",
                subject_domain=domain,
                subject_id=subject_id,
                project=project,
                trigger=Trigger.MANUAL if parent is None else None,
            )
            parent = parent or row
            rows.append(row)

        outbound("project", {"code": project.code, "name": project.name}, "project", project.code)
        for code in sorted(amounts):
            outbound(
                "cost_code",
                {"code": external(code), "name": titles[code]},
                f"cost_code:{external(code)}",
                code,
            )
        year = timezone.now().year
        for code in sorted(amounts):
            amount = str(amounts[code])
            outbound(
                "budget_line",
                {
                    "budget": budget_name(project),
                    "project_code": project.code,
                    "cost_code": external(code),
                    "amount": amount,
                    "date_from": f"{year}-01-01",
                    "date_to": f"{year + 1}-12-31",
                },
                f"budget:{external(code)}:{amount}",
                f"{project.code}:{code}",
            )
    return rows


def project_initiation_run(*, project, actor=None, transaction=None) -> WorkflowInstance:
    """Project initiation for a project approved in Odoo (`transaction`, its inbound row) or
    created in the hub (`actor`, an admin): the scheduling shell (the project's schedule
    settings: slip threshold, calendar) and the document workspace (status sets) in the hub,
    the cost-code structure and budget to Odoo's analytic accounts and budget (outbound rows,
    delivered by the dispatcher), and the project's members notified."""
    from apps.audit.services import audit_record
    from apps.documents.services import project_document_settings_get
    from apps.exceptions.notifications import notification_queue
    from apps.schedule.services import project_schedule_settings_get

    workflow = WORKFLOWS["project_initiation"]
    key = project.code
    title = f"{project.code} {project.name}"
    with db_transaction.atomic():
        instance = workflow_instance_move(
            workflow=workflow.key,
            key=key,
            transaction=transaction,
            step="approved",
            project=project,
            title=title,
        )
        project_schedule_settings_get(project=project)
        workflow_instance_move(
            workflow=workflow.key, key=key, transaction=transaction, step="schedule_shell"
        )
        project_document_settings_get(project=project)
        workflow_instance_move(
            workflow=workflow.key, key=key, transaction=transaction, step="document_workspace"
        )
        rows = _initiation_outbound(project=project, transaction=transaction, actor=actor)
        flow = rows[0] if rows else transaction
        workflow_instance_move(
            workflow=workflow.key,
            key=key,
            transaction=flow,
            step="budget_synchronised",
            detail={"odoo_writes": len(rows)},
        )
        recipients = _member_emails(project)
        notification_queue(
            kind="project_initiated",
            item=None,
            throttle_key=f"project_initiated:{project.code}",
            recipients=recipients,
            subject=f"Project {project.code} is set up in the hub",
            body=f"{title}: schedule settings and document workspace are ready; "
            f"{len(rows)} cost-code and budget record(s) are on their way to Odoo.",
        )
        instance = workflow_instance_move(
            workflow=workflow.key,
            key=key,
            transaction=flow,
            step="owners_notified",
            status=InstanceStatus.COMPLETED,
            detail={"notified": recipients},
        )
        if actor is not None:
            audit_record(
                actor=actor,
                action="workflows.project.initiate",
                target=project,
                detail={"odoo_writes": len(rows)},
            )
    return instance
