"""Document register pages (PMO and integration admins; project-scoped). Thin: selectors read,
services write (and audit)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts.roles import FINANCE, INTEGRATION_ADMIN, PMO, has_role, role_required
from apps.core.errors import ApplicationError, NotFoundError
from apps.core.pagination import keyset_paginate
from apps.documents.choices import StatusMeaning, TransmittalStatus
from apps.documents.forms import DocumentFilterForm, ProjectDocumentSettingsForm, TransmittalForm
from apps.documents.selectors import (
    AGE_BUCKETS,
    document_counts_by_meaning,
    document_get,
    document_list,
    document_overdue_reviews,
    document_status_age_matrix,
    status_set_list,
    transmittal_get,
    transmittal_list,
)
from apps.documents.services import (
    TRANSMITTAL_TRANSITIONS,
    project_document_settings_get,
    project_document_settings_update,
    transmittal_create,
    transmittal_transition,
)
from apps.projects.selectors import project_list

READ_ROLES = (PMO, INTEGRATION_ADMIN)


@role_required(*READ_ROLES)
def index(request):
    """Documents by status and age, overdue reviews, and the filtered register."""
    projects = list(project_list(user=request.user))
    form = DocumentFilterForm(request.GET or None, projects=projects)
    filters = form.cleaned_data if form.is_valid() else {}
    today = timezone.now().date()
    queryset = document_list(
        user=request.user,
        project_id=filters.get("project"),
        kind=filters.get("kind", ""),
        meaning=filters.get("meaning", ""),
        overdue=bool(filters.get("overdue")),
        q=filters.get("q", ""),
        today=today,
    )
    page = keyset_paginate(queryset, after=request.GET.get("after"))
    context = {
        "form": form,
        "page": page,
        "today": today,
        "matrix": document_status_age_matrix(queryset=queryset),
        "age_buckets": [label for label, _, _ in AGE_BUCKETS],
        "kpis": _kpis(request.user, queryset, today),
        "overdue": document_overdue_reviews(user=request.user, today=today, limit=10),
        "in_review": StatusMeaning.IN_REVIEW,
    }
    if request.htmx:
        return render(request, "documents/index.html#register", context)
    return render(request, "documents/index.html", context)


def _kpis(user, queryset, today) -> list[dict]:
    counts = document_counts_by_meaning(queryset=queryset)
    approved = counts.get(StatusMeaning.APPROVED, 0) + counts.get(
        StatusMeaning.APPROVED_AS_NOTED, 0
    )
    overdue = document_list(user=user, overdue=True, today=today).count()
    return [
        {"label": "Documents (filtered)", "value": sum(counts.values()), "colour": ""},
        {"label": "In review", "value": counts.get(StatusMeaning.IN_REVIEW, 0), "colour": "amber"},
        {"label": "Overdue reviews (all)", "value": overdue, "colour": "red" if overdue else ""},
        {"label": "Approved", "value": approved, "colour": "green"},
        {
            "label": "Revise / rejected",
            "value": counts.get(StatusMeaning.REVISE_RESUBMIT, 0)
            + counts.get(StatusMeaning.REJECTED, 0),
            "colour": "amber",
        },
        {"label": "Unknown status code", "value": counts.get("unknown", 0), "colour": "red"},
    ]


@role_required(*READ_ROLES)
def detail(request, document_id: int):
    try:
        document = document_get(user=request.user, document_id=document_id)
    except NotFoundError as exc:
        raise Http404(str(exc)) from exc
    context = {
        "document": document,
        "revisions": document.revisions.select_related("superseded_by").order_by("-created_at"),
        "history": document.status_changes.select_related("revision", "actor")[:200],
        "events": document.events.select_related("revision")[:100],
        "transmittals": document.transmittals.select_related("transmittal", "revision"),
        "today": timezone.now().date(),
        "overdue": document.status_meaning == StatusMeaning.IN_REVIEW
        and document.review_due_on is not None
        and document.review_due_on < timezone.now().date(),
    }
    return render(request, "documents/detail.html", context)


@role_required(*READ_ROLES)
def transmittals(request):
    page = keyset_paginate(transmittal_list(user=request.user), after=request.GET.get("after"))
    return render(
        request,
        "documents/transmittals.html",
        {"page": page, "can_create": has_role(request.user, INTEGRATION_ADMIN)},
    )


@role_required(INTEGRATION_ADMIN)
def transmittal_new(request):
    projects = list(project_list(user=request.user))
    documents = document_list(user=request.user).order_by("project__code", "number")
    form = TransmittalForm(request.POST or None, projects=projects, documents=documents)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        project = next((p for p in projects if p.pk == data["project"]), None)
        try:
            transmittal = transmittal_create(
                project=project,
                actor=request.user,
                number=data["number"],
                subject=data["subject"],
                purpose=data["purpose"],
                to_party=data["to_party"],
                from_party=data["from_party"],
                due_on=data["due_on"],
                documents=list(data["documents"]),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Transmittal {transmittal.number} created as a draft.")
            return redirect("documents:transmittal_detail", transmittal_id=transmittal.pk)
    return render(request, "documents/transmittal_form.html", {"form": form})


@role_required(*READ_ROLES)
def transmittal_detail(request, transmittal_id: int):
    try:
        transmittal = transmittal_get(user=request.user, transmittal_id=transmittal_id)
    except NotFoundError as exc:
        raise Http404(str(exc)) from exc
    allowed = sorted(TRANSMITTAL_TRANSITIONS.get(transmittal.status, set()))
    return render(
        request,
        "documents/transmittal_detail.html",
        {
            "transmittal": transmittal,
            "items": transmittal.items.select_related("document", "revision"),
            "next_statuses": [(status, TransmittalStatus(status).label) for status in allowed]
            if has_role(request.user, INTEGRATION_ADMIN)
            else [],
        },
    )


@require_POST
@role_required(INTEGRATION_ADMIN)
def transmittal_move(request, transmittal_id: int):
    try:
        transmittal = transmittal_get(user=request.user, transmittal_id=transmittal_id)
    except NotFoundError as exc:
        raise Http404(str(exc)) from exc
    try:
        transmittal_transition(
            transmittal=transmittal, actor=request.user, to_status=request.POST.get("status", "")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"{transmittal.number} is now {transmittal.get_status_display()}."
        )
    return redirect("documents:transmittal_detail", transmittal_id=transmittal.pk)


@role_required(*READ_ROLES)
def settings_view(request):
    """Which status set, response table and review period each project uses."""
    projects = list(project_list(user=request.user))
    can_edit = has_role(request.user, INTEGRATION_ADMIN)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Only integration admins change document settings.")
        project = next((p for p in projects if str(p.pk) == request.POST.get("project")), None)
        if project is None:
            raise Http404("No such project.")
        form = ProjectDocumentSettingsForm(request.POST, prefix=f"p{project.pk}")
        if form.is_valid():
            try:
                project_document_settings_update(
                    project=project, actor=request.user, **form.cleaned_data
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"Document settings of {project.code} saved.")
        else:
            messages.error(request, f"Not saved: {form.errors.as_text()}")
        return redirect("documents:settings")
    rows = []
    for project in projects:
        current = project_document_settings_get(project=project)
        form = ProjectDocumentSettingsForm(
            prefix=f"p{project.pk}",
            initial={
                "status_set": current.status_set_id,
                "response_set": current.response_set_id,
                "review_days": current.review_days,
            },
        )
        # The row's inputs belong to a form outside the table row (HTML forbids a form there).
        for field in form.fields.values():
            field.widget.attrs["form"] = f"settings-p{project.pk}"
        rows.append({"project": project, "settings": current, "form": form})
    return render(
        request,
        "documents/settings.html",
        {"rows": rows, "can_edit": can_edit, "status_sets": status_set_list()},
    )


# --- RFIs and potential changes --------------------------------------------------------------
RFI_READ_ROLES = (PMO, FINANCE, INTEGRATION_ADMIN)
CHANGE_ROLES = (FINANCE, INTEGRATION_ADMIN)


@role_required(*RFI_READ_ROLES)
def rfis(request):
    """RFIs and issues of the reader's projects: ball in court, due date, impact flags and the
    potential change a cost impact opened."""
    from apps.documents.selectors import rfi_list

    impact = request.GET.get("impact", "")
    context = {
        "rfis": rfi_list(user=request.user, impact=impact)[:500],
        "impact": impact,
        "today": timezone.now().date(),
        "can_raise": has_role(request.user, *CHANGE_ROLES),
    }
    return render(request, "documents/rfis.html", context)


@role_required(*CHANGE_ROLES)
@require_POST
def rfi_change_order(request, document_id: int):
    """Raise the draft owner change order of an RFI's potential change (one line)."""
    from apps.documents.models import PotentialChange
    from apps.documents.rfis import potential_change_raise_change_order

    try:
        document = document_get(user=request.user, document_id=document_id)
    except NotFoundError as exc:
        raise Http404(str(exc)) from exc
    change = PotentialChange.objects.filter(rfi__document=document).first()
    if change is None:
        raise Http404("This RFI has no potential change.")
    try:
        change_order = potential_change_raise_change_order(
            potential_change=change,
            actor=request.user,
            lines=[
                {
                    "phase": request.POST.get("phase", ""),
                    "cost_code": request.POST.get("cost_code", ""),
                    "amount_delta": request.POST.get("amount", ""),
                }
            ],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Draft change order {change_order.number} raised.")
    return redirect("documents:rfis")
