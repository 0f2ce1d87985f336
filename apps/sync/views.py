"""Configuration screens (/config/…) and job runs (/jobs/…), for integration admins.

Thin views: forms in, services out; every change goes through apps/sync/services.py (versioned,
audited). htmx requests for the job pages get the live partial only.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.roles import INTEGRATION_ADMIN, role_required
from apps.connectors.models import System
from apps.connectors.selectors import system_get_by_code, system_list
from apps.core.errors import ApplicationError
from apps.core.pagination import keyset_paginate
from apps.exceptions.models import ExceptionItem
from apps.ledger.choices import TransactionStatus
from apps.sync import forms
from apps.sync.breaker import breaker_get, breaker_reset
from apps.sync.choices import JobKind, JobStatus, JobTrigger, MappingKind, ReplayRequestStatus
from apps.sync.mapping_io import mappings_export, mappings_import
from apps.sync.models import (
    Binding,
    DeliverySettings,
    Mapping,
    MappingSuggestion,
    ReplayRequest,
    SyncPolicy,
    SystemOfRecordRule,
)
from apps.sync.replay import replay_bulk_start, replay_request_approve, replay_request_reject
from apps.sync.selectors import (
    binding_list,
    breaker_list,
    canonical_candidates,
    config_history,
    job_log_lines,
    job_run_get,
    job_run_list,
    mapping_list,
    mapping_suggestion_list,
    quota_usage_recent,
    sor_rule_list,
    sync_policy_list,
)
from apps.sync.services import (
    Candidate,
    delivery_settings_for,
    delivery_settings_save,
    job_run_create,
    mapping_deactivate,
    mapping_save,
    mapping_suggestion_accept,
    mapping_suggestion_reject,
    mapping_suggestions_generate,
    sor_rule_save,
    sync_policy_save,
)
from apps.sync.tasks import job_run_enqueue

admin_only = role_required(INTEGRATION_ADMIN)


def _context(section: str, **extra) -> dict:
    return {"section": section, "domain_options": forms.domain_choices(), **extra}


# --- overview -----------------------------------------------------------------------------------


@admin_only
@require_GET
def config_index(request):
    """The configuration overview: what is set up, and what needs attention."""
    counts = {
        "sor_rules": SystemOfRecordRule.objects.filter(enabled=True).count(),
        "policies": SyncPolicy.objects.filter(enabled=True).count(),
        "mappings": Mapping.objects.filter(active=True).count(),
        "suggestions": MappingSuggestion.objects.filter(status="proposed").count(),
        "bindings": Binding.objects.count(),
        "orphans": Binding.objects.filter(orphaned_at__isnull=False).count(),
        "replay_requests": ReplayRequest.objects.filter(status=ReplayRequestStatus.PENDING).count(),
        "mapping_items": ExceptionItem.objects.filter(
            status__in=["open", "in_progress", "waiting"], details__has_key="mapping_kind"
        ).count(),
    }
    breakers = [b for b in breaker_list() if b.state != "closed"]
    return render(
        request, "sync/config.html", _context("overview", counts=counts, breakers=breakers)
    )


# --- system-of-record rules ---------------------------------------------------------------------


@admin_only
@require_GET
def sor_rules(request):
    return render(request, "sync/sor_list.html", _context("sor", rules=sor_rule_list()))


@admin_only
def sor_rule_edit(request, rule_id: int | None = None):
    rule = get_object_or_404(SystemOfRecordRule, pk=rule_id) if rule_id else None
    initial = {"enabled": True, "conflict_policy": "flag"}
    if rule is not None:
        initial = {
            "domain": rule.domain,
            "field": rule.field,
            "authority_system": rule.authority_system,
            "authority_kind": rule.authority_kind,
            "conflict_policy": rule.conflict_policy,
            "enabled": rule.enabled,
            "note": rule.note,
        }
    form = forms.SorRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = sor_rule_save(actor=request.user, rule=rule, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Rule for {saved} saved (version {saved.version}).")
            return redirect("sync:sor_rules")
    history = config_history(obj=rule) if rule else []
    return render(
        request,
        "sync/sor_form.html",
        _context("sor", form=form, rule=rule, history=history),
    )


# --- sync policies ------------------------------------------------------------------------------


@admin_only
@require_GET
def policies(request):
    queryset = sync_policy_list(domain=request.GET.get("domain", "").strip())
    return render(
        request,
        "sync/policy_list.html",
        _context("policies", policies=queryset, filters=request.GET),
    )


@admin_only
def policy_edit(request, policy_id: int | None = None):
    policy = get_object_or_404(SyncPolicy, pk=policy_id) if policy_id else None
    initial = {"enabled": True, "batch_size": 100, "mode": "event", "direction": "one_way"}
    if policy is not None:
        initial = {
            f: getattr(policy, f)
            for f in (
                "domain",
                "source_system",
                "target_system",
                "direction",
                "mode",
                "interval_minutes",
                "cron",
                "batch_size",
                "enabled",
                "project",
                "entity",
                "note",
            )
        }
    form = forms.SyncPolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = sync_policy_save(actor=request.user, policy=policy, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Policy {saved} saved (version {saved.version}).")
            return redirect("sync:policies")
    history = config_history(obj=policy) if policy else []
    return render(
        request,
        "sync/policy_form.html",
        _context("policies", form=form, policy=policy, history=history),
    )


# --- mappings -----------------------------------------------------------------------------------


def _mapping_queryset(request):
    system_id = request.GET.get("system") or None
    active = {"": True, "all": None, "inactive": False}.get(request.GET.get("state", ""), True)
    return mapping_list(
        kind=request.GET.get("kind", ""),
        system_id=int(system_id) if system_id and system_id.isdigit() else None,
        search=request.GET.get("q", "").strip(),
        active=active,
    )


@admin_only
@require_GET
def mappings(request):
    page = keyset_paginate(_mapping_queryset(request), after=request.GET.get("after"))
    return render(
        request,
        "sync/mapping_list.html",
        _context(
            "mappings",
            page=page,
            filters=request.GET,
            kinds=MappingKind.choices,
            systems=system_list(),
        ),
    )


@admin_only
def mapping_edit(request, mapping_id: int | None = None):
    mapping = get_object_or_404(Mapping, pk=mapping_id) if mapping_id else None
    initial = {}
    if mapping is not None:
        initial = {
            f: getattr(mapping, f)
            for f in (
                "kind",
                "system",
                "scope",
                "project",
                "entity",
                "external_value",
                "external_label",
                "canonical_value",
            )
        }
    else:
        initial = {
            k: request.GET.get(k) for k in ("kind", "system", "external_value") if k in request.GET
        }
    form = forms.MappingForm(request.POST or None, initial=initial)
    if mapping is not None:
        for name in ("kind", "system", "scope", "project", "entity", "external_value"):
            form.fields[name].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = mapping_save(actor=request.user, **data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Mapping {saved} saved (version {saved.version}).")
            return redirect("sync:mappings")
    kind = (mapping.kind if mapping else None) or request.POST.get("kind") or initial.get("kind")
    candidates = canonical_candidates(kind=kind)[:500] if kind else []
    history = config_history(obj=mapping) if mapping else []
    return render(
        request,
        "sync/mapping_form.html",
        _context("mappings", form=form, mapping=mapping, history=history, candidates=candidates),
    )


@admin_only
@require_POST
def mapping_retire(request, mapping_id: int):
    mapping = get_object_or_404(Mapping, pk=mapping_id)
    mapping_deactivate(actor=request.user, mapping=mapping, note=request.POST.get("note", ""))
    messages.success(request, f"Mapping {mapping} deactivated (kept in the history).")
    return redirect("sync:mappings")


@admin_only
@require_GET
def mapping_export(request):
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    content, content_type, filename = mappings_export(queryset=_mapping_queryset(request), fmt=fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin_only
def mapping_import(request):
    form = forms.MappingImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = mappings_import(
                actor=request.user, content=upload.read(), filename=upload.name
            )
        except ApplicationError as exc:
            form.add_error("file", exc.message)
        else:
            if report.ok:
                messages.success(
                    request,
                    f"Imported {report.rows} row(s): {report.created} new, {report.updated} "
                    f"changed, {report.unchanged} unchanged.",
                )
                return redirect("sync:mappings")
    return render(
        request, "sync/mapping_import.html", _context("mappings", form=form, report=report)
    )


@admin_only
def suggestions(request):
    form = forms.SuggestionsGenerateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        kind, system = form.cleaned_data["kind"], form.cleaned_data["system"]
        unmapped = _unmapped_values(kind=kind, system=system)
        created = mapping_suggestions_generate(
            kind=kind,
            system=system,
            unmapped=unmapped,
            canonical=[Candidate(c.value, c.label) for c in canonical_candidates(kind=kind)],
        )
        messages.info(
            request,
            f"{len(unmapped)} unmapped value(s) from {system.code}; "
            f"{len(created)} new suggestion(s).",
        )
        return redirect("sync:suggestions")
    return render(
        request,
        "sync/suggestions.html",
        _context("mappings", form=form, suggestions=mapping_suggestion_list()[:300]),
    )


def _unmapped_values(*, kind: str, system) -> list[Candidate]:
    """Values the pipeline could not map (from open mapping-miss items) for this system."""
    items = ExceptionItem.objects.filter(
        status__in=["open", "in_progress", "waiting"],
        details__mapping_kind=kind,
        details__system=system.code,
    )
    seen: dict[str, str] = {}
    for item in items[:2000]:
        seen.setdefault(str(item.details.get("value", "")), str(item.details.get("label", "")))
    seen.pop("", None)
    return [Candidate(value, label) for value, label in seen.items()]


@admin_only
@require_POST
def suggestion_decide(request, suggestion_id: int, decision: str):
    if decision not in ("accept", "reject"):
        raise Http404("Unknown decision.")
    suggestion = get_object_or_404(MappingSuggestion, pk=suggestion_id)
    try:
        if decision == "accept":
            mapping = mapping_suggestion_accept(actor=request.user, suggestion=suggestion)
            messages.success(
                request,
                f"Mapped {mapping.external_value} → {mapping.canonical_value}. Held transactions "
                "waiting on it are released from their exception item (Fix & replay).",
            )
        else:
            mapping_suggestion_reject(actor=request.user, suggestion=suggestion)
            messages.info(request, "Suggestion rejected.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("sync:suggestions")


# --- bindings -----------------------------------------------------------------------------------


@admin_only
@require_GET
def bindings(request):
    system_id = request.GET.get("system") or None
    orphaned = request.GET.get("orphaned") == "1"
    queryset = binding_list(
        system_id=int(system_id) if system_id and system_id.isdigit() else None,
        domain=request.GET.get("domain", "").strip(),
        orphaned=True if orphaned else None,
        search=request.GET.get("q", "").strip(),
    )
    page = keyset_paginate(queryset, after=request.GET.get("after"))
    return render(
        request,
        "sync/bindings.html",
        _context(
            "bindings", page=page, filters=request.GET, orphaned=orphaned, systems=system_list()
        ),
    )


# --- delivery settings, breakers, quota ---------------------------------------------------------


@admin_only
@require_GET
def delivery(request):
    rows = []
    for system in system_list():
        rows.append(
            {
                "system": system,
                "settings": DeliverySettings.objects.filter(system=system).first(),
                "breaker": breaker_get(system=system),
                "quota": sum(q.calls for q in quota_usage_recent(system=system, minutes=60)),
                "throttled": sum(
                    q.throttled for q in quota_usage_recent(system=system, minutes=60)
                ),
            }
        )
    return render(request, "sync/delivery.html", _context("delivery", rows=rows))


@admin_only
def delivery_edit(request, code: str):
    system = system_get_by_code(code=code)
    if system is None:
        raise Http404("No such system.")
    current = delivery_settings_for(system)
    initial = {
        f: getattr(current, f)
        for f in forms.DeliverySettingsForm.base_fields
        if hasattr(current, f)
    }
    form = forms.DeliverySettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            delivery_settings_save(actor=request.user, system=system, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Delivery settings of {system.code} saved.")
            return redirect("sync:delivery")
    return render(
        request,
        "sync/delivery_form.html",
        _context(
            "delivery",
            form=form,
            system=system,
            history=config_history(obj=current),
            quota=quota_usage_recent(system=system, minutes=60),
        ),
    )


@admin_only
@require_POST
def breaker_close(request, code: str):
    system = system_get_by_code(code=code)
    if system is None:
        raise Http404("No such system.")
    breaker_reset(system=system, actor=request.user)
    messages.success(request, f"Circuit breaker of {system.code} closed by hand.")
    return redirect("sync:delivery")


# --- replay requests (segregation of duties) ----------------------------------------------------


@admin_only
@require_GET
def replay_requests(request):
    pending = ReplayRequest.objects.filter(status=ReplayRequestStatus.PENDING).select_related(
        "requested_by", "transaction"
    )
    decided = (
        ReplayRequest.objects.exclude(status=ReplayRequestStatus.PENDING)
        .select_related("requested_by", "decided_by")
        .order_by("-decided_at")[:50]
    )
    return render(
        request,
        "sync/replay_requests.html",
        _context("replays", pending=pending, decided=decided),
    )


@admin_only
@require_POST
def replay_request_decide(request, request_id: int, decision: str):
    if decision not in ("approve", "reject"):
        raise Http404("Unknown decision.")
    replay_request = get_object_or_404(ReplayRequest, pk=request_id)
    note = request.POST.get("note", "")
    try:
        if decision == "approve":
            child = replay_request_approve(request=replay_request, actor=request.user, note=note)
            messages.success(request, f"Approved: replayed as transaction #{child.pk}.")
        else:
            replay_request_reject(request=replay_request, actor=request.user, note=note)
            messages.info(request, "Replay request rejected.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("sync:replay_requests")


# --- job runs (/jobs/) --------------------------------------------------------------------------


@admin_only
@require_GET
def job_list(request):
    system_id = request.GET.get("system") or None
    queryset = job_run_list(
        kind=request.GET.get("kind", ""),
        status=request.GET.get("status", ""),
        system_id=int(system_id) if system_id and system_id.isdigit() else None,
    )
    page = keyset_paginate(queryset, after=request.GET.get("after"))
    running = any(not job.is_finished for job in page.rows)
    context = {
        "page": page,
        "filters": request.GET,
        "running": running,
        "kinds": JobKind.choices,
        "statuses": JobStatus.choices,
        "systems": system_list(),
        "runnable": SyncPolicy.objects.filter(enabled=True)
        .exclude(mode="event")
        .select_related("source_system", "target_system", "project", "entity"),
        "reconcilable": _reconcilable(),
    }
    if request.htmx:
        return render(request, "sync/jobs/list.html#jobs", context)
    return render(request, "sync/jobs/list.html", context)


def _reconcilable() -> list[tuple]:
    pairs = (
        Binding.objects.values("system_id", "system__code", "domain")
        .annotate(n=Count("id"))
        .order_by("system__code", "domain")
    )
    return [(p["system_id"], p["system__code"], p["domain"], p["n"]) for p in pairs]


@admin_only
@require_GET
def job_detail(request, job_id: int):
    try:
        job = job_run_get(job_id=job_id)
    except ApplicationError as exc:
        raise Http404(exc.message) from exc
    context = {"job": job, "lines": job_log_lines(job=job)}
    if request.htmx:
        return render(request, "sync/jobs/detail.html#progress", context)
    return render(request, "sync/jobs/detail.html", context)


@admin_only
@require_POST
def job_start(request):
    """Run now: a batch policy's sync, or a reconciliation of a system and domain."""
    form = forms.JobStartForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(form.non_field_errors()) or "Choose what to run.")
        return redirect("jobs:list")
    data = form.cleaned_data
    if data.get("policy"):
        policy = get_object_or_404(SyncPolicy, pk=data["policy"], enabled=True)
        job = job_run_create(
            kind=JobKind.SYNC,
            name=f"Sync {policy}",
            trigger=JobTrigger.MANUAL,
            requested_by=request.user,
            policy=policy,
        )
    else:
        job = job_run_create(
            kind=JobKind.RECONCILE,
            name=f"Reconcile {data['domain']} with {data['system'].code}",
            trigger=JobTrigger.MANUAL,
            requested_by=request.user,
            system=data["system"],
            domain=data["domain"],
        )
    from apps.audit.services import audit_record

    audit_record(
        actor=request.user, action="sync.job.run_now", target=job, detail={"kind": job.kind}
    )
    job_run_enqueue(job=job)
    messages.success(request, f"{job.name}: queued as job {job.pk}.")
    return redirect("jobs:detail", job_id=job.pk)


@admin_only
def replay_new(request):
    """Bulk replay: choose a filtered set of transactions at rest; it runs as a job."""
    initial = {}
    for key in ("domain", "exception_item"):
        if request.GET.get(key):
            initial[key] = request.GET[key]
    if request.GET.getlist("status"):
        initial["status"] = request.GET.getlist("status")
    form = forms.BulkReplayForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            job = replay_bulk_start(
                actor=request.user, filters=form.filters(), reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Bulk replay queued as job {job.pk}.")
            return redirect("jobs:detail", job_id=job.pk)
    return render(
        request,
        "sync/jobs/replay_form.html",
        {"form": form, "statuses": TransactionStatus, "systems": System.objects.all()},
    )
