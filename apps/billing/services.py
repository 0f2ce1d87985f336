"""Owner billing writes: contracts with their schedule of values, pay applications computed from
progress, their approval (apps/approvals, a second person) and their Odoo customer invoice."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.billing.choices import (
    BILLED_STATUSES,
    OPEN_STATUSES,
    PayApplicationStatus,
    ProgressSource,
)
from apps.billing.models import OwnerContract, PayApplication, PayApplicationLine, SovLine
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.projects.models import CostCode, Project
from apps.projects.money import currency_validate, parse_decimal, quantize_money

logger = logging.getLogger(__name__)
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
PERCENT_QUANTUM = Decimal("0.0001")
S = PayApplicationStatus


def _require_member(*, user, project: Project) -> None:
    from apps.accounts.selectors import user_can_see_project

    if user is not None and not user_can_see_project(user=user, project_id=project.id):
        raise PermissionDeniedError(
            f"You are not a member of project {project.code}.", code="not_in_project"
        )


def _percent(value, *, field: str) -> Decimal:
    percent = parse_decimal(value, field=field).quantize(PERCENT_QUANTUM)
    if percent > HUNDRED:
        raise ApplicationError(f"{field}: {percent}% is above 100%.", code="bad_percent")
    return percent


# --- contracts -------------------------------------------------------------------------------


@transaction.atomic
def owner_contract_create(
    *,
    project: Project,
    actor,
    number: str,
    customer_name: str,
    customer_ref: str,
    lines: list[dict],
    title: str = "",
    retention_pct="0",
    currency: str = "",
) -> OwnerContract:
    """Create an owner contract with its schedule of values (one line per cost code share)."""
    _require_member(user=actor, project=project)
    number = (number or "").strip()
    if not number:
        raise ApplicationError("A contract needs a number.", code="number_required")
    if OwnerContract.objects.filter(number=number).exists():
        raise ApplicationError(
            f"Contract {number} exists already.", code="duplicate_contract", status_code=409
        )
    if not (customer_name or "").strip() or not (customer_ref or "").strip():
        raise ApplicationError(
            "A contract names its customer and the customer's reference.",
            code="customer_required",
        )
    if not lines:
        raise ApplicationError("A schedule of values needs at least one line.", code="no_lines")
    currency = currency_validate(currency or project.currency)
    retention = _percent(retention_pct, field="retention_pct")
    contract = OwnerContract.objects.create(
        project=project,
        number=number[:40],
        title=(title or "").strip()[:255] or number,
        customer_name=customer_name.strip()[:200],
        customer_ref=customer_ref.strip()[:64],
        currency=currency,
        retention_pct=retention,
        created_by=actor,
    )
    built = []
    for line_no, spec in enumerate(lines, start=1):
        code = str(spec.get("cost_code") or "").strip()
        cost_code = CostCode.objects.filter(code=code).first()
        if cost_code is None:
            raise ApplicationError(
                f"Line {line_no}: unknown cost code {code!r}.", code="unknown_cost_code"
            )
        value = quantize_money(
            parse_decimal(spec.get("scheduled_value"), field=f"line {line_no} scheduled_value"),
            currency,
        )
        quantity = spec.get("quantity")
        built.append(
            SovLine(
                contract=contract,
                line_no=line_no,
                cost_code=cost_code,
                description=(spec.get("description") or cost_code.title)[:255],
                scheduled_value=value,
                activity_code=str(spec.get("activity_code") or "")[:120],
                quantity=(
                    parse_decimal(quantity, field=f"line {line_no} quantity")
                    if quantity not in (None, "")
                    else None
                ),
                unit=str(spec.get("unit") or "")[:20],
            )
        )
    SovLine.objects.bulk_create(built)
    audit_record(
        actor=actor,
        action="billing.contract.create",
        target=contract,
        detail={
            "project": project.code,
            "lines": len(built),
            "sum": str(sum((line.scheduled_value for line in built), ZERO)),
            "retention_pct": str(retention),
        },
    )
    return contract


# --- pay applications ------------------------------------------------------------------------


@dataclass
class _LineSpec:
    sov_line: SovLine | None
    change_order: object | None
    cost_code: str
    description: str
    scheduled_value: Decimal
    percent: Decimal
    quantity: Decimal | None


def _schedule_percents(project: Project) -> dict[str, Decimal]:
    """Percent complete by activity task code in the project's latest schedule update."""
    from apps.schedule.models import Activity
    from apps.schedule.selectors import schedule_latest_update

    version = schedule_latest_update(project=project)
    if version is None:
        return {}
    return {
        code: percent
        for code, percent in Activity.objects.filter(version=version).values_list(
            "task_code", "percent_complete"
        )
        if percent is not None
    }


