"""Workflow pages: the five workflows with their counts, and one workflow's instances with the
step each is at (project-scoped; thin: the selectors read)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.roles import ALL_ROLES, INTEGRATION_ADMIN, has_role, role_required
from apps.projects.selectors import project_get, project_list
from apps.workflows.definitions import workflow_definition
from apps.workflows.selectors import workflow_instances, workflow_summary
from apps.workflows.services import project_initiation_run


@role_required(*ALL_ROLES)
def index(request):
    """The five end-to-end workflows and how many instances each has, by status."""
    return render(request, "workflows/index.html", {"summary": workflow_summary(user=request.user)})


@role_required(*ALL_ROLES)
def detail(request, workflow_key: str):
    """One workflow's steps and its instances, each at its step, linked to its ledger lineage."""
    workflow = workflow_definition(workflow_key)
    if workflow is None:
        raise Http404("No such workflow.")
    projects = list(project_list(user=request.user).order_by("code"))
    project_id = request.GET.get("project") or ""
    selected = next((p for p in projects if str(p.id) == project_id), None)
    rows = workflow_instances(
        user=request.user, workflow=workflow, project_id=selected.id if selected else None
    )
    return render(
        request,
        "workflows/detail.html",
        {
            "workflow": workflow,
            "rows": rows,
            "projects": projects,
            "selected": selected,
            "can_initiate": workflow.key == "project_initiation"
            and has_role(request.user, INTEGRATION_ADMIN),
        },
    )


@role_required(INTEGRATION_ADMIN)
@require_POST
def project_initiate(request):
    """An admin starts project initiation for a project created in the hub."""
    project = project_get(user=request.user, code=(request.POST.get("project") or "").strip())
    instance = project_initiation_run(project=project, actor=request.user)
    messages.success(
        request,
        f"{project.code}: schedule settings and document workspace ready, "
        f"{instance.detail.get('odoo_writes', 0)} record(s) for Odoo queued, members notified.",
    )
    return redirect("workflows:detail", workflow_key="project_initiation")
