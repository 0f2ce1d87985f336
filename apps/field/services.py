"""Field events applied to the hub: costs to the budget line's actual, physical progress folded
in device-time order, deliveries as receipts and milestones as progress claims.

Order independence (issue 14): costs and receipts add up, so their order never matters; physical
progress (quantity to date, percent complete) is re-folded from every event of the budget line in
device-time order on each apply, so an event that arrives late lands where it belongs and the
figures equal those of in-order delivery. A resend has the same idempotency key: the ledger
answers it as a duplicate, and should one be processed anyway the event row is unique per key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.field.choices import KIND_BY_OPERATION, FieldEventKind, Ownership, RateKind
from apps.field.models import CostCodeProgress, FieldEvent, FieldRate
from apps.projects.models import BudgetLine, Project
from apps.projects.money import ZERO, currency_validate, parse_decimal, quantize_money
from apps.projects.services import budget_line_adjust

HUNDRED = Decimal("100")
PERCENT = Decimal("0.01")


class FieldEventProblem(ApplicationError):
    """A well-formed event the hub cannot apply yet (no rate, unknown PO line): the pipeline
    holds it with `category` so a person can fix the cause and replay it."""

    def __init__(self, message: str, *, code: str, category: str, details: dict | None = None):
        super().__init__(message, code=code, details=details)
        self.category = category


@dataclass
class FieldApplyResult:
    event: FieldEvent
    created: bool


def _decimal(value, name: str) -> Decimal | None:
    if value in (None, ""):
        return None
    return parse_decimal(str(value), field=name)


def _device_time(canonical: dict, fallback: datetime) -> datetime:
    text = canonical.get("device_time_utc") or ""
    moment = parse_datetime(str(text).replace("Z", "+00:00")) if text else None
    if moment is None:
        return fallback
    if timezone.is_naive(moment):
        # The connector flags a device time without offset; ordered as if UTC (never guessed).
        moment = timezone.make_aware(moment, timezone.utc)
    return moment


def field_rate_set(
    *, kind: str, key: str, rate, currency: str, project: Project | None = None, actor=None
) -> FieldRate:
    """Set the hourly rate of a trade/crew (labour) or an equipment id/class; audited."""
    if kind not in RateKind.values:
        raise ApplicationError(f"Unknown rate kind {kind!r}.", code="bad_rate_kind")
    value = parse_decimal(rate, field="rate")
    if value < 0:
        raise ApplicationError("A rate cannot be negative.", code="bad_rate")
    currency = currency_validate(currency)
    entry, _ = FieldRate.objects.update_or_create(
        project=project,
        kind=kind,
        key=key.strip(),
        defaults={"rate": value, "currency": currency},
    )
    audit_record(
        actor=actor,
        action="field.rate.set",
        target=project,
        detail={"kind": kind, "key": key, "rate": str(value), "currency": currency},
    )
    return entry


def _rate_lookup(*, project: Project, kind: str, keys: list[str]) -> FieldRate | None:
    """Project rates win over company-wide ones; within each, the most specific key first."""
    candidates = [k for k in keys if k] + ["*"]
    rates = {
        (rate.project_id, rate.key): rate
        for rate in FieldRate.objects.filter(kind=kind, key__in=candidates).filter(
            Q(project=project) | Q(project__isnull=True)
        )
    }
    for project_id in (project.id, None):
        for key in candidates:
            if (project_id, key) in rates:
                return rates[(project_id, key)]
    return None


def _budget_line(project: Project, canonical: dict) -> BudgetLine | None:
    code = str(canonical.get("cost_code") or "").strip()
    if not code:
        return None
    lines = BudgetLine.objects.filter(project=project, cost_code__code=code).select_related("phase")
    phase = str(canonical.get("phase") or "").strip()
    if phase:
        lines = lines.filter(phase__code=phase)
    # A cost code budgeted in several phases without a phase on the event: the first phase.
    return lines.order_by("phase__sequence", "id").first()


def _hourly_cost(
    *, project: Project, canonical: dict, kind: str, hours: Decimal, keys: list[str]
) -> tuple[Decimal, Decimal, str, str]:
    """(rate, cost, currency, where the rate came from) for hours of labour or equipment."""
    currency = project.currency
    sent_rate = _decimal(canonical.get("rate"), "rate")
    if sent_rate is not None:
        # Hired equipment: the hire agreement's rate travels with the log (in project currency).
        sent_currency = str(canonical.get("currency") or currency).upper()
        if sent_currency != currency:
            raise FieldEventProblem(
                f"The rate is in {sent_currency}, the project {project.code} is in {currency}.",
                code="rate_currency",
                category="mapping_missing",
            )
        return sent_rate, quantize_money(hours * sent_rate, currency), currency, "event"
    entry = _rate_lookup(project=project, kind=kind, keys=keys)
    if entry is None:
        what = "trade/crew" if kind == RateKind.LABOUR else "equipment"
        named = ", ".join(k for k in keys if k) or "(none given)"
        raise FieldEventProblem(
            f"No {kind} rate for {what} {named} on {project.code} (nor a '*' default): set one "
            "on the field page and replay.",
            code="rate_missing",
            category="mapping_missing",
            details={"kind": kind, "keys": keys},
        )
    if entry.currency != currency:
        raise FieldEventProblem(
            f"The {kind} rate {entry.key} is in {entry.currency}, the project in {currency}.",
            code="rate_currency",
            category="mapping_missing",
        )
    source = f"rate:{'project' if entry.project_id else 'company'}:{entry.key}"
    return entry.rate, quantize_money(hours * entry.rate, currency), currency, source


def _commitment(project: Project, number: str):
    from apps.procurement.models import Commitment

    if not number:
        return None
    commitment = (
        Commitment.objects.filter(number=number).first()
        or Commitment.objects.filter(external_ref=number).first()
    )
    if commitment is None or commitment.project_id != project.id:
        raise FieldEventProblem(
            f"No commitment {number} on project {project.code}.",
            code="unknown_commitment",
            category="missing_receipt",
            details={"commitment": number},
        )
    return commitment


def _commitment_line(commitment, line: dict):
    line_no = line.get("line_no")
    queryset = commitment.lines.all()
    if line_no not in (None, ""):
        found = queryset.filter(line_no=int(line_no)).first()
    else:
        code = str(line.get("cost_code") or "")
        matches = list(queryset.filter(budget_line__cost_code__code=code)[:2]) if code else []
        found = matches[0] if len(matches) == 1 else None
    if found is None:
        raise FieldEventProblem(
            f"{commitment.number} has no line {line_no or line.get('cost_code') or '?'}.",
            code="unknown_commitment_line",
            category="missing_receipt",
            details={"commitment": commitment.number, "line": line_no},
        )
    return found


def _delivery_apply(event: FieldEvent, canonical: dict) -> None:
    """A delivery on site → a receipt on the PO (actual cost moves with it, and the receipt
    goes to Odoo like any receipt recorded in the hub)."""
    from apps.procurement.services import receipt_record

    commitment = _commitment(event.project, str(canonical.get("po_number") or ""))
    if commitment is None:
        raise FieldEventProblem(
            "A delivery needs the purchase order number.",
            code="no_po_number",
            category="missing_receipt",
        )
    lines = []
    for line in canonical.get("lines") or []:
        quantity = _decimal(line.get("quantity_received"), "quantity_received")
        if not quantity:
            continue
        lines.append({"line": _commitment_line(commitment, line), "quantity": quantity})
    try:
        receipt = receipt_record(
            commitment=commitment,
            received_by=None,
            lines=lines,
            received_on=event.device_time.date(),
            reference=str(canonical.get("delivery_note") or event.event_id)[:100],
        )
    except ApplicationError as exc:
        raise FieldEventProblem(
            exc.message, code=exc.code, category="missing_receipt", details=exc.details
        ) from None
    event.receipt_number = receipt.number
    first = receipt.lines.select_related("commitment_line").first()
    if first is not None and event.budget_line_id is None:
        event.budget_line_id = first.commitment_line.budget_line_id
    event.detail = {**event.detail, "commitment": commitment.number}


def _milestone_apply(event: FieldEvent, canonical: dict) -> None:
    """A subcontractor milestone completed on site → a progress claim on the subcontract line
    (100% unless the event says otherwise), for certification on the commitment page."""
    from apps.procurement.services import progress_claim_submit

    number = str(canonical.get("commitment_number") or canonical.get("po_number") or "")
    commitment = _commitment(event.project, number)
    if commitment is None:
        raise FieldEventProblem(
            "A milestone completion needs the subcontract (commitment_number).",
            code="no_commitment",
            category="price_quantity_variance",
        )
    specs = canonical.get("lines") or [
        {
            "line_no": canonical.get("line_no"),
            "cost_code": canonical.get("cost_code"),
            "percent_complete": canonical.get("percent_complete"),
        }
    ]
    lines = []
    for spec in specs:
        percent = _decimal(spec.get("percent_complete"), "percent_complete")
        lines.append(
            {
                "line": _commitment_line(commitment, spec),
                "percent_complete": str(HUNDRED if percent is None else percent),
            }
        )
    try:
        claim = progress_claim_submit(
            commitment=commitment,
            submitted_by=None,
            period_end=event.device_time.date(),
            lines=lines,
            vendor_reference=f"field {event.event_id or event.idempotency_key}"[:100],
        )
    except ApplicationError as exc:
        raise FieldEventProblem(
            exc.message, code=exc.code, category="price_quantity_variance", details=exc.details
        ) from None
    event.progress_claim_number = claim.number
    if event.budget_line_id is None:
        event.budget_line_id = lines[0]["line"].budget_line_id
    event.detail = {**event.detail, "commitment": commitment.number}


def _cost_apply(event: FieldEvent, canonical: dict) -> None:
    project = event.project
    if event.kind == FieldEventKind.EQUIPMENT:
        event.hours = _decimal(canonical.get("hours"), "hours") or ZERO
        event.equipment_id = str(canonical.get("equipment_id") or "")[:100]
        ownership = str(canonical.get("ownership") or "").lower()
        event.ownership = ownership if ownership in Ownership.values else Ownership.OWNED
        keys = [event.equipment_id, str(canonical.get("equipment_class") or "")]
        event.rate, event.cost, event.currency, event.rate_source = _hourly_cost(
            project=project,
            canonical=canonical,
            kind=RateKind.EQUIPMENT,
            hours=event.hours,
            keys=keys,
        )
    elif event.kind == FieldEventKind.TIMESHEET:
        event.hours = _decimal(canonical.get("hours"), "hours") or ZERO
        event.trade = str(canonical.get("trade") or "")[:100]
        event.crew = str(canonical.get("crew") or "")[:100]
        canonical = {k: v for k, v in canonical.items() if k != "rate"}  # no pay data on sheets
        event.rate, event.cost, event.currency, event.rate_source = _hourly_cost(
            project=project,
            canonical=canonical,
            kind=RateKind.LABOUR,
            hours=event.hours,
            keys=[event.trade, event.crew],
        )
    elif event.kind == FieldEventKind.MATERIAL:
        unit_cost = _decimal(canonical.get("unit_cost") or canonical.get("rate"), "unit_cost")
        event.currency = project.currency
        if unit_cost is not None and event.quantity is not None:
            # Material from the company's own stock: costed here. Material bought on a PO is
            # costed by its receipt (a consumption without a unit cost adds no cost twice).
            event.rate = unit_cost
            event.cost = quantize_money(event.quantity * unit_cost, project.currency)
            event.rate_source = "event"
        else:
            event.rate_source = "received_on_po"


def cost_code_progress_refresh(*, budget_line: BudgetLine) -> CostCodeProgress:
    """Fold the budget line's quantity events in device-time order into its progress."""
    progress, _ = CostCodeProgress.objects.select_for_update().get_or_create(
        budget_line=budget_line, defaults={"project_id": budget_line.project_id}
    )
    planned = None
    quantity = ZERO
    percent = None
    unit = ""
    as_of = None
    for event in FieldEvent.objects.filter(
        budget_line=budget_line,
        kind__in=[FieldEventKind.QUANTITY, FieldEventKind.MATERIAL],
    ).order_by("device_time", "idempotency_key"):
        if event.planned_quantity is not None:
            planned = event.planned_quantity
        if event.kind == FieldEventKind.QUANTITY and event.quantity is not None:
            quantity += event.quantity
            unit = event.unit or unit
        if event.percent_complete is not None:
            percent = event.percent_complete  # an explicit reading: the latest by device time
        elif planned:
            percent = min(HUNDRED, quantity / planned * HUNDRED).quantize(PERCENT)
        as_of = event.device_time
    progress.planned_quantity = planned
    progress.quantity_to_date = quantity
    progress.percent_complete = percent
    progress.unit = unit
    progress.as_of = as_of
    progress.save()
    return progress


