"""The manual invoice match as an exception action ("unmatched invoice" and "price / quantity
variance" items): which bill the item is about, what it could be matched to, and the action
that records the match and resolves (or parks) the item.

The match itself is procurement's (apps/procurement/services/manual_match.py); this module reads
the candidates for the page and ties the outcome to the item: released → resolved with
"manual_match"; beyond tolerance → waiting for the variance approval (the item closes itself
when the second person approves the variance, through the invoice's trace key).
"""

from __future__ import annotations

from django.db import transaction

from apps.accounts.selectors import scope_to_user_projects
from apps.core.errors import ApplicationError
from apps.exceptions import services
from apps.exceptions.choices import ExceptionCategory, ResolutionAction
from apps.exceptions.models import ExceptionItem

MANUAL_MATCH_CATEGORIES = (
    ExceptionCategory.UNMATCHED_INVOICE,
    ExceptionCategory.PRICE_QUANTITY_VARIANCE,
    ExceptionCategory.MISSING_RECEIPT,
)


def item_invoice(*, item: ExceptionItem):
    """The vendor bill an invoice item is about (None when the item names none, e.g. a bill the
    pipeline could not even record)."""
    from apps.procurement.models import Invoice

    invoice_id = (item.details or {}).get("invoice")
    if item.category not in MANUAL_MATCH_CATEGORIES or not invoice_id:
        return None
    try:
        invoice_id = int(invoice_id)
    except (TypeError, ValueError):
        return None
    return (
        Invoice.objects.select_related("vendor", "project", "commitment")
        .filter(pk=invoice_id)
        .first()
    )


def manual_match_allowed(*, item: ExceptionItem, invoice=None) -> bool:
    from apps.procurement.services.manual_match import MATCHABLE_STATUSES

    invoice = invoice if invoice is not None else item_invoice(item=item)
    return (
        item.is_active
        and invoice is not None
        and invoice.kind == "invoice"
        and invoice.status in MATCHABLE_STATUSES
        and invoice.match_status != "variance_approved"
    )


def manual_match_candidates(*, item: ExceptionItem, user) -> dict:
    """What the reviewer picks from: the bill's lines, the open commitments of its vendor (in
    the bill's project, or the user's projects when the bill names none) with their lines, and
    the receipts against them."""
    from apps.procurement.choices import COMMITTED_STATUSES
    from apps.procurement.models import Commitment, CommitmentLine, Receipt

    invoice = item_invoice(item=item)
    if invoice is None:
        return {"invoice": None, "lines": [], "commitment_lines": [], "receipts": []}
    commitments = Commitment.objects.filter(
        vendor=invoice.vendor, currency=invoice.currency, status__in=COMMITTED_STATUSES
    )
    if invoice.project_id:
        commitments = commitments.filter(project_id=invoice.project_id)
    else:
        commitments = scope_to_user_projects(
            commitments, user=user, field="project", include_unscoped=False
        )
    commitment_lines = list(
        CommitmentLine.objects.filter(commitment__in=commitments)
        .select_related("commitment")
        .order_by("commitment__number", "line_no")
    )
    receipts = list(
        Receipt.objects.filter(commitment__in=commitments)
        .select_related("commitment")
        .prefetch_related("lines__commitment_line")
        .order_by("commitment__number", "received_on", "number")
    )
    return {
        "invoice": invoice,
        "lines": list(
            invoice.lines.select_related("commitment_line__commitment").order_by("line_no")
        ),
        "commitment_lines": commitment_lines,
        "receipts": receipts,
    }


def _require_invoice(item: ExceptionItem):
    invoice = item_invoice(item=item)
    if invoice is None:
        raise ApplicationError(
            "This item names no vendor bill to match.", code="no_invoice", status_code=409
        )
    return invoice


def _require_scope(user, allocations) -> None:
    """The PO lines picked must be on the user's projects (a system-wide bill item is visible to
    every reviewer; the commitments are not)."""
    from apps.accounts.selectors import user_project_ids
    from apps.procurement.models import CommitmentLine

    allowed = user_project_ids(user=user)
    if allowed is None:
        return
    ids = set()
    for spec in allocations or []:
        value = spec.get("commitment_line") if isinstance(spec, dict) else None
        try:
            ids.add(int(value))
        except (TypeError, ValueError):
            continue
    projects = set(
        CommitmentLine.objects.filter(pk__in=ids).values_list("commitment__project_id", flat=True)
    )
    if projects - allowed:
        raise ApplicationError(
            "The purchase-order lines picked are on a project you do not work on.",
            code="project_not_allowed",
            status_code=403,
        )


def exception_manual_match_preview(*, item: ExceptionItem, allocations, user) -> dict:
    from apps.procurement.services.manual_match import invoice_match_preview

    invoice = _require_invoice(item)
    _require_scope(user, allocations)
    return invoice_match_preview(invoice=invoice, allocations=allocations)


@transaction.atomic
def exception_manual_match(*, item: ExceptionItem, actor, allocations, note: str):
    """Match the item's bill by hand; resolve the item when the bill is released, else leave it
    waiting for the variance approval. Returns the ManualMatchResult."""
    from apps.procurement.services.manual_match import invoice_match_manual

    item = ExceptionItem.objects.select_for_update().get(pk=item.pk)
    if not item.is_active:
        raise ApplicationError(
            f"Item #{item.pk} is {item.get_status_display().lower()}.",
            code="item_closed",
            status_code=409,
        )
    invoice = _require_invoice(item)
    _require_scope(actor, allocations)
    result = invoice_match_manual(invoice=invoice, allocations=allocations, actor=actor, note=note)
    item.refresh_from_db()
    summary = (
        f"{invoice} matched by hand to {result.preview['commitment_number']} "
        f"({result.match.get_outcome_display().lower()}, variance "
        f"{result.preview['variance_amount']} {invoice.currency}): {note.strip()}"
    )
    if result.released:
        if item.is_active:
            services.exception_resolve(
                item=item, actor=actor, action=ResolutionAction.MANUAL_MATCH, note=summary
            )
    elif item.is_active:
        services.exception_status_set(
            item=item,
            actor=actor,
            status="waiting",
            note=f"{summary} — variance approval #{result.variance_request.pk} waits for a "
            "second person.",
        )
    return result
