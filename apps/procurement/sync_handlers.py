"""Procurement's domain handlers for the sync pipeline (imported by apps.sync.handlers on first
use) and its controls hook.

Inbound, through validate → SoR → map → controls → apply (apps/sync/pipeline.py):
    commitment      Odoo's purchase.order (pulled): links the hub's PO to Odoo's name and line ids
                    (the confirmation); a PO raised in Odoo without a hub commitment is held.
    receipt         Odoo's stock.picking (pulled): a validated receipt made in Odoo is recorded
                    here (one the hub sent itself is recognised by its binding).
    invoice         Odoo's vendor bills (pulled): recorded and 3-way matched; the match result
                    (hold / release) goes back to Odoo, the posting waits for the accounting gate.
    payment         Odoo's supplier payments (pulled): recorded and allocated to the bills named
                    in its memo; a payment of a held bill opens an exception item.
    budget_line     estimating's budget versions: applied row by row like a budget file; refused
                    rows become one exception item; where a sync policy carries budget_line from
                    that system to an Odoo system, each cost code applied becomes an Odoo
                    budget.line (upsert, the project's revised amount for that code).
    requisition     field apps / procurement portals: created and submitted (budget check).
    progress_claim  subcontractor portals: recorded for certification on site.
    change_order    (generic handler: recorded and routed by the sync policies)

Controls: `requisition` is budget-checked (a block holds it with a budget_exceeded item);
`commitment` from Odoo is checked for a blocked vendor (compliance hold); bills of a blocked
vendor are recorded and held by the 3-way match itself.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils.dateparse import parse_date

from apps.core.errors import ApplicationError
from apps.procurement.models import Commitment, CommitmentLine, Invoice, Receipt, Vendor
from apps.procurement.outbound import invoice_subject
from apps.sync.handlers import (
    ApplyResult,
    DomainHandler,
    Field,
    ProcessingContext,
    register_control,
    register_handler,
)

ODOO = "odoo"


def _hold(reason: str, *, category: str, trace_key: str, title: str = "", **extra):
    from apps.sync.errors import ControlHold

    return ControlHold(reason, category=category, trace_key=trace_key, title=title, **extra)


def _fail(reason: str, *, category: str = "schema_invalid", trace_key: str, **extra):
    from apps.sync.errors import ControlFailure

    return ControlFailure(reason, category=category, trace_key=trace_key, **extra)


def _as_hold(exc: ApplicationError, ctx: ProcessingContext, category: str):
    """A business refusal from a service becomes a hold with the same precise reason."""
    return _hold(
        exc.message,
        category=category,
        trace_key=(
            f"{ctx.domain}:{ctx.system.code}:{exc.code}:{ctx.subject_id or ctx.transaction.pk}"
        ),
        details={"code": exc.code, **(exc.details or {})},
    )


def vendor_for(ctx: ProcessingContext, record: dict) -> Vendor:
    """The hub vendor of an Odoo partner: its binding, its external ref, or its code."""
    from apps.sync.models import Binding

    odoo_id = record.get("vendor_id")
    if odoo_id not in (None, ""):
        binding = Binding.objects.filter(
            system=ctx.system, domain="vendor", external_id=str(odoo_id)
        ).first()
        vendor = None
        if binding is not None:
            vendor = Vendor.objects.filter(code=binding.canonical_id).first()
        vendor = vendor or Vendor.objects.filter(external_ref=str(odoo_id)).first()
        if vendor is not None:
            return vendor
    code = record.get("vendor_ref") or record.get("vendor_code")
    if code:
        vendor = Vendor.objects.filter(code=ctx.mapper.vendor(code)).first()
        if vendor is not None:
            return vendor
    from apps.sync.errors import MappingMiss

    raise MappingMiss(
        kind="vendor",
        system_code=ctx.system.code,
        value=str(odoo_id or code or "?"),
        label=str(record.get("vendor_name") or ""),
    )


def _commitment_by_odoo_name(name: str) -> Commitment | None:
    if not name:
        return None
    return Commitment.objects.filter(external_ref=name).first()


def _line_by_purchase_line(
    commitment: Commitment | None, purchase_line_id
) -> CommitmentLine | None:
    if purchase_line_id in (None, ""):
        return None
    queryset = CommitmentLine.objects.filter(external_ref=str(purchase_line_id))
    if commitment is not None:
        queryset = queryset.filter(commitment=commitment)
    return queryset.select_related("commitment").first()


# --- commitment (purchase.order from Odoo) -------------------------------------------------------


@register_handler("commitment")
class CommitmentHandler(DomainHandler):
    schemas = {
        "1": {
            "number": Field("str", max_length=30),
            "odoo_name": Field("str", max_length=100),
            "state": Field("str"),
            "lines": Field("list"),
        }
    }
    subject_keys = ("number",)
    financial = True

    def delivered(self, *, transaction, system, response: dict) -> None:
        """A PO (or its change) reached Odoo: keep the line ids it answered with, so receipts
        and later change orders name Odoo's lines."""
        from apps.procurement.services import commitment_line_ids_keep

        line_ids = response.get("line_ids")
        if system.kind != "odoo" or not isinstance(line_ids, list):
            return
        commitment = Commitment.objects.filter(number=transaction.subject_id or "").first()
        if commitment is not None:
            commitment_line_ids_keep(
                commitment=commitment,
                external_ref=str(response.get("name") or ""),
                line_ids=line_ids,
            )

    def map(self, ctx: ProcessingContext) -> dict:
        canonical = dict(ctx.record)
        commitment = Commitment.objects.filter(number=canonical.get("number") or "").first()
        ctx.project = commitment.project if commitment is not None else None
        if commitment is not None:
            canonical["project_code"] = commitment.project.code
        return canonical

    def subject(self, ctx: ProcessingContext) -> str:
        return str(ctx.canonical.get("number") or ctx.canonical.get("odoo_name") or "")[:100]

    def apply(self, ctx: ProcessingContext) -> ApplyResult:
        from apps.procurement.services import commitment_link_external

        record = ctx.canonical
        commitment = Commitment.objects.filter(number=record.get("number") or "").first()
        if commitment is None:
            raise _hold(
                f"Purchase order {record.get('odoo_name') or '?'} was raised in Odoo without a hub "
                "commitment (origin "
                f"{record.get('number') or 'empty'}): its cost is not in any budget until it is "
                "linked to a commitment here.",
                category="unmatched_invoice",
                trace_key=f"commitment:{ctx.system.code}:unknown:{record.get('odoo_name')}",
                title=f"Odoo PO {record.get('odoo_name')} unknown to the hub",
            )
        if record.get("state") == "cancel" and commitment.status not in ("cancelled", "closed"):
            raise _hold(
                f"{commitment.number} is {commitment.get_status_display().lower()} in the hub but "
                f"cancelled in Odoo ({record.get('odoo_name')}).",
                category="reconciliation_difference",
                trace_key=f"commitment:{commitment.id}:odoo-cancelled",
            )
        differences = commitment_link_external(
            commitment=commitment,
            external_ref=str(record.get("odoo_name") or ""),
            line_refs=[line for line in record.get("lines") or [] if isinstance(line, dict)],
        )
        return ApplyResult(
            subject_id=commitment.number,
            changed=True,
            detail={"odoo_name": record.get("odoo_name"), "differences": differences},
        )


