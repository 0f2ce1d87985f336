"""Compliance view per project and vendor: documents, what is missing, the holds, and the
form to record a document (release is automatic)."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.roles import FINANCE, INTEGRATION_ADMIN, PMO, REQUESTER, role_required
from apps.accounts.selectors import user_can_see_project
from apps.compliance.choices import DocumentKind
from apps.compliance.models import CompliancePolicy
from apps.compliance.selectors import compliance_overview
from apps.compliance.services import compliance_document_record
from apps.core.errors import ApplicationError
from apps.procurement.models import Vendor
from apps.projects.models import Project

READ_ROLES = (FINANCE, PMO, REQUESTER, INTEGRATION_ADMIN)
WRITE_ROLES = (FINANCE, INTEGRATION_ADMIN)


def _project(request, value):
    if not value:
        return None
    project = Project.objects.filter(id=value).first() if str(value).isdigit() else None
    if project is None or not user_can_see_project(user=request.user, project_id=project.id):
        raise Http404("No such project.")
    return project


@role_required(*READ_ROLES)
def index(request):
    project = _project(request, request.GET.get("project"))
    vendor = Vendor.objects.filter(id=request.GET.get("vendor") or 0).first()
    return render(
        request,
        "compliance/index.html",
        {
            "rows": compliance_overview(user=request.user, project=project, vendor=vendor),
            "project": project,
            "vendor": vendor,
            "kinds": DocumentKind.choices,
            "policies": CompliancePolicy.objects.select_related("entity"),
        },
    )


def _date(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ApplicationError(f"{field}: give a date (YYYY-MM-DD).") from exc


@role_required(*WRITE_ROLES)
@require_POST
def document_record(request):
    vendor = Vendor.objects.filter(id=request.POST.get("vendor") or 0).first()
    if vendor is None:
        raise Http404("No such vendor.")
    try:
        project = _project(request, request.POST.get("project"))
        compliance_document_record(
            vendor=vendor,
            project=project,
            kind=request.POST.get("kind", ""),
            expires_on=_date(request.POST.get("expires_on", ""), "expires_on"),
            reference=request.POST.get("reference", ""),
            document_ref=getattr(request.FILES.get("file"), "name", "") or "",
            actor=request.user,
        )
        messages.success(request, f"Document recorded for {vendor.code}; holds re-checked.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("compliance:index")
