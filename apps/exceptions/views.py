"""The finance reviewers' workbench: queue views, dedicated queues, item detail and actions."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.roles import FINANCE, INTEGRATION_ADMIN, has_role, role_required
from apps.accounts.selectors import scope_to_user_projects
from apps.core.errors import ApplicationError
from apps.core.pagination import keyset_paginate
from apps.exceptions import forms, selectors, services
from apps.exceptions.choices import ExceptionCategory
from apps.exceptions.manual_match import (
    exception_manual_match,
    exception_manual_match_preview,
    item_invoice,
    manual_match_allowed,
    manual_match_candidates,
)
from apps.exceptions.models import ExceptionItem
from apps.ledger.choices import TERMINAL_STATUSES

QUEUE_ROLES = (FINANCE, INTEGRATION_ADMIN)
PAGE_SIZE = 50
# Bulk actions run in chunks so a large selection shows a progress bar between requests.
BULK_CHUNK = 100

# Which mapping kinds a "fix the mapping" form is offered for, and its wording.
MAPPING_ACTION_LABELS = {
    "cost_code": "Map the platform cost code to a canonical cost code",
    "project": "Link the project reference to a project",
    "vendor": "Link the vendor reference to a vendor",
}
OVERRIDE_CATEGORIES = {
    ExceptionCategory.BUDGET_EXCEEDED,
    ExceptionCategory.SOR_CONFLICT,
    ExceptionCategory.COMPLIANCE_HOLD,
    ExceptionCategory.PRICE_QUANTITY_VARIANCE,
    ExceptionCategory.UNMATCHED_INVOICE,
    ExceptionCategory.MISSING_RECEIPT,
    ExceptionCategory.DUPLICATE_SUSPECTED,
    ExceptionCategory.DOCUMENT_HOLD,
}


def _filter_choices(user):
    from apps.connectors.models import System
    from apps.projects.models import Project

    return {
        "projects": scope_to_user_projects(Project.objects.order_by("code"), user=user, field="pk"),
        "systems": System.objects.order_by("code"),
        "assignees": selectors.assignable_users(),
    }


def _filter_form(request):
    form = forms.QueueFilterForm(request.GET or None, **_filter_choices(request.user))
    if request.GET and not form.is_valid():
        return form, None
    return form, (form.cleaned_data if request.GET else {})


def _queue_page(
    request,
    *,
    template: str,
    extra_filters: dict | None = None,
    title: str = "",
    columns: str = "standard",
):
    form, filters = _filter_form(request)
    if filters is None:
        return render(request, template, {"form": form, "page": None, "title": title}, status=400)
    filters = {**filters, **(extra_filters or {})}
    view = filters.get("view") or "all"
    queryset = selectors.exception_queue(user=request.user, view=view, filters=filters)
    if columns == "cost_codes":
        from django.db.models import Count

        queryset = queryset.annotate(link_count=Count("links"))
    page = keyset_paginate(queryset, after=request.GET.get("after"), page_size=PAGE_SIZE)
    if columns == "invoices":
        _attach_invoices(page.rows)
    context = {
        "form": form,
        "page": page,
        "view": view,
        "title": title,
        "columns": columns,
        "querystring": urlencode({k: v for k, v in request.GET.items() if k != "after"}),
        "bulk_form": forms.BulkForm(assignees=_filter_choices(request.user)["assignees"]),
    }
    if request.htmx and request.GET.get("partial") == "rows":
        return render(request, f"{template}#rows", context)
    if columns == "standard":
        # All the counters in one grouped query (see selectors.exception_queue_counts).
        counts = selectors.exception_queue_counts(user=request.user)
        context.update(
            views=[
                (key, label, counts["views"].get(key))
                for key, label in selectors.QUEUE_VIEWS.items()
            ],
            category_counts=counts["categories"],
            ageing=counts["ageing"],
            saved_filters=selectors.saved_filter_list(user=request.user),
        )
    return render(request, template, context)


def _attach_invoices(items) -> None:
    """The unmatched-invoices queue shows each item's bill (number, vendor, PO, variance) and
    links to its manual match: the bills of a page are read in one query."""
    from apps.procurement.models import Invoice
    from apps.procurement.services.manual_match import MATCHABLE_STATUSES

    ids = {}
    for item in items:
        try:
            ids[item.pk] = int((item.details or {}).get("invoice"))
        except (TypeError, ValueError):
            continue
    invoices = Invoice.objects.select_related("vendor", "commitment").in_bulk(set(ids.values()))
    for item in items:
        invoice = invoices.get(ids.get(item.pk))
        item.invoice = invoice
        item.can_match = bool(
            invoice is not None
            and item.is_active
            and invoice.kind == "invoice"
            and invoice.status in MATCHABLE_STATUSES
            and invoice.match_status != "variance_approved"
        )


@role_required(*QUEUE_ROLES)
@require_GET
def queue(request):
    return _queue_page(request, template="exceptions/queue.html", title="Exception queue")


@role_required(*QUEUE_ROLES)
@require_GET
def unmatched_invoices(request):
    return _queue_page(
        request,
        template="exceptions/dedicated.html",
        extra_filters={"categories": selectors.UNMATCHED_INVOICE_CATEGORIES},
        title="Unmatched invoices",
        columns="invoices",
    )


@role_required(*QUEUE_ROLES)
@require_GET
def cost_codes(request):
    return _queue_page(
        request,
        template="exceptions/dedicated.html",
        extra_filters={"categories": selectors.COST_CODE_CATEGORIES},
        title="Cost-code errors",
        columns="cost_codes",
    )


@role_required(*QUEUE_ROLES)
@require_GET
def approvals(request):
    return _queue_page(
        request,
        template="exceptions/dedicated.html",
        extra_filters={"categories": selectors.APPROVAL_CATEGORIES},
        title="Overdue approvals",
        columns="approvals",
    )


@role_required(*QUEUE_ROLES)
@require_GET
def export(request):
    from apps.exceptions.exports import exceptions_export

    form, filters = _filter_form(request)
    if filters is None:
        return HttpResponseBadRequest("Invalid filters: " + form.errors.as_text())
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        return HttpResponseBadRequest("format must be csv or xlsx")
    queryset = selectors.exception_queue(
        user=request.user, view=filters.get("view") or "all", filters=filters
    )
    content, content_type, filename = exceptions_export(queryset=queryset, fmt=fmt)
    from apps.audit.services import audit_record

    audit_record(
        actor=request.user,
        action="exception.export",
        target=None,
        detail={"format": fmt, "filters": {k: str(v) for k, v in filters.items() if v}},
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- saved filters -------------------------------------------------------------------------------


@role_required(*QUEUE_ROLES)
@require_POST
def saved_filter_save(request):
    form = forms.SavedFilterForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the filter a name.")
        return redirect("exceptions:queue")
    saved = services.saved_filter_save(
        user=request.user, name=form.cleaned_data["name"], query=form.cleaned_data["query"]
    )
    messages.success(request, f"Saved filter “{saved.name}”.")
    return redirect(reverse("exceptions:queue") + (f"?{saved.query}" if saved.query else ""))


@role_required(*QUEUE_ROLES)
@require_POST
def saved_filter_delete(request, filter_id: int):
    services.saved_filter_delete(user=request.user, filter_id=filter_id)
    messages.success(request, "Saved filter deleted.")
    return redirect("exceptions:queue")


# --- bulk ---------------------------------------------------------------------------------------


@role_required(*QUEUE_ROLES)
@require_POST
def bulk(request):
    """Apply an action to the selected items, BULK_CHUNK at a time: an htmx request gets the
    progress partial, which posts the next chunk itself until the selection is done."""
    assignees = _filter_choices(request.user)["assignees"]
    posted = request.POST.copy()
    if request.POST.get("all_matching") == "1":
        # "Every item matching the filter": the ids are taken now, then worked in chunks.
        from django.http import QueryDict

        query = QueryDict(request.POST.get("query", ""))
        filter_form = forms.QueueFilterForm(query, **_filter_choices(request.user))
        filters = filter_form.cleaned_data if filter_form.is_valid() else None
        if filters is None:
            return HttpResponseBadRequest("Invalid filters.")
        matching = selectors.exception_queue(
            user=request.user, view=filters.get("view") or "all", filters=filters
        )
        posted["ids"] = " ".join(str(i) for i in matching.values_list("id", flat=True)[:5001])
    elif len(request.POST.getlist("ids")) > 1:
        posted["ids"] = " ".join(request.POST.getlist("ids"))
    form = forms.BulkForm(posted, assignees=assignees)
    if not form.is_valid():
        message = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        if request.htmx:
            return render(request, "exceptions/_bulk_progress.html", {"error": message}, status=400)
        messages.error(request, message)
        return redirect("exceptions:queue")
    data = form.cleaned_data
    ids = data["ids"]
    chunk, rest = ids[:BULK_CHUNK], ids[BULK_CHUNK:]
    # Only items the user may see: ids of other projects are reported as not found, not touched.
    items = list(selectors.exception_list(user=request.user).filter(pk__in=chunk))
    missing = sorted(set(chunk) - {item.pk for item in items})
    assignee = None
    if data["action"] == "assign" and data["assignee"]:
        assignee = next(u for u in assignees if u.pk == data["assignee"])
    try:
        result = services.exception_bulk_apply(
            items=items,
            actor=request.user,
            action=data["action"],
            assignee=assignee,
            tags=(data["tags"] or "").split(","),
            resolution=data["resolution"],
            note=data["note"],
        )
    except ApplicationError as exc:
        if request.htmx:
            return render(
                request, "exceptions/_bulk_progress.html", {"error": exc.message}, status=400
            )
        messages.error(request, exc.message)
        return redirect("exceptions:queue")
    failed = result["failed"] + [{"id": i, "message": "not found"} for i in missing]
    done_before = int(request.POST.get("done_before") or 0)
    total = int(request.POST.get("total") or len(ids))
    failed_before = int(request.POST.get("failed_before") or 0)
    context = {
        "done": done_before + len(chunk),
        "total": total,
        "succeeded": int(request.POST.get("succeeded_before") or 0) + result["done"],
        "failed_count": failed_before + len(failed),
        "failed": failed,
        "rest": " ".join(str(i) for i in rest),
        "data": data,
        "percent": int(100 * (done_before + len(chunk)) / max(total, 1)),
    }
    if request.htmx:
        return render(request, "exceptions/_bulk_progress.html", context)
    messages.success(
        request, f"{context['succeeded']} item(s) updated, {context['failed_count']} refused."
    )
    if rest:
        messages.warning(request, f"{len(rest)} item(s) were not processed: select fewer.")
    return redirect("exceptions:queue")


# --- detail and actions ---------------------------------------------------------------------------


def _item_or_404(request, item_id: int) -> ExceptionItem:
    try:
        return selectors.exception_get(user=request.user, item_id=item_id)
    except ApplicationError as exc:
        raise Http404(exc.message) from exc


def _links_with_onward(item) -> list:
    """The item's links, each transaction with the deliveries it caused onward (e.g. to Odoo)
    as `tx.onward`: one query for all of them."""
    from apps.ledger.models import Transaction

    links = list(selectors.exception_links(item=item).select_related("transaction__system"))
    onward: dict[int, list] = {}
    children = Transaction.objects.filter(
        parent_id__in=[link.transaction_id for link in links], direction="outbound"
    ).select_related("system")
    for child in children.order_by("id"):
        onward.setdefault(child.parent_id, []).append(child)
    for link in links:
        link.transaction.onward = onward.get(link.transaction_id, [])
    return links


def _payload_diff(transactions) -> str:
    """The last replay's payload against its parent's (what a person changed), if any."""
    import difflib
    import json

    by_id = {t.pk: t for t in transactions}
    for tx in reversed(transactions):
        parent = by_id.get(tx.parent_id)
        if parent is not None and tx.payload != parent.payload:
            before = json.dumps(parent.payload, indent=2, sort_keys=True, default=str)
            after = json.dumps(tx.payload, indent=2, sort_keys=True, default=str)
            return "\n".join(
                difflib.unified_diff(
                    before.splitlines(),
                    after.splitlines(),
                    f"#{parent.pk}",
                    f"#{tx.pk}",
                    lineterm="",
                )
            )
    return ""


def _business_record(item) -> dict:
    """The facts about the business record the item's details name (PO, invoice, budget line)."""
    keys = (
        "invoice",
        "invoice_number",
        "vendor",
        "po",
        "po_number",
        "budget_line",
        "cost_code",
        "variance",
        "retention",
        "approval",
        "value",
        "label",
        "suggested",
    )
    details = item.details or {}
    return {k: details[k] for k in keys if details.get(k) not in (None, "")}


