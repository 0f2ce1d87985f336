"""Intercompany commitments: a commitment between two entities of the group.

The buying entity's side is the commitment itself (a purchase order in the buyer's Odoo company,
sent by apps/procurement). When the vendor is another entity of the group (`Entity.vendor`), the
hub also recognises the seller's side: a sales order in the seller's Odoo company, sent through
the ledger like every other outbound message (domain `sale_order`, idempotent per commitment).
Cancelling or changing the commitment follows on the seller's side.

`intercompany_reconcile` (the reconciliation job, `manage.py intercompany_reconcile`, and the
button on /entities/) reads both orders back from Odoo and compares them with each other and with
the hub: a missing order, another amount, currency or state is a `reconciliation_difference`
item with trace key `intercompany:<commitment id>`; when the sides agree again the item resolves.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.entities.models import Entity, IntercompanyCommitment, IntercompanyState

logger = logging.getLogger(__name__)

DOMAIN = "sale_order"
RECONCILE_DOMAIN = "intercompany"
# Outbound statuses that mean "the message is still on its way": not a difference yet.
IN_FLIGHT = ("pending", "retrying", "held")
PO_STATES = {"purchase": "confirmed", "done": "confirmed", "cancel": "cancelled"}
SO_STATES = {"sale": "confirmed", "done": "confirmed", "cancel": "cancelled"}


# --- who is on each side ---------------------------------------------------------------------


def intercompany_parties(*, project, vendor) -> tuple[Entity, Entity] | None:
    """(buyer, seller) when `vendor` is a group entity buying from another; None otherwise.
    A commitment from an entity to itself is refused: it is not a purchase."""
    seller = getattr(vendor, "group_entity", None) if vendor is not None else None
    if seller is None:
        return None
    buyer = project.entity if project is not None and project.entity_id else None
    if buyer is None:
        return None
    if buyer.pk == seller.pk:
        raise ApplicationError(
            f"{vendor.code} is {seller.code} itself: an entity cannot commit to itself.",
            code="intercompany_self",
            status_code=409,
        )
    return buyer, seller


def _odoo_system_of(entity: Entity):
    """The Odoo System holding the entity's books: its own, else the only enabled one."""
    if entity.odoo_system_id and entity.odoo_system.enabled:
        return entity.odoo_system
    from apps.connectors.models import System

    systems = list(System.objects.filter(kind="odoo", enabled=True).order_by("id")[:2])
    return systems[0] if len(systems) == 1 else None


def _lines(commitment) -> list[dict]:
    return [
        {
            "description": line.description,
            "quantity": str(line.quantity),
            "unit_price": str(line.unit_price),
            **({"product_code": line.product_code} if line.product_code else {}),
        }
        for line in commitment.lines.order_by("line_no")
    ]


def sale_order_payload(record: IntercompanyCommitment) -> dict:
    """The seller's sales order for the commitment (apps/connectors/odoo `sale_order` contract)."""
    commitment = record.commitment
    payload = {
        "number": commitment.number,
        "customer_ref": record.buyer.code,
        "customer_name": record.buyer.name,
        "currency": commitment.currency,
        "date_order": (commitment.approved_at or commitment.created_at).date().isoformat(),
        "origin": f"Intercompany {record.buyer.code} {commitment.number}",
        "lines": _lines(commitment),
        "confirm": True,
    }
    if record.seller.odoo_company_id:
        payload["company_id"] = record.seller.odoo_company_id
    return payload


def _buyer_transaction(commitment):
    from apps.ledger.models import Transaction

    return (
        Transaction.objects.filter(
            direction="outbound", subject_domain="commitment", subject_id=commitment.number
        )
        .order_by("-id")
        .first()
    )


def _send_seller_side(record: IntercompanyCommitment, *, operation: str, parent=None):
    """One outbound transaction to the seller's Odoo (in the caller's DB transaction)."""
    from apps.ledger.services import transaction_create_outbound

    system = _odoo_system_of(record.seller)
    if system is None:
        logger.info("intercompany %s: seller %s has no Odoo System", record.pk, record.seller.code)
        return None
    commitment = record.commitment
    payload = (
        {"number": commitment.number, **_company(record)}
        if operation == "cancel"
        else sale_order_payload(record)
    )
    key = (
        f"intercompany:{commitment.number}:sale_order:create"
        if operation == "create"
        else f"intercompany:{commitment.number}:sale_order:{operation}:{timezone.now().isoformat()}"
    )
    return transaction_create_outbound(
        parent=parent if parent is not None else _buyer_transaction(commitment),
        system=system,
        domain=DOMAIN,
        operation=operation,
        payload=payload,
        idempotency_key=key,
        subject_domain=DOMAIN,
        subject_id=commitment.number,
        project=commitment.project,
    )