@register_control("commitment", name="commitment_vendor_not_blocked")
def commitment_vendor_not_blocked(ctx: ProcessingContext) -> None:
    commitment = Commitment.objects.filter(number=ctx.canonical.get("number") or "").first()
    if commitment is not None and commitment.vendor.status == "blocked":
        raise _hold(
            f"{commitment.number} is with {commitment.vendor.name}, which is blocked: "
            f"{commitment.vendor.blocked_reason}",
            category="compliance_hold",
            trace_key=f"commitment:{commitment.id}:vendor",
        )


# --- receipt (stock.picking from Odoo) -----------------------------------------------------------


def _site_delivery(ctx: ProcessingContext):
    """A delivery reported on site (field connector, operation `received`) is a field event:
    apps.field records the receipt on the PO (request #5 in docs/notes/requests-procurement.md)."""
    if ctx.transaction.operation != "received":
        return None
    from apps.field.sync_handlers import FieldEventHandler

    handler = FieldEventHandler()
    handler.domain = "receipt"
    return handler


@register_handler("receipt")
class ReceiptHandler(DomainHandler):
    schemas = {"1": {"odoo_name": Field("str"), "state": Field("str"), "lines": Field("list")}}
    subject_keys = ("odoo_name",)
    financial = True
    keep_canonical_record = False

    def validate(self, ctx: ProcessingContext) -> list[str]:
        site = _site_delivery(ctx)
        return site.validate(ctx) if site is not None else super().validate(ctx)

    def map(self, ctx: ProcessingContext) -> dict:
        site = _site_delivery(ctx)
        if site is not None:
            return site.map(ctx)
        canonical = dict(ctx.record)
        commitment = _commitment_by_odoo_name(str(canonical.get("commitment_odoo_name") or ""))
        ctx.project = commitment.project if commitment is not None else None
        return canonical

    def subject(self, ctx: ProcessingContext) -> str:
        from apps.sync.models import Binding

        site = _site_delivery(ctx)
        if site is not None:
            return site.subject(ctx)
        external = str(ctx.transaction.external_id or "")
        binding = (
            Binding.objects.filter(
                system=ctx.system, domain="receipt", external_id=external
            ).first()
            if external
            else None
        )
        if binding is not None:
            return binding.canonical_id  # the hub's own receipt, sent to Odoo earlier
        return str(ctx.canonical.get("odoo_name") or external)[:100]

    def apply(self, ctx: ProcessingContext) -> ApplyResult:
        from apps.procurement.services import receipt_record

        site = _site_delivery(ctx)
        if site is not None:
            return site.apply(ctx)
        record = ctx.canonical
        if Receipt.objects.filter(number=ctx.subject_id).exists():
            return ApplyResult(subject_id=ctx.subject_id, changed=False, detail={"known": True})
        odoo_name = str(record.get("odoo_name") or "")
        existing = Receipt.objects.filter(external_ref=odoo_name).first() if odoo_name else None
        if existing is not None:
            return ApplyResult(subject_id=existing.number, changed=False, detail={"known": True})
        if record.get("state") != "done":
            return ApplyResult(
                subject_id=ctx.subject_id, changed=False, detail={"not_done": record.get("state")}
            )
        commitment = _commitment_by_odoo_name(str(record.get("commitment_odoo_name") or ""))
        if commitment is None:
            raise _hold(
                f"Receipt {odoo_name} is for {record.get('commitment_odoo_name') or 'no PO'}, "
                "which no hub commitment is linked to.",
                category="missing_receipt",
                trace_key=f"receipt:{ctx.system.code}:{odoo_name}",
            )
        lines = []
        for line in record.get("lines") or []:
            commitment_line = _line_by_purchase_line(commitment, line.get("purchase_line_id"))
            quantity = Decimal(str(line.get("quantity") or "0"))
            if commitment_line is None or quantity == 0:
                continue
            lines.append({"line": commitment_line, "quantity": quantity})
        if not lines:
            return ApplyResult(subject_id=ctx.subject_id, changed=False, detail={"lines": 0})
        received = str(record.get("received_at") or "")[:10]
        try:
            receipt = receipt_record(
                commitment=commitment,
                received_by=None,
                lines=lines,
                received_on=parse_date(received) if received else None,
                reference=odoo_name,
                external_ref=odoo_name,
            )
        except ApplicationError as exc:
            raise _as_hold(exc, ctx, "missing_receipt") from None
        return ApplyResult(subject_id=receipt.number, created=True)

    def routes(self, ctx, result):
        if _site_delivery(ctx) is not None:
            return []  # receipt_record routed the hub's receipt to Odoo itself
        return super().routes(ctx, result)