def _allowed_actions(request, item) -> dict:
    user = request.user
    details = item.details or {}
    active = item.is_active
    can_work = has_role(user, *QUEUE_ROLES)
    kind = details.get("mapping_kind")
    return {
        "assign": active and can_work,
        "comment": can_work,
        "resolve": active and can_work,
        "ignore": active and can_work,
        "status": active and can_work,
        "mapping": active and can_work and bool(kind and details.get("value")),
        "mapping_label": MAPPING_ACTION_LABELS.get(kind, f"Map the {kind} value"),
        "retry": active and can_work,
        "edit_payload": active and has_role(user, INTEGRATION_ADMIN, FINANCE),
        "override": active and can_work and item.category in OVERRIDE_CATEGORIES,
        "manual_match": active and can_work and manual_match_allowed(item=item),
    }


def _detail_context(request, item, **extra):
    links = _links_with_onward(item)
    transactions = [link.transaction for link in links]
    assignees = selectors.assignable_users()
    allowed = _allowed_actions(request, item)
    business = _business_record(item)
    invoice = item_invoice(item=item)
    if invoice is not None:
        business["invoice"] = (
            f"{invoice.number} from {invoice.vendor.code} — {invoice.get_status_display()}, "
            f"{invoice.get_match_status_display().lower()}"
        )
        if invoice.commitment_id:
            business["po"] = invoice.commitment.number
    return {
        "item": item,
        "links": links,
        "transactions": transactions,
        "diff": _payload_diff(transactions),
        # Keep refreshing the statuses while any linked transaction is still moving.
        "pending": any(t.status not in TERMINAL_STATUSES for t in transactions),
        "payload_json": (
            json.dumps(transactions[0].payload, indent=2, sort_keys=True, default=str)
            if transactions
            else ""
        ),
        "business": business,
        "comments": selectors.exception_comments(item=item),
        "override_requests": selectors.override_request_list(item=item),
        "allowed": allowed,
        "match": (
            manual_match_candidates(item=item, user=request.user)
            if allowed["manual_match"]
            else None
        ),
        "overdue": item.is_overdue(),
        "assign_form": forms.AssignForm(
            initial={"assignee": item.assignee_id}, assignees=assignees
        ),
        "comment_form": forms.CommentForm(),
        "resolve_form": forms.ResolveForm(),
        "ignore_form": forms.IgnoreForm(),
        "status_form": forms.StatusForm(initial={"status": item.status}),
        "mapping_form": forms.MappingFixForm(
            initial={"canonical_value": (item.details or {}).get("suggested", "")}
        ),
        "retry_form": forms.RetryForm(),
        "edit_form": forms.EditPayloadForm(),
        "override_form": forms.OverrideForm(),
        **extra,
    }


