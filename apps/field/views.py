"""Field operations pages: earned value per cost code of a project, its early warnings, the
latest field events and the hourly rates that cost them."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render

from apps.accounts.roles import FINANCE, INTEGRATION_ADMIN, PMO, has_role, role_required
from apps.core.errors import ApplicationError, NotFoundError
from apps.field import charts
from apps.field.forms import FieldRateForm
from apps.field.models import FieldRate
from apps.field.selectors import earned_value_by_cost_code, earned_value_totals, field_event_list
from apps.field.services import field_rate_set
from apps.projects.selectors import project_get, project_list

READ_ROLES = (PMO, FINANCE, INTEGRATION_ADMIN)
RATE_ROLES = (FINANCE, INTEGRATION_ADMIN)


@role_required(*READ_ROLES)
def index(request):
    """The projects the user sees; each links to its field page."""
    return render(request, "field/index.html", {"projects": project_list(user=request.user)})


@role_required(*READ_ROLES)
def project_field(request, project_code: str):
    try:
        project = project_get(user=request.user, code=project_code)
    except NotFoundError as exc:
        raise Http404(exc.message) from None
    can_set_rates = has_role(request.user, *RATE_ROLES)
    if request.method == "POST":
        if not can_set_rates:
            raise PermissionDenied("Only finance and admins set field rates.")
        form = FieldRateForm(request.POST)
        if form.is_valid():
            try:
                field_rate_set(
                    project=project,
                    kind=form.cleaned_data["kind"],
                    key=form.cleaned_data["key"],
                    rate=str(form.cleaned_data["rate"]),
                    currency=project.currency,
                    actor=request.user,
                )
                messages.success(request, "Rate saved. Replay the held field events to cost them.")
            except ApplicationError as exc:
                messages.error(request, exc.message)
        else:
            messages.error(request, "The rate is incomplete.")
        return redirect("field:project", project_code=project.code)
    rows = earned_value_by_cost_code(project=project)
    figure = charts.earned_value_figure(rows)
    return render(
        request,
        "field/project.html",
        {
            "project": project,
            "rows": rows,
            "totals": earned_value_totals(rows=rows),
            "warnings": [row for row in rows if row.warning],
            "events": field_event_list(project=project)[:50],
            "rates": FieldRate.objects.filter(project__in=[project]).order_by("kind", "key"),
            "company_rates": FieldRate.objects.filter(project__isnull=True).order_by("kind", "key"),
            "rate_form": FieldRateForm() if can_set_rates else None,
            "figure_json": json.dumps(figure).replace("<", "\\u003c"),
        },
    )
