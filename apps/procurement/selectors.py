"""Reads for procurement views, APIs, reports and other apps (banking uses `vendor_bill_list`
and `payment_list`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet

from apps.accounts.selectors import scope_to_user_projects, user_project_ids
from apps.core.errors import NotFoundError
from apps.procurement.choices import (
    ACTIVE_INVOICE_STATUSES,
    InvoiceKind,
    InvoiceStatus,
    PaymentStatus,
)
from apps.procurement.models import (
    ChangeOrder,
    Commitment,
    CommitmentLine,
    Invoice,
    MatchTolerance,
    Payment,
    ProgressClaim,
    Receipt,
    Requisition,
    Vendor,
)


def _scoped(queryset: QuerySet, user, field: str = "project") -> QuerySet:
    if user is None:
        return queryset
    return scope_to_user_projects(queryset, user=user, field=field, include_unscoped=False)


# --- vendors ----------------------------------------------------------------------------------


def vendor_list(*, search: str = "", status: str = "") -> QuerySet[Vendor]:
    queryset = Vendor.objects.all()
    if search:
        queryset = queryset.filter(Q(code__icontains=search) | Q(name__icontains=search))
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("name")


def vendor_get(*, code: str = "", vendor_id: int | None = None) -> Vendor:
    vendor = (
        Vendor.objects.filter(id=vendor_id).first()
        if vendor_id is not None
        else Vendor.objects.filter(code=code).first()
    )
    if vendor is None:
        raise NotFoundError(f"No vendor {code or vendor_id}.")
    return vendor


def match_tolerance_for(*, project, vendor) -> dict:
    """The tolerance that applies: vendor on project > vendor > project > company default >
    exact match. Returned as a plain dict (recorded with every match)."""
    candidates = MatchTolerance.objects.filter(
        Q(project=project) | Q(project__isnull=True), Q(vendor=vendor) | Q(vendor__isnull=True)
    )

    def rank(tolerance: MatchTolerance) -> int:
        return (2 if tolerance.vendor_id else 0) + (1 if tolerance.project_id else 0)

    best = max(candidates, key=rank, default=None)
    if best is None:
        return {
            "source": "exact (no tolerance configured)",
            "quantity_pct": None,
            "quantity_amount": None,
            "price_pct": None,
            "price_amount": None,
        }
    scope = " / ".join(
        s
        for s in [
            f"vendor {vendor.code}" if best.vendor_id else "",
            f"project {project.code}" if best.project_id and project else "",
        ]
        if s
    )
    return {
        "source": scope or "company default",
        "quantity_pct": best.quantity_pct,
        "quantity_amount": best.quantity_amount,
        "price_pct": best.price_pct,
        "price_amount": best.price_amount,
    }


# --- requisitions and commitments ---------------------------------------------------------------


def requisition_list(*, user, project=None, status: str = "") -> QuerySet[Requisition]:
    queryset = _scoped(
        Requisition.objects.select_related("project", "vendor", "requested_by"), user
    )
    if project is not None:
        queryset = queryset.filter(project=project)
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def requisition_get(*, user, requisition_id: int) -> Requisition:
    requisition = (
        requisition_list(user=user)
        .prefetch_related("lines__budget_line__phase", "lines__budget_line__cost_code")
        .filter(id=requisition_id)
        .first()
    )
    if requisition is None:
        raise NotFoundError(f"No requisition {requisition_id} that you can see.")
    return requisition


def commitment_list(
    *, user, project=None, status: str = "", vendor=None, kind: str = ""
) -> QuerySet[Commitment]:
    queryset = _scoped(Commitment.objects.select_related("project", "vendor"), user)
    if project is not None:
        queryset = queryset.filter(project=project)
    if status:
        queryset = queryset.filter(status=status)
    if vendor is not None:
        queryset = queryset.filter(vendor=vendor)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset


def commitment_get(*, user, commitment_id: int) -> Commitment:
    commitment = (
        commitment_list(user=user)
        .prefetch_related("lines__budget_line__phase", "lines__budget_line__cost_code")
        .filter(id=commitment_id)
        .first()
    )
    if commitment is None:
        raise NotFoundError(f"No commitment {commitment_id} that you can see.")
    return commitment


def commitment_line_status(line: CommitmentLine) -> dict:
    """Ordered, received and billed on a line, and what is still open."""
    return {
        "ordered": line.quantity,
        "received": line.received_quantity,
        "invoiced": line.invoiced_quantity,
        "to_receive": max(line.quantity - line.received_quantity, Decimal("0")),
        "to_invoice": line.received_quantity - line.invoiced_quantity,
    }


def receipt_list(*, user, commitment=None) -> QuerySet[Receipt]:
    queryset = _scoped(
        Receipt.objects.select_related("commitment", "received_by"), user, "commitment__project"
    )
    if commitment is not None:
        queryset = queryset.filter(commitment=commitment)
    return queryset


def progress_claim_list(*, user, commitment=None) -> QuerySet[ProgressClaim]:
    queryset = _scoped(
        ProgressClaim.objects.select_related("commitment", "commitment__vendor"),
        user,
        "commitment__project",
    )
    if commitment is not None:
        queryset = queryset.filter(commitment=commitment)
    return queryset


def change_order_list(*, user, project=None, status: str = "") -> QuerySet[ChangeOrder]:
    queryset = _scoped(ChangeOrder.objects.select_related("project", "commitment"), user)
    if project is not None:
        queryset = queryset.filter(project=project)
    if status:
        queryset = queryset.filter(status=status)
    return queryset


# --- invoices (vendor bills) and payments: also the banking engineer's entry points -----------


def invoice_list(
    *,
    user,
    project=None,
    status: str = "",
    match_status: str = "",
    vendor=None,
) -> QuerySet[Invoice]:
    queryset = _scoped(Invoice.objects.select_related("vendor", "project", "commitment"), user)
    if project is not None:
        queryset = queryset.filter(project=project)
    if status:
        queryset = queryset.filter(status=status)
    if match_status:
        queryset = queryset.filter(match_status=match_status)
    if vendor is not None:
        queryset = queryset.filter(vendor=vendor)
    return queryset


def invoice_get(*, user, invoice_id: int) -> Invoice:
    invoice = (
        invoice_list(user=user)
        .prefetch_related("lines__commitment_line", "matches", "allocations__payment")
        .filter(id=invoice_id)
        .first()
    )
    if invoice is None:
        raise NotFoundError(f"No invoice {invoice_id} that you can see.")
    return invoice


def vendor_bill_list(
    *,
    user=None,
    vendor: Vendor | None = None,
    open_only: bool = False,
    payable_only: bool = False,
    currency: str = "",
    amount: Decimal | None = None,
    reference: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Invoice]:
    """Vendor bills (not credit notes) for reconciliation: `open_only` = something left to pay;
    `payable_only` = released for payment (matched, posting approved, not on hold); `amount`
    matches the open amount exactly; `reference` matches the vendor's invoice number or the
    Odoo reference (case-insensitive, contained). `user=None` = system-wide (workers)."""
    queryset = Invoice.objects.filter(
        kind=InvoiceKind.INVOICE, status__in=ACTIVE_INVOICE_STATUSES
    ).select_related("vendor", "project", "commitment")
    if user is not None:
        ids = user_project_ids(user=user)
        if ids is not None:
            queryset = queryset.filter(project_id__in=ids)
    if vendor is not None:
        queryset = queryset.filter(vendor=vendor)
    if open_only:
        queryset = queryset.exclude(status=InvoiceStatus.PAID)
    if payable_only:
        queryset = queryset.filter(
            payment_hold=False,
            status__in=[InvoiceStatus.APPROVED, InvoiceStatus.POSTED, InvoiceStatus.PARTIALLY_PAID],
        )
    if currency:
        queryset = queryset.filter(currency=currency)
    if reference:
        queryset = queryset.filter(
            Q(number__icontains=reference) | Q(external_ref__icontains=reference)
        )
    if date_from:
        queryset = queryset.filter(invoice_date__gte=date_from)
    if date_to:
        queryset = queryset.filter(invoice_date__lte=date_to)
    rows = queryset.order_by("invoice_date", "id")
    if amount is not None:
        from django.db.models import F

        rows = rows.annotate(open_amount_db=F("payable_amount") - F("paid_amount")).filter(
            open_amount_db=amount
        )
    return rows


def payment_list(
    *,
    user=None,
    vendor: Vendor | None = None,
    source: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    unreconciled_only: bool = False,
    amount: Decimal | None = None,
) -> QuerySet[Payment]:
    """Payments recorded (from Odoo, bank statements, by hand). `unreconciled_only` leaves out
    reconciled and void ones. `user=None` = system-wide (workers)."""
    queryset = Payment.objects.select_related("vendor").prefetch_related("allocations__invoice")
    if user is not None:
        ids = user_project_ids(user=user)
        if ids is not None:
            # Visible: payments of bills on the user's projects, and not yet allocated ones.
            queryset = queryset.filter(
                Q(allocations__invoice__project_id__in=ids) | Q(allocations__isnull=True)
            ).distinct()
    if vendor is not None:
        queryset = queryset.filter(vendor=vendor)
    if source:
        queryset = queryset.filter(source=source)
    if date_from:
        queryset = queryset.filter(paid_on__gte=date_from)
    if date_to:
        queryset = queryset.filter(paid_on__lte=date_to)
    if unreconciled_only:
        queryset = queryset.filter(status=PaymentStatus.RECORDED)
    if amount is not None:
        queryset = queryset.filter(amount=amount)
    return queryset.order_by("-paid_on", "-id")