@role_required(*QUEUE_ROLES)
@require_GET
def detail(request, item_id: int):
    item = _item_or_404(request, item_id)
    return render(request, "exceptions/detail.html", _detail_context(request, item))


@role_required(*QUEUE_ROLES)
@require_GET
def detail_transactions(request, item_id: int):
    """The linked transactions' statuses (htmx polls this while replays run)."""
    item = _item_or_404(request, item_id)
    return render(request, "exceptions/detail.html#transactions", _detail_context(request, item))


def _act(request, item_id: int, form_class, run, success: str, **form_kwargs):
    """Validate the action's form, run it, and come back to the item with the outcome."""
    item = _item_or_404(request, item_id)
    form = form_class(request.POST, **form_kwargs)
    if not form.is_valid():
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        messages.error(request, f"Not done — {errors}")
        return redirect("exceptions:detail", item_id=item.pk)
    try:
        outcome = run(item, form.cleaned_data)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("exceptions:detail", item_id=item.pk)
    messages.success(request, success.format(outcome=outcome))
    return redirect("exceptions:detail", item_id=item.pk)


@role_required(*QUEUE_ROLES)
@require_POST
def assign(request, item_id: int):
    assignees = list(selectors.assignable_users())

    def run(item, data):
        person = next((u for u in assignees if u.pk == data["assignee"]), None)
        services.exception_assign(item=item, actor=request.user, assignee=person)
        return person.get_username() if person else "nobody"

    return _act(
        request, item_id, forms.AssignForm, run, "Assigned to {outcome}.", assignees=assignees
    )


