"""Owner billing pages: contracts with their schedule of values, pay applications (create,
submit for approval, follow to Odoo and payment)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.roles import APPROVER, FINANCE, INTEGRATION_ADMIN, PMO, has_role, role_required
from apps.approvals.models import ApprovalRequest
from apps.billing import selectors, services
from apps.billing.forms import ContractForm, PayApplicationForm
from apps.core.errors import ApplicationError, NotFoundError
from apps.projects.selectors import project_get, project_list

READ_ROLES = (FINANCE, PMO, APPROVER, INTEGRATION_ADMIN)
WRITE_ROLES = (FINANCE, INTEGRATION_ADMIN)


def _can_write(user) -> bool:
    return has_role(user, *WRITE_ROLES)


@role_required(*READ_ROLES)
def index(request):
    """Contracts and the latest pay applications of the reader's projects."""
    form = ContractForm()
    if request.method == "POST":
        if not _can_write(request.user):
            raise Http404
        form = ContractForm(request.POST)
        if form.is_valid():
            values = dict(form.cleaned_data)
            try:
                project = project_get(user=request.user, code=values.pop("project"))
                contract = services.owner_contract_create(
                    project=project, actor=request.user, **values
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Contract {contract.number} created.")
                return redirect("billing:contract", contract_id=contract.id)
    context = {
        "contracts": selectors.owner_contract_list(user=request.user),
        "pay_applications": selectors.pay_application_list(user=request.user)[:50],
        "form": form,
        "can_write": _can_write(request.user),
        "projects": project_list(user=request.user),
    }
    return render(request, "billing/index.html", context)


@role_required(*READ_ROLES)
def contract(request, contract_id: int):
    try:
        item = selectors.owner_contract_get(user=request.user, contract_id=contract_id)
    except NotFoundError as exc:
        raise Http404(str(exc)) from exc
    form = PayApplicationForm()
    if request.method == "POST":
        if not _can_write(request.user):
            raise Http404
        form = PayApplicationForm(request.POST)
        if form.is_valid():
            try:
                app = services.pay_application_create(
                    contract=item, actor=request.user, **form.cleaned_data
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"{app.number} computed (draft).")
                return redirect("billing:pay_application", pay_application_id=app.id)
    context = {
        "contract": item,
        "sov_lines": item.sov_lines.select_related("cost_code"),
        "pay_applications": item.pay_applications.order_by("-sequence"),
        "form": form,
        "can_write": _can_write(request.user),
    }
    return render(request, "billing/contract.html", context)


@role_required(*READ_ROLES)
def pay_application(request, pay_application_id: int):
    try:
        app = selectors.pay_application_get(
            user=request.user, pay_application_id=pay_application_id
        )
    except NotFoundError as exc:
        raise Http404(str(exc)) from exc
    approvals = ApprovalRequest.objects.filter(
        document_type="pay_application", object_id=app.id
    ).order_by("-id")
    context = {
        "app": app,
        "lines": app.lines.select_related("sov_line", "change_order"),
        "approvals": approvals,
        "deliveries": selectors.pay_application_delivery(pay_application=app)[:10],
        "can_write": _can_write(request.user),
    }
    return render(request, "billing/pay_application.html", context)


@role_required(*WRITE_ROLES)
@require_POST
def pay_application_action(request, pay_application_id: int, action: str):
    try:
        app = selectors.pay_application_get(
            user=request.user, pay_application_id=pay_application_id
        )
    except NotFoundError as exc:
        raise Http404(str(exc)) from exc
    try:
        if action == "submit":
            services.pay_application_submit(pay_application=app, actor=request.user)
            messages.success(request, f"{app.number} submitted for approval.")
        elif action == "cancel":
            services.pay_application_cancel(pay_application=app, actor=request.user)
            messages.success(request, f"{app.number} cancelled.")
        else:
            raise Http404
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("billing:pay_application", pay_application_id=app.id)