# --- invoice (vendor bills from Odoo) ------------------------------------------------------------


@register_handler("invoice")
class InvoiceHandler(DomainHandler):
    schemas = {
        "1": {
            "number": Field("str", required=True, max_length=60),
            "kind": Field("str"),
            "invoice_date": Field("date"),
            "currency": Field("str", max_length=3),
            "lines": Field("list"),
        }
    }
    financial = True

    def map(self, ctx: ProcessingContext) -> dict:
        record = ctx.record
        vendor = vendor_for(ctx, record)
        commitment = _commitment_by_odoo_name(str(record.get("commitment_odoo_name") or ""))
        lines = []
        for position, line in enumerate(record.get("lines") or [], start=1):
            if not isinstance(line, dict):
                continue
            commitment_line = _line_by_purchase_line(commitment, line.get("purchase_line_id"))
            if commitment is None and commitment_line is not None:
                commitment = commitment_line.commitment
            lines.append(
                {
                    "commitment_line_id": commitment_line.id if commitment_line else None,
                    "description": line.get("description") or f"line {position}",
                    "quantity": str(line.get("quantity") or "0"),
                    "unit_price": str(line.get("unit_price") or "0"),
                }
            )
        ctx.project = commitment.project if commitment is not None else None
        kind = "credit_note" if record.get("kind") in ("credit_note", "in_refund") else "invoice"
        return {
            "vendor_code": vendor.code,
            "number": str(record["number"]),
            "kind": kind,
            "commitment_number": commitment.number if commitment is not None else "",
            "project_code": ctx.project.code if ctx.project is not None else "",
            "invoice_date": str(record.get("invoice_date") or "")[:10],
            "due_date": str(record.get("due_date") or "")[:10],
            "currency": record.get("currency") or (ctx.project.currency if ctx.project else "EUR"),
            "amount_tax": str(record.get("amount_tax") or "0"),
            "amount_total": str(record.get("amount_total") or "0"),
            "state": record.get("state") or "",
            "lines": lines,
        }

    def subject(self, ctx: ProcessingContext) -> str:
        kind = "credit_note" if ctx.canonical["kind"] == "credit_note" else "bill"
        return f"{ctx.canonical['vendor_code']}:{kind}:{ctx.canonical['number']}"[:100]

    def apply(self, ctx: ProcessingContext) -> ApplyResult:
        from apps.procurement.services import invoice_mark_posted, invoice_record

        canonical = ctx.canonical
        vendor = Vendor.objects.get(code=canonical["vendor_code"])
        existing = Invoice.objects.filter(
            vendor=vendor, kind=canonical["kind"], number=canonical["number"]
        ).first()
        if existing is not None:
            if canonical["state"] == "posted":
                invoice_mark_posted(invoice=existing, external_ref=str(ctx.transaction.external_id))
            return ApplyResult(subject_id=invoice_subject(existing), changed=False)
        if canonical["state"] == "cancel":
            return ApplyResult(subject_id=ctx.subject_id, changed=False, detail={"cancelled": True})
        commitment = (
            Commitment.objects.filter(number=canonical["commitment_number"]).first()
            if canonical["commitment_number"]
            else None
        )
        invoice_date = parse_date(canonical["invoice_date"]) if canonical["invoice_date"] else None
        try:
            invoice = invoice_record(
                vendor=vendor,
                number=canonical["number"],
                invoice_date=invoice_date or ctx.transaction.received_at.date(),
                due_date=parse_date(canonical["due_date"]) if canonical["due_date"] else None,
                currency=canonical["currency"],
                kind=canonical["kind"],
                commitment=commitment,
                project=ctx.project,
                tax_amount=canonical["amount_tax"],
                lines=canonical["lines"],
                source=ODOO,
                external_ref=str(ctx.transaction.external_id or ""),
                ledger_transaction=ctx.transaction,
            )
        except ApplicationError as exc:
            raise _as_hold(exc, ctx, "unmatched_invoice") from None
        return ApplyResult(
            subject_id=invoice_subject(invoice),
            created=True,
            detail={"match_status": invoice.match_status, "invoice": invoice.id},
        )

    def routes(self, ctx, result):
        return []  # the match result goes back to Odoo from the service (outbound.route)

    def references(self, ctx: ProcessingContext) -> dict:
        return {"invoice_number": ctx.canonical.get("number", "")}


