"""Ledger pages: list with filters, live counters and CSV export; detail with payloads, timeline
and lineage picture; refused requests (admins). Thin: selectors and services do the work."""

from __future__ import annotations

import csv
import json
from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.roles import FINANCE, INTEGRATION_ADMIN, PMO, has_role, role_required
from apps.accounts.selectors import user_project_ids
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.core.pagination import keyset_paginate
from apps.ledger.charts import lineage_figure
from apps.ledger.choices import REPLAYABLE_STATUSES
from apps.ledger.forms import LedgerFilterForm
from apps.ledger.models import TransactionFile
from apps.ledger.selectors import (
    payload_pretty,
    raw_body_pretty,
    refused_request_list,
    transaction_children,
    transaction_events,
    transaction_get,
    transaction_lineage,
    transaction_list,
    transaction_status_counts,
)
from apps.projects.models import Project
from apps.sync.models import ReplayRequest
from apps.sync.replay import transaction_replay_one

LEDGER_ROLES = (FINANCE, INTEGRATION_ADMIN, PMO)
EXPORT_CHUNK = 2000
EXPORT_COLUMNS = [
    "id",
    "received_at",
    "direction",
    "system",
    "domain",
    "operation",
    "status",
    "project",
    "idempotency_key",
    "external_id",
    "reference",
    "correlation_id",
    "parent_id",
    "trigger",
    "attempts",
    "last_error_code",
    "last_error_message",
    "completed_at",
    "duration_ms",
]


def _filter_form(request) -> LedgerFilterForm:
    ids = user_project_ids(user=request.user)
    projects = Project.objects.order_by("code")
    if ids is not None:
        projects = projects.filter(id__in=ids)
    return LedgerFilterForm(request.GET, projects=list(projects))


@role_required(*LEDGER_ROLES)
@require_GET
def ledger_list(request):
    form = _filter_form(request)
    filters = form.filters()
    queryset = transaction_list(user=request.user, filters=filters)
    if request.GET.get("part") == "counters":
        return render(request, "ledger/list.html#counters", _counters_context(request, filters))
    page = keyset_paginate(
        queryset.select_related("system", "project"), after=request.GET.get("after")
    )
    context = {"form": form, "page": page, **_counters_context(request, filters)}
    return render(request, "ledger/list.html", context)


def _counters_context(request, filters) -> dict:
    # Counters ignore the status filter, so they show where the filtered rows stand.
    filters.status, chosen = [], filters.status
    # Without a date range, settled transactions are counted for the last 24 hours only: the
    # counters stay live on a ledger of any size (a date range counts everything in it).
    windowed = not (filters.received_from or filters.received_to)
    counts = transaction_status_counts(
        queryset=transaction_list(user=request.user, filters=filters),
        settled_since=timezone.now() - timedelta(hours=24) if windowed else None,
    )
    filters.status = chosen
    query = request.GET.copy()
    query.pop("status", None)
    query.pop("after", None)
    query.pop("part", None)
    return {
        "counts": counts,
        "counts_windowed": windowed,
        "counts_query": query.urlencode(),
        "counted_at": timezone.now(),
    }


@role_required(*LEDGER_ROLES)
@require_GET
def ledger_export(request):
    """CSV of the filtered ledger, streamed in keyset chunks (any size, constant memory)."""
    filters = _filter_form(request).filters()
    queryset = transaction_list(user=request.user, filters=filters).select_related(
        "system", "project"
    )
    audit_record(
        actor=request.user,
        action="ledger.export",
        detail={k: v for k, v in request.GET.lists() if k != "after"},
    )

    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())

    def rows():
        yield writer.writerow(EXPORT_COLUMNS)
        last_id = None
        while True:
            chunk_qs = queryset.order_by("-id")
            if last_id is not None:
                chunk_qs = chunk_qs.filter(id__lt=last_id)
            chunk = list(chunk_qs[:EXPORT_CHUNK])
            if not chunk:
                return
            for tx in chunk:
                yield writer.writerow(
                    [
                        tx.id,
                        tx.received_at.isoformat(),
                        tx.direction,
                        tx.system.code,
                        tx.domain,
                        tx.operation,
                        tx.status,
                        tx.project.code if tx.project else "",
                        tx.idempotency_key,
                        tx.external_id,
                        tx.reference,
                        tx.correlation_id,
                        tx.parent_id or "",
                        tx.trigger,
                        tx.attempts,
                        tx.last_error_code,
                        tx.last_error_message,
                        tx.completed_at.isoformat() if tx.completed_at else "",
                        tx.duration_ms if tx.duration_ms is not None else "",
                    ]
                )
            last_id = chunk[-1].id

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="ledger-{stamp}.csv"'
    return response


