"""Workflow pages: the five workflows with their counts, and one workflow's instances with the
step each is at (project-scoped; thin: the selectors read)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from apps.accounts.roles import ALL_ROLES, role_required
from apps.projects.selectors import project_list
from apps.workflows.definitions import workflow_definition
from apps.workflows.selectors import workflow_instances, workflow_summary


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
        {"workflow": workflow, "rows": rows, "projects": projects, "selected": selected},
    )