# --- payment (supplier payments from Odoo) -------------------------------------------------------


@register_handler("payment")
class PaymentHandler(DomainHandler):
    schemas = {
        "1": {
            "reference": Field("str"),
            "amount": Field("decimal", required=True),
            "currency": Field("str", max_length=3),
            "date": Field("date"),
            "state": Field("str"),
        }
    }
    financial = True
    keep_canonical_record = False

    def map(self, ctx: ProcessingContext) -> dict:
        record = ctx.record
        vendor = vendor_for(ctx, record)
        ctx.project = None
        return {
            "vendor_code": vendor.code,
            "reference": str(record.get("reference") or ""),
            "amount": str(record["amount"]),
            "currency": record.get("currency") or vendor.currency,
            "date": str(record.get("date") or "")[:10],
            "state": record.get("state") or "",
        }

    def subject(self, ctx: ProcessingContext) -> str:
        return f"odoo:{ctx.transaction.external_id or ctx.canonical['reference']}"[:100]

    def apply(self, ctx: ProcessingContext) -> ApplyResult:
        from apps.procurement.services import payment_record

        canonical = ctx.canonical
        if canonical["state"] in ("draft", "cancel", "canceled", "rejected"):
            return ApplyResult(subject_id=ctx.subject_id, changed=False, detail=canonical)
        vendor = Vendor.objects.get(code=canonical["vendor_code"])
        amount = Decimal(canonical["amount"])
        allocations = []
        left = amount
        # Odoo's payment wizard writes the paid bills' vendor numbers into the memo.
        numbers = [n.strip() for n in canonical["reference"].split(",") if n.strip()]
        for invoice in Invoice.objects.filter(
            vendor=vendor, kind="invoice", number__in=numbers
        ).order_by("invoice_date", "id"):
            share = min(left, invoice.open_amount)
            if share > 0:
                allocations.append({"invoice": invoice, "amount": share})
                left -= share
        paid_on = parse_date(canonical["date"]) if canonical["date"] else None
        paid_on = paid_on or ctx.transaction.received_at.date()
        try:
            payment = payment_record(
                vendor=vendor,
                amount=amount,
                currency=canonical["currency"],
                paid_on=paid_on,
                source=ODOO,
                reference=canonical["reference"],
                external_ref=str(ctx.transaction.external_id or ctx.subject_id),
                allocations=allocations,
                ledger_transaction=ctx.transaction,
            )
        except ApplicationError as exc:
            raise _as_hold(exc, ctx, "reconciliation_difference") from None
        return ApplyResult(
            subject_id=payment.number,
            created=True,
            detail={"allocated": [a["invoice"].number for a in allocations]},
        )

    def routes(self, ctx, result):
        return []


