"""Vendor master protection pages: bank-detail changes to verify, suspected duplicates."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.roles import FINANCE, INTEGRATION_ADMIN, role_required
from apps.core.errors import ApplicationError
from apps.procurement.models import Vendor
from apps.vendors.choices import CALLBACK_CHECKLIST, ChangeStatus, DuplicateStatus
from apps.vendors.models import BankDetailChange, DuplicateVendorCandidate
from apps.vendors.selectors import bank_change_list, bank_change_rows, duplicate_list
from apps.vendors.services import (
    vendor_bank_change_reject,
    vendor_bank_change_verify,
    vendor_duplicate_resolve,
    vendor_duplicates_detect,
)

ROLES = (FINANCE, INTEGRATION_ADMIN)


@role_required(*ROLES)
def bank_changes(request):
    status = request.GET.get("status", ChangeStatus.PENDING)
    if status not in ChangeStatus.values and status != "all":
        status = ChangeStatus.PENDING
    changes = [
        {"change": change, "rows": bank_change_rows(change=change)}
        for change in bank_change_list(status=None if status == "all" else status)[:200]
    ]
    return render(
        request,
        "vendors/bank_changes.html",
        {
            "changes": changes,
            "status": status,
            "statuses": ChangeStatus.choices,
            "checklist": CALLBACK_CHECKLIST,
        },
    )


@role_required(*ROLES)
@require_POST
def bank_change_decide(request):
    change = BankDetailChange.objects.filter(id=request.POST.get("change") or 0).first()
    if change is None:
        raise Http404("No such change.")
    action = request.POST.get("action")
    try:
        if action == "verify":
            checklist = {key: request.POST.get(key) == "on" for key in CALLBACK_CHECKLIST}
            vendor_bank_change_verify(
                change=change,
                actor=request.user,
                checklist=checklist,
                note=request.POST.get("note", ""),
            )
            messages.success(request, f"Change #{change.pk} verified and applied.")
        elif action == "reject":
            vendor_bank_change_reject(
                change=change, actor=request.user, reason=request.POST.get("note", "")
            )
            messages.success(request, f"Change #{change.pk} rejected.")
        else:
            raise Http404("Unknown action.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("vendors:bank_changes")


@role_required(*ROLES)
def duplicates(request):
    status = request.GET.get("status", DuplicateStatus.OPEN)
    if status not in DuplicateStatus.values:
        status = DuplicateStatus.OPEN
    return render(
        request,
        "vendors/duplicates.html",
        {
            "pairs": duplicate_list(status=status)[:200],
            "status": status,
            "statuses": DuplicateStatus.choices,
        },
    )


@role_required(*ROLES)
@require_POST
def duplicates_detect(request):
    found = vendor_duplicates_detect()
    messages.success(request, f"{len(found)} suspected duplicate pair(s).")
    return redirect("vendors:duplicates")


@role_required(*ROLES)
@require_POST
def duplicate_resolve(request):
    pair = DuplicateVendorCandidate.objects.filter(id=request.POST.get("pair") or 0).first()
    if pair is None:
        raise Http404("No such pair.")
    survivor = Vendor.objects.filter(id=request.POST.get("survivor") or 0).first()
    try:
        vendor_duplicate_resolve(
            candidate=pair,
            actor=request.user,
            action=request.POST.get("action", ""),
            survivor=survivor,
            note=request.POST.get("note", ""),
        )
        messages.success(request, "Decision recorded.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("vendors:duplicates")