@role_required(*QUEUE_ROLES)
@require_POST
def assign_me(request, item_id: int):
    item = _item_or_404(request, item_id)
    try:
        services.exception_assign(item=item, actor=request.user, assignee=request.user)
        messages.success(request, "The item is yours.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("exceptions:detail", item_id=item.pk)


@role_required(*QUEUE_ROLES)
@require_POST
def comment(request, item_id: int):
    def run(item, data):
        return services.exception_comment_add(item=item, author=request.user, body=data["body"])

    return _act(request, item_id, forms.CommentForm, run, "Comment added.")


@role_required(*QUEUE_ROLES)
@require_POST
def resolve(request, item_id: int):
    def run(item, data):
        return services.exception_resolve(
            item=item, actor=request.user, action=data["action"], note=data["note"]
        )

    return _act(request, item_id, forms.ResolveForm, run, "Resolved.")


@role_required(*QUEUE_ROLES)
@require_POST
def ignore(request, item_id: int):
    def run(item, data):
        return services.exception_ignore(item=item, actor=request.user, reason=data["reason"])

    return _act(request, item_id, forms.IgnoreForm, run, "Ignored.")


@role_required(*QUEUE_ROLES)
@require_POST
def status(request, item_id: int):
    def run(item, data):
        return services.exception_status_set(
            item=item, actor=request.user, status=data["status"], note=data["note"]
        ).get_status_display()

    return _act(request, item_id, forms.StatusForm, run, "Status: {outcome}.")


@role_required(*QUEUE_ROLES)
@require_POST
def fix_mapping(request, item_id: int):
    from apps.sync.replay import mapping_fix_and_replay

    def run(item, data):
        result = mapping_fix_and_replay(
            item=item,
            actor=request.user,
            canonical_value=data["canonical_value"].strip(),
            note=data["note"],
        )
        return f"{len(result.released)} released, {len(result.replayed)} replayed"

    return _act(
        request,
        item_id,
        forms.MappingFixForm,
        run,
        "Mapping saved; held transactions: {outcome}. Their statuses update below.",
    )


@role_required(*QUEUE_ROLES)
@require_POST
def retry(request, item_id: int):
    def run(item, data):
        result = services.exception_replay_transactions(
            item=item, actor=request.user, reason=data["reason"]
        )
        return (
            f"{len(result['released'])} released, {len(result['replayed'])} replayed, "
            f"{len(result['requested'])} waiting for a second person"
        )

    return _act(request, item_id, forms.RetryForm, run, "Retried: {outcome}.")


@role_required(*QUEUE_ROLES)
@require_POST
def edit_payload(request, item_id: int):
    from apps.sync.models import ReplayRequest

    def run(item, data):
        result = services.exception_edit_and_retry(
            item=item,
            actor=request.user,
            transaction_id=data["transaction_id"],
            payload=data["payload"],
            reason=data["reason"],
        )
        if isinstance(result, ReplayRequest):
            return f"replay request {result.pk} waits for a second person"
        return f"replayed as transaction {result.pk}"

    return _act(request, item_id, forms.EditPayloadForm, run, "Corrected payload: {outcome}.")


@role_required(*QUEUE_ROLES)
@require_POST
def override(request, item_id: int):
    def run(item, data):
        result = services.override_request_create(
            item=item,
            actor=request.user,
            transaction_id=data["transaction_id"],
            stage=data["stage"],
            reason=data["reason"],
        )
        return "waits for a second person" if result.status == "pending" else "applied"

    return _act(request, item_id, forms.OverrideForm, run, "Override {outcome}.")


@role_required(*QUEUE_ROLES)
@require_POST
def override_decide(request, item_id: int, request_id: int):
    item = _item_or_404(request, item_id)
    override_request = selectors.override_request_list(item=item).filter(pk=request_id).first()
    if override_request is None:
        raise Http404("No such override request.")

    def run(item, data):
        return services.override_request_decide(
            request=override_request,
            actor=request.user,
            approve=data["decision"] == "approve",
            note=data["note"],
        ).status

    return _act(request, item_id, forms.OverrideDecisionForm, run, "Override {outcome}.")


# --- manual invoice match ------------------------------------------------------------------------


def _match_allocations(request, item) -> list[dict]:
    """The page's picks → allocations: `line_<bill line id>` = PO line id per bill line, and
    the receipts ticked (`receipts`, for every line: each line counts the receipt lines of its
    own PO line)."""
    invoice = item_invoice(item=item)
    receipts = [value for value in request.POST.getlist("receipts") if value.strip()]
    allocations = []
    for line in invoice.lines.order_by("line_no") if invoice is not None else []:
        chosen = request.POST.get(f"line_{line.pk}", "").strip()
        if chosen:
            allocations.append(
                {"invoice_line": line.pk, "commitment_line": chosen, "receipts": receipts}
            )
    return allocations


@role_required(*QUEUE_ROLES)
@require_POST
def manual_match_preview(request, item_id: int):
    """htmx: the variance the picks would give, before confirming (nothing is written)."""
    item = _item_or_404(request, item_id)
    context = {"item": item}
    try:
        context["preview"] = exception_manual_match_preview(
            item=item, allocations=_match_allocations(request, item), user=request.user
        )
    except ApplicationError as exc:
        context["error"] = exc.message
    return render(request, "exceptions/_manual_match_preview.html", context)


@role_required(*QUEUE_ROLES)
@require_POST
def manual_match(request, item_id: int):
    item = _item_or_404(request, item_id)
    try:
        result = exception_manual_match(
            item=item,
            actor=request.user,
            allocations=_match_allocations(request, item),
            note=request.POST.get("note", ""),
        )
    except ApplicationError as exc:
        messages.error(request, f"Not matched — {exc.message}")
        return redirect("exceptions:detail", item_id=item.pk)
    if result.released:
        messages.success(
            request,
            f"Matched to {result.preview['commitment_number']} "
            f"({result.match.get_outcome_display().lower()}); the bill waits for the accounting "
            f"approver (posting request #{result.posting_request.pk}).",
        )
    else:
        messages.warning(
            request,
            f"Matched to {result.preview['commitment_number']} with a variance of "
            f"{result.preview['variance_amount']} {result.preview['currency']}: variance "
            f"approval #{result.variance_request.pk} waits for a second person.",
        )
    return redirect("exceptions:detail", item_id=item.pk)