def field_event_apply(
    *,
    project: Project,
    operation: str,
    canonical: dict,
    idempotency_key: str,
    arrived_at: datetime | None = None,
    ledger_transaction_id: int | None = None,
) -> FieldApplyResult:
    """Apply one canonical field event (apps/connectors/field) to the hub; an event already
    applied (same idempotency key) returns the first one unchanged."""
    kind = KIND_BY_OPERATION.get(operation)
    if kind is None:
        raise ApplicationError(f"Unknown field operation {operation!r}.", code="bad_operation")
    existing = FieldEvent.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return FieldApplyResult(event=existing, created=False)
    arrived_at = arrived_at or timezone.now()
    with transaction.atomic():
        budget_line = _budget_line(project, canonical)
        event = FieldEvent(
            project=project,
            budget_line=budget_line,
            kind=kind,
            idempotency_key=idempotency_key[:200],
            device_id=str(canonical.get("device_id") or "")[:100],
            event_id=str(canonical.get("event_id") or "")[:100],
            device_time=_device_time(canonical, arrived_at),
            device_time_naive=bool(canonical.get("device_time_naive")),
            arrived_at=arrived_at,
            cost_code=str(canonical.get("cost_code") or "")[:50],
            quantity=_decimal(canonical.get("quantity"), "quantity"),
            unit=str(canonical.get("unit") or "")[:20],
            percent_complete=_decimal(canonical.get("percent_complete"), "percent_complete"),
            planned_quantity=_decimal(canonical.get("planned_quantity"), "planned_quantity"),
            currency=project.currency,
            ledger_transaction_id=ledger_transaction_id,
            detail={
                "activity": canonical.get("activity") or "",
                "location": canonical.get("location") or "",
                "date": canonical.get("date") or "",
            },
        )
        if kind == FieldEventKind.DELIVERY:
            _delivery_apply(event, canonical)
        elif kind == FieldEventKind.MILESTONE:
            _milestone_apply(event, canonical)
        else:
            _cost_apply(event, canonical)
        if event.budget_line_id is not None:
            newer = FieldEvent.objects.filter(
                budget_line_id=event.budget_line_id, device_time__gt=event.device_time
            ).exists()
            event.late = newer
        try:
            with transaction.atomic():
                event.save()
        except IntegrityError:
            # The same event applied meanwhile by another worker: theirs stands, ours undone.
            first = FieldEvent.objects.get(idempotency_key=event.idempotency_key)
            transaction.set_rollback(True)
            return FieldApplyResult(event=first, created=False)
        if event.cost and event.budget_line_id is not None:
            budget_line_adjust(budget_line_id=event.budget_line_id, actual=event.cost)
        if event.budget_line_id is not None and kind in (
            FieldEventKind.QUANTITY,
            FieldEventKind.MATERIAL,
        ):
            cost_code_progress_refresh(budget_line=event.budget_line)
        earned_value_warn(project=project, budget_line_id=event.budget_line_id)
    return FieldApplyResult(event=event, created=True)