def _company(record: IntercompanyCommitment) -> dict:
    return {"company_id": record.seller.odoo_company_id} if record.seller.odoo_company_id else {}


# --- lifecycle hooks (called by apps/procurement inside its transaction) ----------------------


def intercompany_recognise(*, commitment, actor) -> IntercompanyCommitment | None:
    """Recognise an issued commitment on the seller's side, once. None if not intercompany."""
    parties = intercompany_parties(project=commitment.project, vendor=commitment.vendor)
    if parties is None:
        return None
    buyer, seller = parties
    record, created = IntercompanyCommitment.objects.get_or_create(
        commitment=commitment,
        defaults={
            "buyer": buyer,
            "seller": seller,
            "currency": commitment.currency,
            "buyer_amount": commitment.total_amount,
            "seller_amount": commitment.total_amount,
        },
    )
    if not created:
        return record
    tx = _send_seller_side(record, operation="create")
    record.seller_transaction = tx
    record.save(update_fields=["seller_transaction"])
    audit_record(
        actor=actor,
        action="intercompany.recognise",
        target=commitment,
        detail={
            "buyer": buyer.code,
            "seller": seller.code,
            "amount": str(commitment.total_amount),
            "currency": commitment.currency,
            "seller_transaction": tx.pk if tx else None,
        },
    )
    if tx is None:
        _open_difference(
            record,
            {"seller_order": {"buyer": commitment.number, "seller": None}},
            reason=f"{seller.code} has no Odoo System: its side of {commitment.number} is "
            "recorded in the hub only.",
        )
    return record


def intercompany_follow(*, commitment, actor, parent=None) -> IntercompanyCommitment | None:
    """After the commitment's amount or lines changed: the seller's order follows."""
    record = IntercompanyCommitment.objects.filter(commitment=commitment).first()
    if record is None or record.state == IntercompanyState.CANCELLED:
        return None
    commitment.refresh_from_db(fields=["total_amount"])
    record.buyer_amount = commitment.total_amount
    record.seller_amount = commitment.total_amount
    record.save(update_fields=["buyer_amount", "seller_amount"])
    _send_seller_side(record, operation="update", parent=parent)
    audit_record(
        actor=actor,
        action="intercompany.follow",
        target=commitment,
        detail={"amount": str(commitment.total_amount)},
    )
    return record


def intercompany_cancel(*, commitment, actor) -> IntercompanyCommitment | None:
    """The commitment was cancelled: cancel the seller's order too."""
    record = IntercompanyCommitment.objects.filter(commitment=commitment).first()
    if record is None or record.state == IntercompanyState.CANCELLED:
        return None
    record.state = IntercompanyState.CANCELLED
    record.reconciled_at = None  # compare once more: the seller's order must be cancelled too
    record.save(update_fields=["state", "reconciled_at"])
    _send_seller_side(record, operation="cancel")
    audit_record(actor=actor, action="intercompany.cancel", target=commitment, detail={})
    return record


# --- reconciliation ---------------------------------------------------------------------------


def _decimal(value) -> Decimal | None:
    if value in (None, False, ""):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _name(value) -> str:
    if isinstance(value, list | tuple) and len(value) == 2:
        return str(value[1])
    return ""


def _id(value) -> int | None:
    if isinstance(value, list | tuple) and value:
        return int(value[0])
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _side(row: dict | None, states: dict) -> dict | None:
    if row is None:
        return None
    return {
        "name": row.get("name") or "",
        "amount": _decimal(row.get("amount_untaxed")),
        "currency": _name(row.get("currency_id")),
        "state": states.get(row.get("state"), "draft"),
        "company_id": _id(row.get("company_id")),
    }