# --- budget_line (budget versions from estimating) -----------------------------------------------


@register_handler("budget_line")
class BudgetLineHandler(DomainHandler):
    schemas = {"1": {"project": Field("str"), "lines": Field("list", required=True)}}
    financial = True
    keep_canonical_record = False

    def subject(self, ctx: ProcessingContext) -> str:
        # One subject per budget (not per version): the pipeline's stale guard then compares the
        # versions' issue times, and `_superseded_by` their numbers (request #4).
        record = ctx.canonical
        return str(record.get("budget_id") or ctx.transaction.external_id)[:100]

    def _superseded_by(self, ctx: ProcessingContext) -> dict | None:
        """The newer version of this budget already applied, when this one is older."""
        from apps.ledger.models import Transaction
        from apps.sync.models import SubjectState

        version = str(ctx.canonical.get("version") or "")
        state = SubjectState.objects.filter(domain=ctx.domain, subject_id=ctx.subject_id).first()
        if not version.isdigit() or state is None or not state.last_transaction_id:
            return None
        applied = (
            Transaction.objects.filter(pk=state.last_transaction_id)
            .values_list("payload", flat=True)
            .first()
        )
        applied_version = str((applied or {}).get("version") or "")
        if applied_version.isdigit() and int(applied_version) > int(version):
            return {"version": int(applied_version), "transaction": state.last_transaction_id}
        return None

    def apply(self, ctx: ProcessingContext) -> ApplyResult:
        from apps.procurement.services import budget_rows_apply
        from apps.projects.exception_items import exception_item_open
        from apps.sync.errors import StaleUpdate

        newer = self._superseded_by(ctx)
        if newer is not None:
            raise StaleUpdate(
                f"Budget {ctx.subject_id} version {ctx.canonical.get('version')} is superseded by "
                f"version {newer['version']} (transaction {newer['transaction']}), applied "
                "already: recorded, not applied over it.",
                details={
                    "stale": True,
                    "superseded": True,
                    "superseded_by_version": newer["version"],
                    "applied_transaction": newer["transaction"],
                },
            )
        canonical = ctx.canonical
        project_code = ctx.project.code if ctx.project is not None else ""
        rows = [
            {
                "row_number": line.get("row") or position,
                "project": project_code or canonical.get("project") or "",
                "phase": line.get("phase") or "",
                "cost_code": line.get("cost_code") or "",
                "description": line.get("description") or "",
                "amount": str(line.get("amount") or ""),
                "currency": line.get("currency") or canonical.get("currency") or "",
            }
            for position, line in enumerate(canonical.get("lines") or [], start=1)
            if isinstance(line, dict)
        ]
        result = budget_rows_apply(
            rows=rows,
            actor=None,
            file_name=f"estimating {ctx.subject_id}:v{canonical.get('version', '')}",
            file_format="estimating",
            source=f"ledger transaction {ctx.transaction.pk}",
        )
        problems = list(canonical.get("errors") or [])
        refused = list(result.rows.filter(outcome="refused"))
        if refused or problems:
            reasons = [
                f"row {row.row_number} ({row.phase_code} {row.cost_code}): {'; '.join(row.reasons)}"
                for row in refused
            ] + [str(p) for p in problems]
            exception_item_open(
                category="cost_code_error"
                if any("cost code" in r for r in reasons)
                else "mapping_missing",
                title=f"Budget {ctx.subject_id} v{canonical.get('version', '')}: "
                f"{len(reasons)} row(s) not applied",
                reason="; ".join(reasons)[:4000],
                trace_key=(
                    f"budget:{ctx.system.code}:{ctx.subject_id}:v{canonical.get('version', '')}"
                ),
                project=ctx.project,
                details={"budget_import": result.id, "refused": reasons},
                ledger_transaction=ctx.transaction,
            )
        applied = sorted(
            {
                (row.budget_line.project_id, row.budget_line.cost_code.code)
                for row in result.rows.filter(
                    outcome="accepted", budget_line__isnull=False
                ).select_related("budget_line__cost_code")
            }
        )
        return ApplyResult(
            subject_id=ctx.subject_id,
            created=True,
            detail={
                "budget_import": result.id,
                "accepted": result.accepted_rows,
                "refused": result.refused_rows,
                "applied": [list(pair) for pair in applied],
            },
        )

    def routes(self, ctx, result):
        """Only where a sync policy says so (estimating → Odoo budget_line): one Odoo budget
        line per (project, cost code) the version applied. Without a policy the import stays in
        the hub and Odoo's budgets move with approved change orders."""
        from apps.procurement.odoo_payloads import budget_line_payload
        from apps.projects.models import Project
        from apps.sync.handlers import Route
        from apps.sync.selectors import route_policies

        applied = result.detail.get("applied") or []
        if not applied:
            return []
        projects = Project.objects.in_bulk({project_id for project_id, _code in applied})
        routes = []
        for project_id, code in applied:
            project = projects[project_id]
            for policy in route_policies(
                domain="budget_line",
                source_system=ctx.system,
                project_id=project_id,
                entity_id=project.entity_id,
            ):
                target = policy.route_target
                if target.kind != ODOO:
                    continue
                routes.append(
                    Route(
                        system=target,
                        domain="budget_line",
                        operation="upsert",
                        payload=budget_line_payload(project, code, target),
                        subject_id=f"{project.code}:{code}",
                        key_suffix=f"{project.code}:{code}",
                    )
                )
        return routes

    def amount(self, ctx):
        total = Decimal("0")
        for line in ctx.canonical.get("lines") or []:
            try:
                total += Decimal(str(line.get("amount") or "0"))
            except ArithmeticError:
                continue
        return total, str(ctx.canonical.get("currency") or "")