def earned_value_warn(*, project: Project, budget_line_id: int | None) -> object | None:
    """Early warning: a cost code whose earned-value forecast overruns opens (or repeats) an
    exception item for the project's finance reviewer; returns it, or None without a warning."""
    from apps.field.selectors import earned_value_by_cost_code
    from apps.projects.exception_items import exception_item_open

    if budget_line_id is None:
        return None
    row = next(
        (
            r
            for r in earned_value_by_cost_code(project=project)
            if r.budget_line_id == budget_line_id
        ),
        None,
    )
    if row is None or row.warning not in ("overrun", "low_cpi"):
        return None
    overrun = max(row.estimate_at_completion - row.budget, ZERO)
    return exception_item_open(
        category="budget_exceeded",
        title=f"{project.code} {row.cost_code}: forecast overrun {overrun} {row.currency}",
        reason=(
            f"Earned value on {row.cost_code} ({row.phase}): {row.percent_complete}% complete, "
            f"EV {row.earned_value}, actual {row.actual}, CPI {row.cpi} → estimate at "
            f"completion {row.estimate_at_completion} against a budget of {row.budget}."
        ),
        trace_key=f"field:ev:{budget_line_id}",
        project=project,
        amount=overrun,
        currency=row.currency,
        details=row.as_json(),
    )
