from django.shortcuts import render

from apps.accounts.roles import INTEGRATION_ADMIN, role_required
from apps.connectors.selectors import system_list
from apps.core.health import readiness_run


@role_required(INTEGRATION_ADMIN)
def index(request):
    """Integration health at a glance: readiness checks and every system's state."""
    ready, checks = readiness_run()
    context = {"ready": ready, "checks": checks, "systems": system_list()}
    if request.htmx:
        return render(request, "monitoring/index.html#health", context)
    return render(request, "monitoring/index.html", context)