def _previous_by_key(previous: PayApplication | None) -> dict[str, PayApplicationLine]:
    if previous is None:
        return {}
    keyed = {}
    for line in previous.lines.all():
        key = f"sov:{line.sov_line_id}" if line.sov_line_id else f"co:{line.change_order_id}"
        keyed[key] = line
    return keyed


def _entry(entries: dict, *keys) -> dict:
    for key in keys:
        if key in entries:
            value = entries[key]
            return value if isinstance(value, dict) else {"percent": value}
    return {}


def _line_specs(
    contract: OwnerContract,
    *,
    source: str,
    entries: dict,
    previous: dict[str, PayApplicationLine],
) -> list[_LineSpec]:
    from apps.procurement.choices import ChangeOrderKind, ChangeOrderStatus
    from apps.procurement.models import ChangeOrder

    schedule = _schedule_percents(contract.project) if source == ProgressSource.SCHEDULE else {}
    specs = []
    for sov in contract.sov_lines.select_related("cost_code").order_by("line_no"):
        before = previous.get(f"sov:{sov.pk}")
        percent = before.percent_to_date if before else Decimal("0")
        quantity = None
        entry = _entry(entries, str(sov.line_no), sov.line_no, sov.cost_code.code)
        where = f"line {sov.line_no} ({sov.cost_code.code})"
        if source == ProgressSource.SCHEDULE:
            if entry.get("percent") not in (None, ""):
                percent = _percent(entry["percent"], field=where)
            elif sov.activity_code and sov.activity_code in schedule:
                percent = Decimal(schedule[sov.activity_code]).quantize(PERCENT_QUANTUM)
        elif source == ProgressSource.QUANTITIES:
            if entry.get("quantity") not in (None, ""):
                if not sov.quantity:
                    raise ApplicationError(
                        f"{where} has no contract quantity to measure against.",
                        code="no_contract_quantity",
                    )
                quantity = parse_decimal(entry["quantity"], field=f"{where} quantity")
                if quantity > sov.quantity:
                    raise ApplicationError(
                        f"{where}: {quantity} {sov.unit} is above the contract quantity "
                        f"{sov.quantity}.",
                        code="quantity_above_contract",
                    )
                percent = (quantity / sov.quantity * HUNDRED).quantize(PERCENT_QUANTUM)
            elif before is not None:
                quantity = before.quantity_to_date
        elif entry.get("percent") not in (None, ""):
            percent = _percent(entry["percent"], field=where)
        specs.append(
            _LineSpec(
                sov_line=sov,
                change_order=None,
                cost_code=sov.cost_code.code,
                description=sov.description,
                scheduled_value=sov.scheduled_value,
                percent=percent,
                quantity=quantity,
            )
        )
    # Approved owner change orders add to the contract sum and are billed as they are done
    # (complete unless a percent is entered for them).
    change_orders = ChangeOrder.objects.filter(
        project=contract.project,
        kind=ChangeOrderKind.OWNER,
        status=ChangeOrderStatus.APPROVED,
        currency=contract.currency,
    ).order_by("approved_at", "id")
    for change_order in change_orders:
        before = previous.get(f"co:{change_order.pk}")
        entry = _entry(entries, change_order.number)
        percent = (
            _percent(entry["percent"], field=change_order.number)
            if entry.get("percent") not in (None, "")
            else HUNDRED
        )
        codes = sorted(
            {
                line.budget_line.cost_code.code
                for line in change_order.lines.select_related("budget_line__cost_code")
            }
        )
        specs.append(
            _LineSpec(
                sov_line=None,
                change_order=change_order,
                cost_code=codes[0] if len(codes) == 1 else "",
                description=f"{change_order.number} {change_order.title}"[:255],
                scheduled_value=change_order.amount,
                percent=max(percent, before.percent_to_date if before else Decimal("0")),
                quantity=None,
            )
        )
    return specs


