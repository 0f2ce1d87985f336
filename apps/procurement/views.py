"""Procurement pages: overview, requisitions (with a live budget check), commitments, bills with
their match outcome, change orders, vendors, the project budget and the budget import."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.accounts.roles import (
    APPROVER,
    FINANCE,
    INTEGRATION_ADMIN,
    PMO,
    REQUESTER,
    has_role,
    role_required,
)
from apps.approvals.selectors import approval_requests_for
from apps.core.errors import ApplicationError, NotFoundError
from apps.core.pagination import keyset_paginate
from apps.procurement.choices import InvoiceStatus, MatchStatus, RequisitionStatus
from apps.procurement.forms import (
    BudgetImportForm,
    BudgetPolicyForm,
    InvoiceFilterForm,
    RequisitionForm,
    RequisitionLineFormSet,
    VarianceRequestForm,
    VendorApproveForm,
    VendorBlockForm,
)
from apps.procurement.models import BudgetImport, ProgressClaim, Vendor
from apps.procurement.selectors import (
    change_order_list,
    commitment_get,
    commitment_line_status,
    commitment_list,
    invoice_get,
    invoice_list,
    progress_claim_list,
    receipt_list,
    requisition_get,
    requisition_list,
    vendor_list,
)
from apps.procurement.services import (
    budget_import_run,
    change_order_create,
    change_order_submit,
    invoice_match,
    invoice_variance_request,
    progress_claim_certify,
    progress_claim_reject,
    receipt_record,
    requisition_cancel,
    requisition_create,
    requisition_submit,
    vendor_approve,
    vendor_block,
)
from apps.projects.models import BudgetLine
from apps.projects.selectors import (
    BudgetCheckItem,
    budget_check,
    budget_totals,
    project_budget_tree,
    project_get,
    project_list,
)
from apps.sync.selectors import binding_list

READ_ROLES = (FINANCE, REQUESTER, APPROVER, PMO, INTEGRATION_ADMIN)
BILL_ROLES = (FINANCE, APPROVER, PMO, INTEGRATION_ADMIN)
IMPORT_ROLES = (FINANCE, INTEGRATION_ADMIN)


def _or_404(getter, **kwargs):
    try:
        return getter(**kwargs)
    except NotFoundError as exc:
        raise Http404(exc.message) from None


def _selected_project(request):
    code = request.GET.get("project", "")
    if not code:
        return None
    return _or_404(project_get, user=request.user, code=code)


@role_required(*READ_ROLES)
def index(request):
    """Overview per project: budget totals, what waits, what is held."""
    project = _selected_project(request)
    projects = list(project_list(user=request.user))
    user = request.user
    context = {
        "projects": projects,
        "project": project,
        "totals": [
            {"project": p, **budget_totals(project=p)} for p in ([project] if project else projects)
        ],
        "requisitions": requisition_list(user=user, project=project)[:8],
        "commitments": commitment_list(user=user, project=project)[:8],
        "change_orders": change_order_list(user=user, project=project)[:8],
        "can_see_bills": has_role(user, *BILL_ROLES),
        "can_request": has_role(user, REQUESTER),
        "can_import": has_role(user, *IMPORT_ROLES),
    }
    if context["can_see_bills"]:
        context["held_invoices"] = invoice_list(
            user=user, project=project, status=InvoiceStatus.HELD
        )[:8]
    return render(request, "procurement/index.html", context)


# --- requisitions -------------------------------------------------------------------------


@role_required(*READ_ROLES)
def requisition_list_view(request):
    project = _selected_project(request)
    status = request.GET.get("status", "")
    page = keyset_paginate(
        requisition_list(user=request.user, project=project, status=status),
        after=request.GET.get("after"),
    )
    return render(
        request,
        "procurement/requisitions.html",
        {
            "page": page,
            "project": project,
            "projects": project_list(user=request.user),
            "statuses": RequisitionStatus.choices,
            "status": status,
            "can_request": has_role(request.user, REQUESTER),
        },
    )


def _requisition_forms(request, project):
    budget_lines = BudgetLine.objects.filter(project=project).select_related("phase", "cost_code")
    data = request.POST if request.method == "POST" else None
    form = RequisitionForm(data, prefix="req")
    lines = RequisitionLineFormSet(data, prefix="line", form_kwargs={"budget_lines": budget_lines})
    return form, lines


def _line_specs(lines) -> list[dict]:
    specs = []
    for line_form in lines.forms:
        data = getattr(line_form, "cleaned_data", None) or {}
        if data.get("budget_line") and data.get("quantity") and data.get("unit_price") is not None:
            specs.append(
                {
                    "budget_line": data["budget_line"],
                    "description": data.get("description") or "",
                    "product_code": data.get("product_code") or "",
                    "quantity": data["quantity"],
                    "unit": data.get("unit") or "ea",
                    "unit_price": data["unit_price"],
                }
            )
    return specs


@role_required(REQUESTER)
def requisition_new(request):
    """Create (and submit) a requisition; the budget check updates live as lines are typed."""
    projects = list(project_list(user=request.user))
    project = _selected_project(request) or (projects[0] if len(projects) == 1 else None)
    if project is None:
        return render(request, "procurement/requisition_pick_project.html", {"projects": projects})
    form, lines = _requisition_forms(request, project)
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        specs = _line_specs(lines)
        if not specs:
            form.add_error(None, "Add at least one line with a budget line, quantity and price.")
        else:
            try:
                requisition = requisition_create(
                    project=project,
                    requested_by=request.user,
                    title=form.cleaned_data["title"],
                    vendor=form.cleaned_data.get("vendor"),
                    kind=form.cleaned_data["kind"],
                    needed_by=form.cleaned_data.get("needed_by"),
                    lines=specs,
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                try:
                    requisition_submit(
                        requisition=requisition,
                        actor=request.user,
                        override_reason=form.cleaned_data.get("override_reason", ""),
                    )
                    messages.success(request, f"{requisition.number} submitted for approval.")
                except ApplicationError as exc:
                    messages.error(request, f"{requisition.number} saved as a draft: {exc.message}")
                return redirect("procurement:requisition_detail", requisition_id=requisition.id)
    return render(
        request,
        "procurement/requisition_form.html",
        {"form": form, "lines": lines, "project": project, "check": None},
    )


@role_required(REQUESTER)
@require_POST
def requisition_check(request):
    """The live budget check of the requisition form (htmx partial)."""
    project = _selected_project(request)
    if project is None:
        raise Http404("No project.")
    _, lines = _requisition_forms(request, project)
    lines.is_valid()
    specs = _line_specs(lines)
    check = None
    if specs:
        check = budget_check(
            project=project,
            items=[
                BudgetCheckItem(
                    budget_line_id=spec["budget_line"].id,
                    amount=spec["quantity"] * spec["unit_price"],
                )
                for spec in specs
            ],
        ).as_dict()
    return render(
        request,
        "procurement/requisition_form.html#budget-check",
        {"check": check, "project": project},
    )


@role_required(*READ_ROLES)
def requisition_detail(request, requisition_id: int):
    requisition = _or_404(requisition_get, user=request.user, requisition_id=requisition_id)
    return render(
        request,
        "procurement/requisition_detail.html",
        {
            "requisition": requisition,
            "approvals": approval_requests_for(target=requisition).prefetch_related(
                "steps__decided_by", "steps__on_behalf_of"
            ),
            "commitments": requisition.commitments.all(),
            "is_requester": request.user.id == requisition.requested_by_id,
        },
    )


@role_required(REQUESTER)
@require_POST
def requisition_action(request, requisition_id: int, action: str):
    requisition = _or_404(requisition_get, user=request.user, requisition_id=requisition_id)
    try:
        if action == "submit":
            requisition_submit(
                requisition=requisition,
                actor=request.user,
                override_reason=request.POST.get("override_reason", ""),
            )
            messages.success(request, f"{requisition.number} submitted for approval.")
        elif action == "cancel":
            requisition_cancel(
                requisition=requisition,
                actor=request.user,
                reason=request.POST.get("reason", "") or "withdrawn by the requester",
            )
            messages.success(request, f"{requisition.number} cancelled.")
        else:
            raise Http404("Unknown action.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("procurement:requisition_detail", requisition_id=requisition.id)


# --- commitments -------------------------------------------------------------------------


@role_required(*READ_ROLES)
def commitment_list_view(request):
    project = _selected_project(request)
    page = keyset_paginate(
        commitment_list(
            user=request.user,
            project=project,
            status=request.GET.get("status", ""),
            kind=request.GET.get("kind", ""),
        ),
        after=request.GET.get("after"),
    )
    return render(
        request,
        "procurement/commitments.html",
        {"page": page, "project": project, "projects": project_list(user=request.user)},
    )


@role_required(*READ_ROLES)
def commitment_detail(request, commitment_id: int):
    commitment = _or_404(commitment_get, user=request.user, commitment_id=commitment_id)
    lines = [
        {"line": line, **commitment_line_status(line)}
        for line in commitment.lines.select_related("budget_line__phase", "budget_line__cost_code")
    ]
    can_see_bills = has_role(request.user, *BILL_ROLES)
    return render(
        request,
        "procurement/commitment_detail.html",
        {
            "commitment": commitment,
            "lines": lines,
            "receipts": receipt_list(user=request.user, commitment=commitment).prefetch_related(
                "lines__commitment_line"
            ),
            "claims": progress_claim_list(user=request.user, commitment=commitment),
            "invoices": commitment.invoices.all() if can_see_bills else None,
            "change_orders": commitment.change_orders.all(),
            "approvals": approval_requests_for(target=commitment),
            # Where the PO is in the target systems (set when the ledger delivered it).
            "bindings": binding_list(domain="commitment", search=commitment.number),
            "can_receive": has_role(request.user, REQUESTER)
            and commitment.status in ("approved", "issued", "completed"),
        },
    )


@role_required(REQUESTER)
@require_POST
def receipt_new(request, commitment_id: int):
    """Confirm goods received on site (the PO's approver is refused: SoD)."""
    commitment = _or_404(commitment_get, user=request.user, commitment_id=commitment_id)
    lines = []
    for line in commitment.lines.all():
        value = (request.POST.get(f"qty-{line.id}") or "").strip()
        if value and value not in ("0", "0.0"):
            lines.append({"line": line, "quantity": value})
    try:
        if not lines:
            raise ApplicationError("Enter a received quantity on at least one line.")
        receipt = receipt_record(
            commitment=commitment,
            received_by=request.user,
            lines=lines,
            reference=request.POST.get("reference", ""),
        )
        messages.success(request, f"{receipt.number} recorded.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("procurement:commitment_detail", commitment_id=commitment.id)


@role_required(REQUESTER)
@require_POST
def claim_decide(request, commitment_id: int, action: str):
    """Certify a progress claim of a commitment as claimed, or reject it (site manager)."""
    commitment = _or_404(commitment_get, user=request.user, commitment_id=commitment_id)
    claim = ProgressClaim.objects.filter(
        commitment=commitment, id=request.POST.get("claim") or 0
    ).first()
    if claim is None:
        raise Http404("No such claim on this commitment.")
    try:
        if action == "certify":
            progress_claim_certify(
                claim=claim, certified_by=request.user, comment=request.POST.get("comment", "")
            )
            messages.success(request, f"{claim.number} certified.")
        elif action == "reject":
            progress_claim_reject(
                claim=claim, actor=request.user, reason=request.POST.get("comment", "")
            )
            messages.success(request, f"{claim.number} rejected.")
        else:
            raise Http404("Unknown action.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("procurement:commitment_detail", commitment_id=commitment.id)


# --- invoices -------------------------------------------------------------------------


@role_required(*BILL_ROLES)
def invoice_list_view(request):
    project = _selected_project(request)
    form = InvoiceFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = keyset_paginate(
        invoice_list(
            user=request.user,
            project=project,
            status=filters.get("status", ""),
            match_status=filters.get("match_status", ""),
        ),
        after=request.GET.get("after"),
    )
    return render(
        request,
        "procurement/invoices.html",
        {
            "page": page,
            "form": form,
            "project": project,
            "projects": project_list(user=request.user),
        },
    )


@role_required(*BILL_ROLES)
def invoice_detail(request, invoice_id: int):
    invoice = _or_404(invoice_get, user=request.user, invoice_id=invoice_id)
    return render(
        request,
        "procurement/invoice_detail.html",
        {
            "invoice": invoice,
            "matches": invoice.matches.all()[:10],
            "approvals": approval_requests_for(target=invoice).prefetch_related("steps"),
            "variance_form": VarianceRequestForm(),
            "can_act": has_role(request.user, FINANCE),
            "is_exception": invoice.match_status == MatchStatus.EXCEPTION,
        },
    )


@role_required(FINANCE)
@require_POST
def invoice_action(request, invoice_id: int, action: str):
    invoice = _or_404(invoice_get, user=request.user, invoice_id=invoice_id)
    try:
        if action == "rematch":
            record = invoice_match(invoice=invoice, actor=request.user)
            messages.success(request, f"Matched again: {record.get_outcome_display().lower()}.")
        elif action == "variance":
            form = VarianceRequestForm(request.POST)
            if not form.is_valid():
                raise ApplicationError("Explain why the variance should be paid.")
            invoice_variance_request(
                invoice=invoice, actor=request.user, comment=form.cleaned_data["comment"]
            )
            messages.success(request, "Variance approval requested.")
        else:
            raise Http404("Unknown action.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("procurement:invoice_detail", invoice_id=invoice.id)


# --- change orders, vendors -------------------------------------------------------------------


@role_required(*READ_ROLES)
def change_order_list_view(request):
    project = _selected_project(request)
    page = keyset_paginate(
        change_order_list(user=request.user, project=project, status=request.GET.get("status", "")),
        after=request.GET.get("after"),
    )
    return render(
        request,
        "procurement/change_orders.html",
        {"page": page, "project": project, "projects": project_list(user=request.user)},
    )


@role_required(*READ_ROLES)
def vendor_list_view(request):
    from django.utils import timezone

    today = timezone.localdate()
    vendors = [
        {"vendor": vendor, "problems": vendor.eligibility_problems(today)}
        for vendor in vendor_list(
            search=request.GET.get("q", ""), status=request.GET.get("status", "")
        )[:500]
    ]
    return render(
        request,
        "procurement/vendors.html",
        {
            "vendors": vendors,
            "q": request.GET.get("q", ""),
            "can_manage": has_role(request.user, *IMPORT_ROLES),
        },
    )


@role_required(*IMPORT_ROLES)
@require_POST
def vendor_action(request, action: str):
    """Approve a vendor (with its insurance certificate's expiry) or block it (audited)."""
    vendor = Vendor.objects.filter(id=request.POST.get("vendor") or 0).first()
    if vendor is None:
        raise Http404("No such vendor.")
    try:
        if action == "approve":
            form = VendorApproveForm(request.POST)
            if not form.is_valid():
                raise ApplicationError("Give the insurance certificate's expiry date.")
            vendor_approve(
                vendor=vendor,
                actor=request.user,
                insurance_expiry=form.cleaned_data["insurance_expiry"],
            )
        elif action == "block":
            form = VendorBlockForm(request.POST)
            if not form.is_valid():
                raise ApplicationError("Say why the vendor is blocked.")
            vendor_block(vendor=vendor, actor=request.user, reason=form.cleaned_data["reason"])
        else:
            raise Http404("Unknown action.")
        messages.success(request, f"{vendor.name}: {vendor.get_status_display().lower()}.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("procurement:vendors")


# --- budget -------------------------------------------------------------------------


@role_required(*READ_ROLES)
def budget(request, project_code: str):
    """A project's budget by phase → division → cost code with every figure."""
    project = _or_404(project_get, user=request.user, code=project_code)
    can_set_policy = has_role(request.user, *IMPORT_ROLES)
    if request.method == "POST":
        if not can_set_policy:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied("Only finance and admins change the budget policy.")
        form = BudgetPolicyForm(request.POST)
        if form.is_valid():
            from apps.projects.services import project_budget_policy_set

            try:
                project_budget_policy_set(
                    project=project,
                    actor=request.user,
                    policy=form.cleaned_data["budget_policy"],
                    warn_at_pct=form.cleaned_data["warn_at_pct"],
                    overrun_block_pct=form.cleaned_data["overrun_block_pct"],
                )
                messages.success(request, "Budget policy saved.")
            except ApplicationError as exc:
                messages.error(request, exc.message)
        else:
            messages.error(request, "The policy is incomplete.")
        return redirect("procurement:budget", project_code=project.code)
    policy_form = BudgetPolicyForm(
        initial={
            "budget_policy": project.budget_policy,
            "warn_at_pct": project.budget_warn_at_pct,
            "overrun_block_pct": project.budget_overrun_block_pct,
        }
    )
    return render(
        request,
        "procurement/budget.html",
        {
            "tree": project_budget_tree(project=project),
            "projects": project_list(user=request.user),
            "policy_form": policy_form if can_set_policy else None,
            "can_raise_owner_change": has_role(request.user, FINANCE),
        },
    )


@role_required(*IMPORT_ROLES)
def budget_import(request):
    form = BudgetImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = budget_import_run(
                content=upload.read(),
                file_name=upload.name,
                actor=request.user,
                dry_run=form.cleaned_data["dry_run"],
            )
        except ApplicationError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect(reverse("procurement:budget_import_detail", args=[result.id]))
    imports = BudgetImport.objects.select_related("uploaded_by")[:20]
    return render(request, "procurement/budget_import.html", {"form": form, "imports": imports})


@role_required(*IMPORT_ROLES)
def budget_import_detail(request, import_id: int):
    budget_import = BudgetImport.objects.filter(id=import_id).first()
    if budget_import is None:
        raise Http404("No such import.")
    rows = budget_import.rows.select_related("budget_line")
    if request.GET.get("refused"):
        rows = rows.filter(outcome="refused")
    return render(
        request,
        "procurement/budget_import_detail.html",
        {"budget_import": budget_import, "rows": rows},
    )


@role_required(REQUESTER, FINANCE)
@require_POST
def change_order_new(request, project_code: str):
    """Raise and submit a change order: on a commitment (quantity or price per line) or, for
    finance, an owner change order on a budget line."""
    project = _or_404(project_get, user=request.user, code=project_code)
    title = (request.POST.get("title") or "").strip()
    reason = (request.POST.get("reason") or "").strip()
    commitment_id = request.POST.get("commitment")
    back = redirect("procurement:budget", project_code=project.code)
    try:
        if commitment_id:
            commitment = commitment_get(user=request.user, commitment_id=int(commitment_id))
            back = redirect("procurement:commitment_detail", commitment_id=commitment.id)
            lines = []
            for line in commitment.lines.all():
                delta = (request.POST.get(f"delta-{line.id}") or "").strip()
                price = (request.POST.get(f"price-{line.id}") or "").strip()
                if (delta and delta not in ("0", "0.0")) or price:
                    lines.append(
                        {
                            "commitment_line": line,
                            "quantity_delta": delta or "0",
                            "unit_price": price,
                        }
                    )
            kind = "subcontract"
        else:
            if not has_role(request.user, FINANCE):
                raise ApplicationError("Owner change orders are raised by finance.")
            commitment = None
            lines = [
                {
                    "budget_line_id": request.POST.get("budget_line"),
                    "amount_delta": request.POST.get("amount_delta"),
                }
            ]
            kind = "owner"
        change_order = change_order_create(
            project=project,
            kind=kind,
            title=title,
            reason=reason,
            commitment=commitment,
            lines=lines,
            created_by=request.user,
        )
        change_order_submit(change_order=change_order, actor=request.user)
        messages.success(request, f"{change_order.number} submitted for approval.")
    except (ApplicationError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
    return back