# --- requisition (field apps, procurement portals) -----------------------------------------------


def _requester(ctx: ProcessingContext):
    username = str(ctx.record.get("requested_by") or "").strip()
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise _fail(
            f"requested_by {username or '(empty)'} is not an active hub user: a requisition needs "
            "a requester (segregation of duties).",
            trace_key=f"requisition:{ctx.system.code}:requester:{username}",
        )
    return user


@register_handler("requisition")
class RequisitionHandler(DomainHandler):
    schemas = {
        "1": {
            "reference": Field("str", required=True, max_length=100),
            "title": Field("str", required=True, max_length=255),
            "requested_by": Field("str", required=True),
            "vendor": Field("str"),
            "lines": Field("list", required=True),
        }
    }
    subject_keys = ("reference",)
    financial = True

    def apply(self, ctx: ProcessingContext) -> ApplyResult:
        from apps.procurement.services import requisition_create, requisition_submit

        record = ctx.canonical
        user = _requester(ctx)
        vendor = Vendor.objects.filter(code=record.get("vendor") or "").first()
        lines = [
            {
                "phase": line.get("phase") or "",
                "cost_code": line.get("cost_code") or "",
                "description": line.get("description") or "",
                "product_code": line.get("product_code") or "",
                "quantity": str(line.get("quantity") or ""),
                "unit": line.get("unit") or "ea",
                "unit_price": str(line.get("unit_price") or ""),
            }
            for line in record.get("lines") or []
            if isinstance(line, dict)
        ]
        try:
            requisition = requisition_create(
                project=ctx.project,
                requested_by=user,
                title=f"{record['title']} ({record['reference']})",
                vendor=vendor,
                lines=lines,
            )
            requisition_submit(
                requisition=requisition,
                actor=user,
                override_reason=str(record.get("override_reason") or ""),
            )
        except ApplicationError as exc:
            raise _as_hold(exc, ctx, "budget_exceeded") from None
        return ApplyResult(subject_id=requisition.number, created=True)

    def routes(self, ctx, result):
        return []  # an approved requisition becomes a PO, which is what goes to Odoo


