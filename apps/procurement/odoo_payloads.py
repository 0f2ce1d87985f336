"""What each procurement document looks like to the Odoo connector (its payload contract is in
apps/connectors/odoo/__init__.py). Pure: document in, payload out."""

from __future__ import annotations

from apps.procurement.models import ChangeOrder, Commitment, Invoice, Receipt
from apps.projects.models import BudgetLine


def _external(kind: str, value: str, system, project=None) -> str:
    """The target system's value for a canonical one (its sync mapping, else unchanged): the
    project's own mapping, else its entity's, else the group's."""
    from apps.sync.selectors import mapping_reverse

    mapped = mapping_reverse(
        kind=kind,
        system=system,
        canonical_value=str(value),
        project_id=project.pk if project is not None else None,
        entity_id=project.entity_id if project is not None else None,
    )
    return mapped if mapped is not None else value


def _decimal(value) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else str(value)


def _commitment_line(line, system, *, with_id: bool, project=None, position=None) -> dict:
    payload = {
        "description": line.description,
        "quantity": _decimal(line.quantity),
        "unit_price": _decimal(line.unit_price),
        "cost_code": _external("cost_code", line.budget_line.cost_code.code, system, project),
    }
    if line.product_code:
        payload["product_code"] = line.product_code
    if with_id:
        # The Odoo line id when the hub has it; the line's position on the order always, for
        # the connector to find the line when the id is not known yet (an update queued behind
        # the create).
        if position is not None:
            payload["line_no"] = position
        if line.external_ref:
            payload["purchase_line_id"] = int(line.external_ref)
    return payload


def commitment_payload(commitment: Commitment, system, *, for_update: bool = False) -> dict:
    lines = commitment.lines.select_related("budget_line__cost_code").order_by("line_no")
    project = commitment.project
    return {
        "number": commitment.number,
        "vendor_ref": _external("vendor", commitment.vendor.code, system, project),
        "currency": commitment.currency,
        "project_code": commitment.project.code,
        "order_date": (commitment.approved_at or commitment.created_at).isoformat(),
        "notes": commitment.title,
        "confirmed": True,
        "lines": [
            _commitment_line(line, system, with_id=for_update, project=project, position=position)
            for position, line in enumerate(lines, start=1)
        ],
    }


def receipt_payload(receipt: Receipt, system) -> dict:
    lines = []
    for line in receipt.lines.select_related("commitment_line"):
        commitment_line = line.commitment_line
        entry = {"quantity": _decimal(line.quantity)}
        if commitment_line.external_ref:
            entry["purchase_line_id"] = int(commitment_line.external_ref)
        elif commitment_line.product_code:
            entry["product_code"] = commitment_line.product_code
        lines.append(entry)
    return {
        "commitment_number": receipt.commitment.number,
        "reference": receipt.reference or receipt.number,
        "received_on": receipt.received_on.isoformat(),
        "lines": lines,
    }


def invoice_payload(invoice: Invoice, system, *, operation: str) -> dict:
    payload = {
        "number": invoice.number,
        "vendor_ref": _external("vendor", invoice.vendor.code, system, invoice.project),
        "kind": "credit_note" if invoice.kind == "credit_note" else "bill",
    }
    if invoice.commitment_id:
        payload["commitment_number"] = invoice.commitment.number
    if operation == "match_result":
        payload["result"] = {
            "variance_approved": "matched",
            "rejected": "exception",
        }.get(invoice.match_status, invoice.match_status)
        if invoice.status == "rejected":
            payload["result"] = "exception"
        payload["reasons"] = [r.get("message", "") for r in invoice.match_reasons][:10]
        payload["variance"] = str(invoice.variance_amount)
    return payload


def change_order_payload(change_order: ChangeOrder, system) -> dict:
    """A commitment change: the changed lines with their Odoo line ids, the new ones without."""
    commitment = change_order.commitment
    positions = {
        pk: position
        for position, pk in enumerate(
            commitment.lines.order_by("line_no").values_list("pk", flat=True), start=1
        )
    }
    lines = []
    for change in change_order.lines.select_related(
        "commitment_line__budget_line__cost_code",
        "created_commitment_line__budget_line__cost_code",
    ):
        line = change.commitment_line or change.created_commitment_line
        if line is not None:
            lines.append(
                _commitment_line(
                    line,
                    system,
                    with_id=True,
                    project=change_order.project,
                    position=positions.get(line.pk),
                )
            )
    return {"number": commitment.number, "change_order": change_order.number, "lines": lines}


def budget_name(project) -> str:
    """The Odoo budget (budget.analytic) a project's lines belong to."""
    return f"{project.code} Construction budget"


def budget_payload(change_order: ChangeOrder, system) -> list[dict]:
    """Odoo budgets by project analytic account and cost code: one amount per cost code (the
    sum over the project's phases), for each cost code the change order touched."""
    project = change_order.project
    codes = sorted({line.budget_line.cost_code.code for line in change_order.lines.all()})
    return [budget_line_payload(project, code, system) for code in codes]


def budget_line_payload(project, code: str, system) -> dict:
    """One Odoo budget line: the project's budget, its analytic account and the cost code's (in
    the target's terms), the revised amount summed over the project's phases."""
    lines = BudgetLine.objects.filter(project=project, cost_code__code=code)
    return {
        "budget": budget_name(project),
        "project_code": project.code,
        "cost_code": _external("cost_code", code, system, project),
        "amount": str(sum((line.revised for line in lines), 0)),
    }


Route = tuple[dict, str, str, str]  # payload, subject domain, subject id, idempotency key


def build(*, domain: str, operation: str, subject, system) -> list[Route]:
    """The deliveries for one document event (usually one; a budget revision has one per cost
    code). An empty key means "a new event each time"."""
    if domain == "commitment":
        if operation == "cancel":
            return [({"number": subject.number}, "commitment", subject.number, "")]
        payload = commitment_payload(subject, system, for_update=operation == "update")
        key = f"hub:commitment:create:{subject.number}" if operation == "create" else ""
        return [(payload, "commitment", subject.number, key)]
    if domain == "receipt":
        key = f"hub:receipt:create:{subject.number}"
        return [(receipt_payload(subject, system), "receipt", subject.number, key)]
    if domain == "invoice":
        from apps.procurement.outbound import invoice_subject

        key = f"hub:invoice:post:{subject.pk}" if operation == "post" else ""
        payload = invoice_payload(subject, system, operation=operation)
        return [(payload, "invoice", invoice_subject(subject), key)]
    if domain == "change_order":
        key = f"hub:change_order:apply:{subject.number}"
        payload = change_order_payload(subject, system)
        return [(payload, "commitment", subject.commitment.number, key)]
    if domain == "budget_line":
        return [
            (
                row,
                "budget_line",
                f"{row['project_code']}:{row['cost_code']}",
                f"hub:budget_line:revise:{subject.number}:{row['cost_code']}",
            )
            for row in budget_payload(subject, system)
        ]
    raise ValueError(f"no Odoo payload for {domain}.{operation}")
