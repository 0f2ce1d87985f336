import json

from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.accounts.roles import INTEGRATION_ADMIN, role_required
from apps.connectors.selectors import system_list
from apps.core.health import readiness_run
from apps.monitoring import selectors
from apps.monitoring.forms import AlertRuleForm
from apps.monitoring.services import alert_rule_create


def _throughput_figure(series: list[dict]) -> dict:
    x = [row["bucket_start"].isoformat() for row in series]
    colours = {
        "received": "#1f5fae",
        "delivered": "#1e7d4f",
        "failed": "#c98a00",
        "dead": "#a4262c",
    }
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "name": name,
                "x": x,
                "y": [row[name] or 0 for row in series],
                "line": {"color": colour},
            }
            for name, colour in colours.items()
        ],
        "layout": {"height": 280, "margin": {"l": 40, "r": 10, "t": 10, "b": 40}},
    }


@role_required(INTEGRATION_ADMIN)
def index(request):
    """Integration health: readiness, systems, throughput and latency from rollups, queues,
    breakers, quotas, policies, exceptions and alerts; the live part refreshes via htmx."""
    window_key = request.GET.get("window", "1h")
    if window_key not in selectors.WINDOWS:
        window_key = "1h"
    window = selectors.WINDOWS[window_key]
    ready, checks = readiness_run()
    series = selectors.throughput_series(window=window)
    context = {
        "ready": ready,
        "checks": checks,
        "systems": system_list(),
        "window_key": window_key,
        "windows": list(selectors.WINDOWS),
        "health_rows": selectors.health_by_system_domain(window=window),
        "queues": selectors.queue_state(),
        "breakers": selectors.breaker_states(),
        "quotas": selectors.quota_use(),
        "policies": selectors.policy_last_success(),
        "exceptions": selectors.open_exceptions_by_category(),
        "open_alerts": list(selectors.alert_list(status="open")[:50]),
        "throughput_json": json.dumps(_throughput_figure(series)),
    }
    if request.htmx:
        return render(request, "monitoring/index.html#health", context)
    return render(request, "monitoring/index.html", context)


@role_required(INTEGRATION_ADMIN)
@require_http_methods(["GET", "POST"])
def alert_rules(request):
    """Alert rules (create) and the alert history."""
    form = AlertRuleForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            fields = {k: v for k, v in form.cleaned_data.items() if k != "email_recipients_text"}
            alert_rule_create(
                actor=request.user,
                email_recipients=form.cleaned_data["email_recipients_text"],
                **fields,
            )
            return redirect("monitoring:alerts")
        status = 400
    else:
        status = 200
    context = {
        "form": form,
        "rules": selectors.alert_rule_list(),
        "alerts": selectors.alert_list().prefetch_related("events")[:100],
    }
    return render(request, "monitoring/alerts.html", context, status=status)