@transaction.atomic
def pay_application_create(
    *,
    contract: OwnerContract,
    actor,
    period_start: date,
    period_end: date,
    progress_source: str = ProgressSource.SCHEDULE,
    entries: dict | None = None,
) -> PayApplication:
    """Compute a draft pay application for a period from the chosen progress source: work
    completed this period and to date per line, approved owner change orders, retention."""
    contract = OwnerContract.objects.select_for_update().get(pk=contract.pk)
    project = contract.project
    _require_member(user=actor, project=project)
    if progress_source not in ProgressSource.values:
        raise ApplicationError(
            f"Unknown progress source {progress_source!r}.", code="bad_progress_source"
        )
    if period_end < period_start:
        raise ApplicationError("The period ends before it starts.", code="bad_period")
    open_app = contract.pay_applications.filter(status__in=OPEN_STATUSES).first()
    if open_app is not None:
        raise ApplicationError(
            f"{open_app.number} is still {open_app.get_status_display().lower()}; decide it "
            "before the next period.",
            code="pay_application_open",
            status_code=409,
        )
    previous_app = (
        contract.pay_applications.filter(status__in=BILLED_STATUSES).order_by("-sequence").first()
    )
    if previous_app is not None and period_start <= previous_app.period_end:
        raise ApplicationError(
            f"The period overlaps {previous_app.number} (to {previous_app.period_end}).",
            code="period_overlap",
        )
    previous = _previous_by_key(previous_app)
    specs = _line_specs(contract, source=progress_source, entries=entries or {}, previous=previous)
    currency = contract.currency
    sequence = (
        contract.pay_applications.order_by("-sequence").values_list("sequence", flat=True).first()
        or 0
    ) + 1
    app = PayApplication.objects.create(
        contract=contract,
        project=project,
        number=f"{contract.number}-PA{sequence:03d}"[:60],
        sequence=sequence,
        period_start=period_start,
        period_end=period_end,
        progress_source=progress_source,
        currency=currency,
        retention_pct=contract.retention_pct,
        created_by=actor,
    )
    lines = []
    for line_no, spec in enumerate(specs, start=1):
        before = previous.get(
            f"sov:{spec.sov_line.pk}" if spec.sov_line else f"co:{spec.change_order.pk}"
        )
        previous_value = before.to_date_value if before else ZERO
        if before is not None and spec.percent < before.percent_to_date:
            raise ApplicationError(
                f"Line {line_no} ({spec.description}): {spec.percent}% is below the "
                f"{before.percent_to_date}% already billed.",
                code="progress_below_previous",
            )
        to_date = quantize_money(spec.scheduled_value * spec.percent / HUNDRED, currency)
        lines.append(
            PayApplicationLine(
                pay_application=app,
                line_no=line_no,
                sov_line=spec.sov_line,
                change_order=spec.change_order,
                cost_code=spec.cost_code,
                description=spec.description,
                scheduled_value=spec.scheduled_value,
                percent_to_date=spec.percent,
                quantity_to_date=spec.quantity,
                previous_value=previous_value,
                this_period_value=to_date - previous_value,
                to_date_value=to_date,
            )
        )
    PayApplicationLine.objects.bulk_create(lines)
    _totals(app, lines, previous_app)
    app.save()
    audit_record(
        actor=actor,
        action="billing.pay_application.create",
        target=app,
        detail={
            "contract": contract.number,
            "period_end": period_end.isoformat(),
            "source": progress_source,
            "completed_this_period": str(app.completed_this_period),
            "amount_due": str(app.amount_due),
        },
    )
    return app


