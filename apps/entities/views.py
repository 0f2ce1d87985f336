"""Group pages: the entities, the group report (original and converted amounts), FX pull."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts.roles import FINANCE, INTEGRATION_ADMIN, PMO, has_role, role_required
from apps.connectors.models import System
from apps.core.errors import ApplicationError
from apps.entities.intercompany import RECONCILE_DOMAIN
from apps.entities.models import FxRate
from apps.entities.selectors import entity_list, group_currency, group_report, intercompany_list
from apps.entities.services import fx_rates_pull

READ_ROLES = (PMO, FINANCE, INTEGRATION_ADMIN)


def _day(value: str | None) -> date:
    try:
        return date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        return timezone.localdate()


@role_required(*READ_ROLES)
def index(request):
    on = _day(request.GET.get("on"))
    report = group_report(user=request.user, on=on)
    return render(
        request,
        "entities/index.html",
        {
            "entities": entity_list(user=request.user),
            "report": report,
            "rates": FxRate.objects.select_related("source_system").order_by(
                "currency", "-rate_date"
            )[:50],
            "group_currency": group_currency(),
            "odoo_systems": System.objects.filter(kind="odoo", enabled=True),
            "can_pull": has_role(request.user, INTEGRATION_ADMIN),
            "intercompany": intercompany_list(user=request.user),
        },
    )


@role_required(INTEGRATION_ADMIN)
@require_POST
def intercompany_reconcile_now(request):
    """Run the intercompany reconciliation as a job (a worker runs it; its page shows progress)."""
    from apps.audit.services import audit_record
    from apps.sync.choices import JobKind, JobTrigger
    from apps.sync.services import job_run_create
    from apps.sync.tasks import job_run_enqueue

    job = job_run_create(
        kind=JobKind.RECONCILE,
        name="Reconcile intercompany commitments",
        trigger=JobTrigger.MANUAL,
        requested_by=request.user,
        domain=RECONCILE_DOMAIN,
    )
    audit_record(actor=request.user, action="intercompany.reconcile_now", target=job, detail={})
    job_run_enqueue(job=job)
    messages.success(request, f"{job.name}: queued as job {job.pk}.")
    return redirect("jobs:detail", job_id=job.pk)


@role_required(INTEGRATION_ADMIN)
@require_POST
def fx_pull(request):
    system = System.objects.filter(id=request.POST.get("system") or 0, kind="odoo").first()
    if system is None:
        raise Http404("No such Odoo System.")
    try:
        counts = fx_rates_pull(system=system, actor=request.user)
        messages.success(
            request,
            f"Rates from {system.code}: {counts['created']} new, {counts['updated']} updated.",
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    except Exception as exc:  # a connector failure is shown, not a server error
        messages.error(request, f"Pull from {system.code} failed: {exc.__class__.__name__}.")
    return redirect("entities:index")