def _read_orders(client, model: str, key_field: str, numbers: list[str]) -> dict[str, list]:
    rows = client.call(
        model,
        "search_read",
        [[[key_field, "in", numbers]]],
        {"fields": ["name", key_field, "state", "amount_untaxed", "currency_id", "company_id"]},
    )
    found: dict[str, list] = defaultdict(list)
    for row in rows or []:
        found[str(row.get(key_field) or "")].append(row)
    return found


def _pick(rows: list, company_id: int | None) -> dict | None:
    """The order of the entity's company (an Odoo database may hold several companies)."""
    for row in rows:
        if company_id is None or _id(row.get("company_id")) == company_id:
            return row
    return None


def compare_sides(*, record: IntercompanyCommitment, buyer: dict | None, seller: dict | None):
    """{field: {"buyer": …, "seller": …}} of what differs between the two sides and the hub."""
    commitment = record.commitment
    expected = "cancelled" if commitment.status == "cancelled" else "confirmed"
    hub_amount = commitment.total_amount.quantize(Decimal("0.01"))
    diffs: dict[str, dict] = {}
    if buyer is None:
        diffs["buyer_order"] = {"buyer": None, "seller": seller and seller["name"]}
    if seller is None:
        diffs["seller_order"] = {"buyer": buyer and buyer["name"], "seller": None}
    if buyer is not None and seller is not None:
        if buyer["amount"] != seller["amount"]:
            diffs["amount"] = {"buyer": str(buyer["amount"]), "seller": str(seller["amount"])}
        if buyer["currency"] != seller["currency"]:
            diffs["currency"] = {"buyer": buyer["currency"], "seller": seller["currency"]}
        if buyer["state"] != seller["state"]:
            diffs["state"] = {"buyer": buyer["state"], "seller": seller["state"]}
    for side_name, side in (("buyer", buyer), ("seller", seller)):
        if side is None:
            continue
        if expected != "cancelled" and side["amount"] != hub_amount and "amount" not in diffs:
            diffs[f"{side_name}_amount_vs_hub"] = {
                "hub": str(hub_amount),
                side_name: str(side["amount"]),
            }
        if side["state"] != expected and "state" not in diffs:
            diffs[f"{side_name}_state_vs_hub"] = {"hub": expected, side_name: side["state"]}
    return diffs


def _open_difference(record: IntercompanyCommitment, diffs: dict, *, reason: str = "") -> None:
    from apps.exceptions.services import exception_open

    commitment = record.commitment
    names = ", ".join(sorted(diffs))
    amount = None
    if "amount" in diffs:
        buyer_amount = _decimal(diffs["amount"]["buyer"]) or Decimal(0)
        seller_amount = _decimal(diffs["amount"]["seller"]) or Decimal(0)
        amount = abs(buyer_amount - seller_amount)
    exception_open(
        category="reconciliation_difference",
        title=f"Intercompany {commitment.number}: {record.buyer.code} and {record.seller.code} "
        f"disagree ({names})",
        reason=reason
        or (
            f"The purchase order of {record.buyer.code} and the sales order of "
            f"{record.seller.code} for {commitment.number} differ: {names}."
        ),
        trace_key=record.trace_key,
        project=commitment.project,
        amount=amount if amount is not None else commitment.total_amount,
        currency=commitment.currency,
        details={"intercompany": record.pk, "differences": diffs},
        tags=["intercompany"],
    )


def _in_flight(record: IntercompanyCommitment) -> bool:
    """Either side's last message is still being delivered (the dispatcher owns it)."""
    from apps.ledger.models import Transaction

    return Transaction.objects.filter(
        direction="outbound",
        subject_id=record.commitment.number,
        subject_domain__in=["commitment", DOMAIN],
        status__in=IN_FLIGHT,
    ).exists()


