"""/metrics in the Prometheus text format: the dashboard's figures, from the same selectors."""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from apps.monitoring import selectors

_WINDOW = timedelta(hours=1)


class HubCollector:
    def collect(self):
        labels = ["system", "domain", "direction"]
        families = {
            name: GaugeMetricFamily(f"ihub_{name}_last_hour", help_text, labels=labels)
            for name, help_text in [
                ("received", "Transactions received in the last hour"),
                ("delivered", "Transactions delivered in the last hour"),
                ("failed", "Transactions failed in the last hour"),
                ("dead", "Transactions dead-lettered in the last hour"),
                ("duplicates", "Duplicates in the last hour"),
                ("retries", "Retries scheduled in the last hour"),
            ]
        }
        latency = GaugeMetricFamily(
            "ihub_latency_ms_last_hour",
            "Received → delivered latency percentile (ms, histogram bucket bound)",
            labels=[*labels, "quantile"],
        )
        for row in selectors.health_by_system_domain(window=_WINDOW):
            key = [row["system"], row["domain"], row["direction"]]
            for name, family in families.items():
                family.add_metric(key, row[name])
            for quantile, field in (("0.5", "p50_ms"), ("0.95", "p95_ms"), ("0.99", "p99_ms")):
                if row[field] is not None:
                    latency.add_metric([*key, quantile], row[field])
        yield from families.values()
        yield latency
        depth = GaugeMetricFamily(
            "ihub_queue_depth", "Open transactions", labels=["system", "direction"]
        )
        age = GaugeMetricFamily(
            "ihub_queue_oldest_age_seconds",
            "Oldest open transaction",
            labels=["system", "direction"],
        )
        for row in selectors.queue_state():
            depth.add_metric([row["system__code"], row["direction"]], row["depth"])
            age.add_metric([row["system__code"], row["direction"]], row["oldest_age_seconds"])
        yield depth
        yield age
        breaker = GaugeMetricFamily(
            "ihub_circuit_breaker_open",
            "1 when the breaker is not closed",
            labels=["system", "state"],
        )
        for row in selectors.breaker_states():
            breaker.add_metric([row.system.code, row.state], 0 if row.state == "closed" else 1)
        yield breaker
        quota = GaugeMetricFamily(
            "ihub_quota_use_ratio", "API calls this minute / quota", labels=["system"]
        )
        for row in selectors.quota_use():
            if row["limit"]:
                quota.add_metric([row["system"]], row["calls"] / row["limit"])
        yield quota
        exceptions = GaugeMetricFamily(
            "ihub_open_exceptions", "Active exception items", labels=["category"]
        )
        for row in selectors.open_exceptions_by_category():
            exceptions.add_metric([row["category"]], row["total"])
        yield exceptions
        alerts = GaugeMetricFamily("ihub_alerts_open", "Open alerts", labels=["rule", "severity"])
        for alert in selectors.alert_list(status="open"):
            alerts.add_metric([alert.rule.name, alert.rule.severity], 1)
        yield alerts


def _allowed(request) -> bool:
    token = settings.MONITORING_METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if (
        token
        and header.startswith("Bearer ")
        and hmac.compare_digest(header[7:].encode(), token.encode())
    ):
        return True
    return request.META.get("REMOTE_ADDR", "") in settings.MONITORING_METRICS_ALLOWED_IPS


@require_GET
def metrics(request):
    """Prometheus scrape endpoint (token or address restricted; 403 otherwise)."""
    if not _allowed(request):
        from apps.audit.services import audit_record

        audit_record(
            actor=None,
            action="monitoring.metrics.denied",
            detail={"remote_addr": request.META.get("REMOTE_ADDR", "")},
        )
        return HttpResponse("metrics: token or allowed address required\n", status=403)
    registry = CollectorRegistry()
    registry.register(HubCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
