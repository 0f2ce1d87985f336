from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.accounts.roles import home_url_for
from apps.core.health import readiness_run


@require_GET
@never_cache
def healthz(request):
    """Liveness: the process answers. No database, no auth."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request):
    """Readiness: 503 naming the failing check, so an orchestrator and a person know why."""
    ok, checks = readiness_run()
    failing = [name for name, result in checks.items() if not result["ok"]]
    body = {"status": "ready" if ok else "not_ready", "checks": checks}
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=200 if ok else 503)


@login_required
def home(request):
    """Send each role to its main screen."""
    target = home_url_for(request.user)
    if target:
        return redirect(target)
    return render(request, "core/home.html")