def intercompany_reconcile(*, entity: Entity | None = None, progress=None) -> dict:
    """Compare both sides of every live intercompany commitment (of `entity`, buying or
    selling, if given): one read per Odoo System and side. Returns counts and per-system errors."""
    from django.db.models import Q

    from apps.connectors.odoo.client import odoo_client_for
    from apps.exceptions.services import exception_auto_resolve

    records = IntercompanyCommitment.objects.select_related(
        "commitment__project", "buyer__odoo_system", "seller__odoo_system"
    )
    if entity is not None:
        records = records.filter(Q(buyer=entity) | Q(seller=entity))
    # A cancelled one is compared until both sides are seen cancelled, then left alone.
    records = [
        r
        for r in records
        if not (
            r.state == IntercompanyState.CANCELLED
            and r.reconciled_at is not None
            and not (r.last_result or {}).get("differences")
        )
    ]
    counts = {"checked": 0, "agreed": 0, "differences": 0, "in_flight": 0, "unreachable": 0}
    errors: dict[str, str] = {}
    wanted: dict[tuple, set[str]] = defaultdict(set)
    systems = {}
    for record in records:
        for side, model in (("buyer", "purchase.order"), ("seller", "sale.order")):
            system = _odoo_system_of(getattr(record, side))
            if system is not None:
                systems[system.pk] = system
                wanted[(system.pk, model)].add(record.commitment.number)
    found: dict[tuple, dict[str, list]] = {}
    for (system_id, model), numbers in wanted.items():
        system = systems[system_id]
        key_field = "origin" if model == "purchase.order" else "client_order_ref"
        try:
            found[(system_id, model)] = _read_orders(
                odoo_client_for(system), model, key_field, sorted(numbers)
            )
        except Exception as exc:  # an unreachable Odoo is reported, never a false difference
            errors[f"{system.code} {model}"] = f"{exc.__class__.__name__}: {exc}"[:300]
    now = timezone.now()
    for position, record in enumerate(records, start=1):
        if progress is not None:
            progress(position, len(records))
        number = record.commitment.number
        sides = {}
        reachable = True
        for side, model, states in (
            ("buyer", "purchase.order", PO_STATES),
            ("seller", "sale.order", SO_STATES),
        ):
            entity_side = getattr(record, side)
            system = _odoo_system_of(entity_side)
            rows = found.get((system.pk, model)) if system is not None else {}
            if rows is None:
                reachable = False
                break
            sides[side] = _side(_pick(rows.get(number, []), entity_side.odoo_company_id), states)
        if not reachable:
            counts["unreachable"] += 1
            continue
        counts["checked"] += 1
        diffs = compare_sides(record=record, buyer=sides["buyer"], seller=sides["seller"])
        if diffs and _in_flight(record):
            counts["in_flight"] += 1
            continue
        with transaction.atomic():
            record.reconciled_at = now
            record.last_result = {
                "buyer": _jsonable(sides["buyer"]),
                "seller": _jsonable(sides["seller"]),
                "differences": diffs,
            }
            if record.state != IntercompanyState.CANCELLED:
                record.state = IntercompanyState.DIFFERENCE if diffs else IntercompanyState.AGREED
            record.save(update_fields=["reconciled_at", "last_result", "state"])
            if diffs:
                counts["differences"] += 1
                _open_difference(record, diffs)
            else:
                counts["agreed"] += 1
                exception_auto_resolve(
                    trace_key=record.trace_key,
                    transaction=None,
                    reason="the purchase and sales orders agree again",
                )
    return {**counts, "errors": errors}


def _jsonable(side: dict | None) -> dict | None:
    if side is None:
        return None
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in side.items()}


def intercompany_reconcile_execute(*, job):
    """The reconciliation job for intercompany commitments (JobRun domain "intercompany")."""
    from apps.sync.choices import JobStatus
    from apps.sync.services import job_run_finish, job_run_log, job_run_progress, job_run_start

    if not job_run_start(job=job):
        return job
    job_run_log(job=job, message="comparing both sides of every intercompany commitment")

    def progress(done: int, total: int) -> None:
        if done == total or done % 100 == 0:
            job_run_progress(job=job, read=done, total=total)

    result = intercompany_reconcile(progress=progress)
    for where, error in result["errors"].items():
        job_run_log(job=job, level="error", message=f"{where}: {error}")
    job.refresh_from_db()
    job.params = {**(job.params or {}), "summary": result}
    job.save(update_fields=["params"])
    status = JobStatus.PARTIAL if result["errors"] else JobStatus.SUCCEEDED
    if result["errors"] and not result["checked"]:
        status = JobStatus.FAILED
    return job_run_finish(
        job=job,
        status=status,
        outcome=(
            f"{result['checked']} intercompany commitment(s) compared: {result['agreed']} agree, "
            f"{result['differences']} differ, {result['in_flight']} still in delivery, "
            f"{result['unreachable']} not reachable"
        ),
    )