def _totals(app: PayApplication, lines: list[PayApplicationLine], previous_app) -> None:
    currency = app.currency
    app.contract_sum_to_date = sum((line.scheduled_value for line in lines), ZERO)
    app.change_orders_to_date = sum(
        (line.scheduled_value for line in lines if line.change_order_id), ZERO
    )
    app.completed_to_date = sum((line.to_date_value for line in lines), ZERO)
    app.completed_previous = sum((line.previous_value for line in lines), ZERO)
    app.completed_this_period = app.completed_to_date - app.completed_previous
    app.retention_to_date = quantize_money(
        app.completed_to_date * app.retention_pct / HUNDRED, currency
    )
    app.retention_previous = previous_app.retention_to_date if previous_app else ZERO
    app.retention_this_period = app.retention_to_date - app.retention_previous
    app.amount_due = app.completed_this_period - app.retention_this_period


@transaction.atomic
def pay_application_submit(*, pay_application: PayApplication, actor) -> PayApplication:
    """Send a draft pay application for approval (a second person decides it)."""
    from apps.approvals.choices import DocumentType
    from apps.approvals.services import approval_request_create

    app = PayApplication.objects.select_for_update().get(pk=pay_application.pk)
    _require_member(user=actor, project=app.project)
    if app.status != S.DRAFT:
        raise ApplicationError(
            f"{app.number} is {app.get_status_display().lower()}; only a draft is submitted.",
            code="not_draft",
            status_code=409,
        )
    if app.amount_due <= 0:
        raise ApplicationError(f"{app.number} bills nothing this period.", code="nothing_due")
    app.status = S.PENDING_APPROVAL
    app.submitted_at = timezone.now()
    app.save(update_fields=["status", "submitted_at", "updated_at"])
    approval_request_create(
        document_type=DocumentType.PAY_APPLICATION,
        target=app,
        project=app.project,
        amount=app.amount_due,
        currency=app.currency,
        requested_by=actor,
        title=f"Pay application {app.number} ({app.contract.customer_name})",
        summary=(
            f"Work completed this period {app.completed_this_period}, retention "
            f"{app.retention_this_period}, due {app.amount_due} {app.currency}."
        ),
        cost_codes=sorted({line.cost_code for line in app.lines.all() if line.cost_code}),
    )
    audit_record(actor=actor, action="billing.pay_application.submit", target=app, detail={})
    return app


def pay_application_decided(*, request, approved: bool, actor) -> None:
    """The approval outcome (inside the decision's transaction): approved → the Odoo customer
    invoice is routed through the ledger in this same transaction; rejected → back to nobody."""
    app = PayApplication.objects.select_for_update().get(pk=request.object_id)
    if app.status != S.PENDING_APPROVAL:
        raise ApplicationError(
            f"{app.number} is {app.get_status_display().lower()}; it cannot be decided.",
            code="not_pending",
            status_code=409,
        )
    now = timezone.now()
    if approved:
        app.status = S.APPROVED
        app.approved_by = actor
        app.approved_at = now
        app.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
        from apps.billing.outbound import pay_application_route

        pay_application_route(pay_application=app)
    else:
        app.status = S.REJECTED
        app.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="billing.pay_application.approve" if approved else "billing.pay_application.reject",
        target=app,
        detail={"request": request.id, "amount_due": str(app.amount_due)},
    )