def _get_or_404(request, transaction_id: int):
    tx = transaction_get(user=request.user, transaction_id=transaction_id)
    if tx is None:
        raise Http404("No such transaction.")
    return tx


@role_required(*LEDGER_ROLES)
@require_GET
def ledger_detail(request, transaction_id: int):
    tx = _get_or_404(request, transaction_id)
    lineage = transaction_lineage(transaction=tx, user=request.user)
    is_admin = has_role(request.user, INTEGRATION_ADMIN)
    context = {
        "tx": tx,
        "events": transaction_events(transaction=tx),
        "children": transaction_children(user=request.user, transaction=tx)[:100],
        "payload_pretty": payload_pretty(tx.payload),
        "canonical_pretty": payload_pretty(tx.canonical_payload)
        if tx.canonical_payload is not None
        else "",
        "raw_pretty": raw_body_pretty(tx.raw_body),
        "lineage": lineage,
        "lineage_figure": json.dumps(lineage_figure(lineage)),
        "file": TransactionFile.objects.filter(transaction_id=tx.id).defer("content").first(),
        "can_replay": is_admin and tx.status in REPLAYABLE_STATUSES,
        "can_download": is_admin,
    }
    return render(request, "ledger/detail.html", context)


@role_required(INTEGRATION_ADMIN)
@require_POST
def ledger_replay(request, transaction_id: int):
    tx = _get_or_404(request, transaction_id)
    reason = request.POST.get("reason", "").strip()
    if not reason:
        messages.error(request, "Say why you replay it: the reason goes into the audit log.")
        return redirect("ledger:detail", transaction_id=tx.id)
    try:
        # The sync engine's replay: it asks for a second person where segregation of duties
        # applies (an overridden financial transaction) instead of replaying at once.
        child = transaction_replay_one(transaction=tx, actor=request.user, reason=reason)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("ledger:detail", transaction_id=tx.id)
    if isinstance(child, ReplayRequest):
        messages.warning(
            request,
            f"This replay needs a second person: request #{child.id} waits for another admin "
            "under Replay requests.",
        )
        return redirect("ledger:detail", transaction_id=tx.id)
    messages.success(request, f"Replayed as #{child.id}.")
    return redirect("ledger:detail", transaction_id=child.id)


@role_required(INTEGRATION_ADMIN)
@require_GET
def ledger_file(request, transaction_id: int):
    tx = _get_or_404(request, transaction_id)
    stored = TransactionFile.objects.filter(transaction_id=tx.id).first()
    if stored is None:
        raise Http404("This transaction has no file.")
    audit_record(
        actor=request.user,
        action="ledger.file.download",
        target=tx,
        detail={"file": stored.file_name},
    )
    response = HttpResponse(bytes(stored.content), content_type="application/octet-stream")
    safe_name = stored.file_name.replace('"', "").replace("\n", " ")
    response["Content-Disposition"] = f'attachment; filename="{safe_name}"'
    return response


@role_required(INTEGRATION_ADMIN)
@require_GET
def refused_list(request):
    queryset = refused_request_list(
        system_code=request.GET.get("system", "").strip(),
        reason=request.GET.get("reason", "").strip(),
    )
    page = keyset_paginate(queryset, after=request.GET.get("after"))
    return render(request, "ledger/refused.html", {"page": page, "filters": request.GET})
