"""Banking pages for finance reviewers and integration admins."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.roles import FINANCE, INTEGRATION_ADMIN, role_required
from apps.banking.errors import StatementRefused
from apps.banking.forms import LineFilterForm, StatementFilterForm, StatementUploadForm
from apps.banking.selectors import (
    bank_line_list,
    bank_statement_get,
    bank_statement_list,
    bank_statement_summary,
)
from apps.banking.services import bank_reconcile, bank_statement_import
from apps.core.errors import NotFoundError
from apps.core.pagination import keyset_paginate

BANKING_ROLES = (FINANCE, INTEGRATION_ADMIN)


@role_required(*BANKING_ROLES)
def statement_list(request):
    form = StatementFilterForm(request.GET or None)
    fmt = form.cleaned_data["format"] if form.is_valid() else ""
    page = keyset_paginate(
        bank_statement_list(user=request.user, format=fmt), after=request.GET.get("after")
    )
    return render(request, "banking/statements.html", {"page": page, "form": form})


def _statement_or_404(request, statement_id):
    try:
        return bank_statement_get(user=request.user, statement_id=statement_id)
    except NotFoundError as exc:
        from django.http import Http404

        raise Http404(exc.message) from None


@role_required(*BANKING_ROLES)
def statement_detail(request, statement_id: int):
    statement = _statement_or_404(request, statement_id)
    form = LineFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    lines = bank_line_list(
        user=request.user,
        statement_id=statement.id,
        status=filters.get("status", ""),
        search=filters.get("q", ""),
    ).order_by("entry__position", "position")
    context = {
        "statement": statement,
        "summary": bank_statement_summary(statement=statement),
        "lines": lines.prefetch_related("matches"),
        "form": form,
    }
    if request.htmx:
        return render(request, "banking/statement_detail.html#lines", context)
    return render(request, "banking/statement_detail.html", context)


@role_required(*BANKING_ROLES)
def line_list(request):
    form = LineFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    matched = {"false": False, "true": True}.get(request.GET.get("matched", ""))
    page = keyset_paginate(
        bank_line_list(
            user=request.user,
            matched=matched,
            status=filters.get("status", ""),
            search=filters.get("q", ""),
        ),
        after=request.GET.get("after"),
    )
    template = "banking/lines.html#table" if request.htmx else "banking/lines.html"
    return render(request, template, {"page": page, "form": form, "matched": matched})


@role_required(*BANKING_ROLES)
def upload(request):
    form = StatementUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            result = bank_statement_import(
                file_bytes=upload_file.read(), file_name=upload_file.name, actor=request.user
            )
        except StatementRefused as exc:
            form.add_error("file", f"Refused: {exc.message}")
            status = 422
        else:
            level = messages.INFO if result.duplicate_file else messages.SUCCESS
            messages.add_message(request, level, f"{upload_file.name}: {result.summary}")
            if len(result.statements) == 1:
                return redirect("banking:statement", statement_id=result.statements[0].id)
            return redirect("banking:statements")
    elif request.method == "POST":
        status = 400
    return render(request, "banking/upload.html", {"form": form}, status=status)


@require_POST
@role_required(*BANKING_ROLES)
def statement_reconcile(request, statement_id: int):
    statement = _statement_or_404(request, statement_id)
    result = bank_reconcile(statement=statement)
    messages.success(
        request,
        f"Reconciled: {result.matched} matched, {result.differences} with difference, "
        f"{result.unmatched} unmatched, {result.reversed} reversed.",
    )
    return redirect("banking:statement", statement_id=statement.id)
