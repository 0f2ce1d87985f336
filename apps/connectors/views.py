"""Systems admin (integration admins): list, create, edit, write-only credentials, webhook
signing secrets with rotation."""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib import messages
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts.roles import INTEGRATION_ADMIN, role_required
from apps.connectors.forms import SecretGenerateForm, SecretRetireForm, SystemForm
from apps.connectors.selectors import (
    system_credentials_summary,
    system_get_by_code,
    system_list,
    system_secrets_summary,
)
from apps.connectors.services import (
    system_create,
    system_secret_generate,
    system_secret_retire,
    system_update,
)
from apps.core.errors import ApplicationError


@role_required(INTEGRATION_ADMIN)
def systems(request):
    rows = []
    for system in system_list():
        secrets = system_secrets_summary(system=system)
        rows.append(
            {
                "system": system,
                "active_secrets": sum(1 for s in secrets if s["active"]),
                "credentials_set": bool(system.credentials),
            }
        )
    return render(request, "connectors/systems.html", {"rows": rows, "systems": system_list()})


def _system_or_404(code: str):
    system = system_get_by_code(code=code)
    if system is None:
        raise Http404("No such system.")
    return system


@role_required(INTEGRATION_ADMIN)
def system_new(request):
    form = SystemForm(request.POST or None, initial={"enabled": True, "rate_limit_per_minute": 600})
    if request.method == "POST" and form.is_valid():
        try:
            system = system_create(
                actor=request.user,
                code=form.cleaned_data["code"],
                credentials=form.credentials() or None,
                **form.settings_values(),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"System {system.code} created.")
            return redirect("connectors:detail", code=system.code)
    return render(request, "connectors/system_form.html", {"form": form, "system": None})


def _detail_context(system, form=None, new_secret=None) -> dict:
    if form is None:
        form = SystemForm(
            editing=True,
            initial={
                "code": system.code,
                "name": system.name,
                "kind": system.kind,
                "connector": system.connector,
                "base_url": system.base_url,
                "environment": system.environment,
                "enabled": system.enabled,
                "rate_limit_per_minute": system.rate_limit_per_minute,
                "options": json.dumps(system.options, indent=2) if system.options else "",
            },
        )
    return {
        "system": system,
        "form": form,
        "credentials": system_credentials_summary(system=system),
        "secrets": system_secrets_summary(system=system),
        "generate_form": SecretGenerateForm(),
        "retire_form": SecretRetireForm(),
        "new_secret": new_secret,
        "transactions": system.transactions.values("status").annotate(n=Count("id")).order_by(),
    }


@role_required(INTEGRATION_ADMIN)
def system_detail(request, code: str):
    system = _system_or_404(code)
    if request.method == "POST":
        form = SystemForm(request.POST, editing=True, initial={"code": system.code})
        if form.is_valid():
            try:
                system_update(
                    actor=request.user,
                    system=system,
                    changes=form.settings_values(),
                    credentials=form.credentials() or None,
                    credentials_clear=form.cleaned_data["clear_credentials"],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"System {system.code} saved.")
                return redirect("connectors:detail", code=system.code)
        return render(request, "connectors/system_detail.html", _detail_context(system, form))
    return render(request, "connectors/system_detail.html", _detail_context(system))


@role_required(INTEGRATION_ADMIN)
@require_POST
def secret_generate(request, code: str):
    system = _system_or_404(code)
    form = SecretGenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a valid expiry.")
        return redirect("connectors:detail", code=system.code)
    days = form.cleaned_data.get("expires_in_days")
    expires_at = timezone.now() + timedelta(days=days) if days else None
    secret, entry = system_secret_generate(actor=request.user, system=system, expires_at=expires_at)
    system.refresh_from_db()
    # Rendered, not redirected: the plaintext must not travel through the session or a URL.
    response = render(
        request,
        "connectors/system_detail.html",
        _detail_context(system, new_secret={"secret": secret, **entry}),
    )
    response["Cache-Control"] = "no-store"
    return response


@role_required(INTEGRATION_ADMIN)
@require_POST
def secret_retire(request, code: str, secret_id: str):
    system = _system_or_404(code)
    form = SecretRetireForm(request.POST)
    grace = form.cleaned_data["grace_hours"] if form.is_valid() else 0.0
    try:
        entry = system_secret_retire(
            actor=request.user, system=system, secret_id=secret_id, grace_hours=grace
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Secret {entry['id']} retires at {entry['expires_at'][:16]} UTC."
        )
    return redirect("connectors:detail", code=system.code)