@transaction.atomic
def pay_application_cancel(*, pay_application: PayApplication, actor) -> PayApplication:
    """Withdraw a draft (or its open approval request)."""
    from apps.approvals.models import ApprovalRequest
    from apps.approvals.services import approval_cancel

    app = PayApplication.objects.select_for_update().get(pk=pay_application.pk)
    _require_member(user=actor, project=app.project)
    if app.status not in OPEN_STATUSES:
        raise ApplicationError(
            f"{app.number} is {app.get_status_display().lower()}; it cannot be cancelled.",
            code="not_open",
            status_code=409,
        )
    for request in ApprovalRequest.objects.filter(
        object_id=app.pk, document_type="pay_application", status="pending"
    ):
        approval_cancel(request=request, actor=actor, reason="pay application cancelled")
    app.status = S.CANCELLED
    app.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="billing.pay_application.cancel", target=app, detail={})
    return app


def pay_application_odoo_update(
    *,
    number: str,
    external_id: str,
    odoo_name: str,
    state: str,
    payment_state: str,
    amount_total: Decimal | None,
    amount_residual: Decimal | None,
) -> PayApplication | None:
    """Odoo's view of the customer invoice flows back: posted → invoiced, payments → partially
    paid / paid with the amount received. Unknown numbers return None (not ours)."""
    with transaction.atomic():
        app = PayApplication.objects.select_for_update().filter(number=number).first()
        if app is None:
            return None
        before = (app.status, app.payment_state, app.paid_amount, app.odoo_state)
        app.external_ref = str(external_id or app.external_ref)
        app.odoo_name = (odoo_name or app.odoo_name or "")[:100]
        app.odoo_state = (state or "")[:20]
        app.payment_state = (payment_state or "")[:20]
        if amount_total is not None and amount_residual is not None:
            app.paid_amount = quantize_money(
                max(Decimal(amount_total) - Decimal(amount_residual), ZERO), app.currency
            )
        if app.status in BILLED_STATUSES:
            if payment_state in ("paid", "in_payment") or (
                amount_residual is not None and state == "posted" and Decimal(amount_residual) == 0
            ):
                app.status = S.PAID
            elif payment_state == "partial" or app.paid_amount > 0:
                app.status = S.PARTIALLY_PAID
            elif state == "posted":
                app.status = S.INVOICED
        if (app.status, app.payment_state, app.paid_amount, app.odoo_state) != before:
            app.save()
            audit_record(
                actor=None,
                action="billing.pay_application.odoo_update",
                target=app,
                detail={
                    "state": state,
                    "payment_state": payment_state,
                    "paid_amount": str(app.paid_amount),
                    "status": app.status,
                },
            )
        return app


def pay_applications_refresh_from_odoo(*, max_pages: int = 20) -> int:
    """Pull the customer invoices of still-unpaid pay applications from each Odoo target into
    the ledger (domain customer_invoice; the pipeline's handler updates the pay applications).
    Reads from the oldest such approval on, without moving the shared account.move sync cursor
    (vendor bills use it). Each Odoo version of an invoice is recorded once (its key)."""
    from datetime import timedelta

    from apps.connectors.registry import connector_for
    from apps.ledger.choices import Trigger
    from apps.ledger.services import transaction_record_inbound
    from apps.procurement.outbound import odoo_targets

    waiting = PayApplication.objects.filter(status__in=(S.APPROVED, S.INVOICED, S.PARTIALLY_PAID))
    oldest = waiting.order_by("approved_at").values_list("approved_at", flat=True).first()
    if oldest is None:
        return 0
    numbers = set(waiting.values_list("number", flat=True))
    since = (oldest - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    recorded = 0
    for system in odoo_targets():
        connector = connector_for(system)
        try:
            cursor = None
            for _ in range(max_pages):
                page = connector.pull(
                    domain="customer_invoice", since=None if cursor else since, cursor=cursor
                )
                for record in page.records:
                    if record.get("number") not in numbers:
                        continue
                    _, created = transaction_record_inbound(
                        system=system,
                        domain="customer_invoice",
                        operation="upsert",
                        payload=record,
                        idempotency_key=record["idempotency_key"],
                        external_id=str(record["external_id"]),
                        trigger=Trigger.POLL,
                    )
                    recorded += int(created)
                cursor = page.next_cursor
                if not cursor:
                    break
        finally:
            connector.close()
    return recorded