@register_control("requisition", name="requisition_budget_check")
def requisition_budget_check(ctx: ProcessingContext) -> None:
    """The budget check before a requisition from outside is recorded: a block holds it (with
    the figures) unless it carries an override reason for an approver to decide."""
    from apps.projects.selectors import BudgetCheckItem, budget_check

    if ctx.project is None or ctx.canonical.get("override_reason"):
        return
    items = []
    for line in ctx.canonical.get("lines") or []:
        try:
            amount = Decimal(str(line.get("quantity"))) * Decimal(str(line.get("unit_price")))
        except (ArithmeticError, TypeError, ValueError):
            continue
        items.append(
            BudgetCheckItem(
                cost_code=str(line.get("cost_code") or ""),
                phase=str(line.get("phase") or ""),
                amount=amount,
            )
        )
    if not items:
        return
    check = budget_check(project=ctx.project, items=items)
    if check.blocked:
        raise _hold(
            "The budget check blocks this requisition: "
            + "; ".join(
                f"{line['cost_code']}: {line['reason']}"
                for line in check.lines
                if line["outcome"] == "block"
            ),
            category="budget_exceeded",
            trace_key=f"requisition:{ctx.system.code}:{ctx.subject_id}:budget",
            details=check.as_json(),
            amount=sum((item.amount for item in items), Decimal("0")),
            currency=ctx.project.currency,
        )


# --- progress_claim (subcontractor portals) ------------------------------------------------------


@register_handler("progress_claim")
class ProgressClaimHandler(DomainHandler):
    schemas = {
        "1": {
            "commitment_number": Field("str", required=True, max_length=30),
            "period_end": Field("date", required=True),
            "vendor_reference": Field("str", max_length=100),
            "lines": Field("list", required=True),
        }
    }
    subject_keys = ("vendor_reference", "commitment_number")
    financial = True

    def map(self, ctx: ProcessingContext) -> dict:
        canonical = dict(ctx.record)
        commitment = Commitment.objects.filter(number=canonical["commitment_number"]).first()
        if commitment is None:
            raise _fail(
                f"Claim for unknown commitment {canonical['commitment_number']}.",
                category="unmatched_invoice",
                trace_key=f"progress_claim:{ctx.system.code}:{canonical['commitment_number']}",
            )
        ctx.project = commitment.project
        return canonical

    def apply(self, ctx: ProcessingContext) -> ApplyResult:
        from apps.procurement.services import progress_claim_submit

        record = ctx.canonical
        commitment = Commitment.objects.get(number=record["commitment_number"])
        lines = []
        for line in record.get("lines") or []:
            commitment_line = commitment.lines.filter(line_no=line.get("line_no") or 0).first()
            if commitment_line is None:
                raise _fail(
                    f"{commitment.number} has no line {line.get('line_no')}.",
                    trace_key=f"progress_claim:{ctx.system.code}:{commitment.number}:lines",
                )
            lines.append(
                {
                    "line": commitment_line,
                    "percent_complete": line.get("percent_complete"),
                    "quantity_to_date": line.get("quantity_to_date"),
                }
            )
        try:
            claim = progress_claim_submit(
                commitment=commitment,
                submitted_by=None,
                period_end=parse_date(str(record["period_end"])[:10]),
                lines=lines,
                vendor_reference=str(record.get("vendor_reference") or ""),
            )
        except ApplicationError as exc:
            raise _as_hold(exc, ctx, "price_quantity_variance") from None
        return ApplyResult(subject_id=claim.number, created=True)

    def routes(self, ctx, result):
        return []
