from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from apps.audit.models import AuditEntry
from apps.monitoring.services import rollups_update

TOKEN = "scrape-token-for-tests"


@pytest.fixture
def metrics_token(settings):
    settings.MONITORING_METRICS_TOKEN = TOKEN
    settings.MONITORING_METRICS_ALLOWED_IPS = []
    return TOKEN


@pytest.mark.django_db
def test_metrics_parse_and_carry_the_dashboard_figures(
    client, metrics_token, system_factory, ledger_traffic
):
    sched = system_factory("sched")
    ledger_traffic(sched, "activity", ["delivered", "delivered", "failed", "open"])
    rollups_update(now=timezone.now() + timedelta(seconds=30))

    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.content.decode())
        for s in family.samples
    }
    key = (("direction", "inbound"), ("domain", "activity"), ("system", "sched"))
    assert samples[("ihub_received_last_hour", key)] == 4
    assert samples[("ihub_delivered_last_hour", key)] == 2
    assert samples[("ihub_failed_last_hour", key)] == 1
    assert samples[("ihub_queue_depth", (("direction", "inbound"), ("system", "sched")))] == 1


@pytest.mark.django_db
def test_metrics_refuse_without_token_and_audit_it(client, metrics_token):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert AuditEntry.objects.filter(action="monitoring.metrics.denied").count() == 2


@pytest.mark.django_db
def test_metrics_answer_a_listed_address(client, settings):
    settings.MONITORING_METRICS_TOKEN = ""
    settings.MONITORING_METRICS_ALLOWED_IPS = ["127.0.0.1"]
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.9").status_code == 403


@pytest.mark.django_db
def test_metrics_closed_when_nothing_is_configured(client, settings):
    settings.MONITORING_METRICS_TOKEN = ""
    settings.MONITORING_METRICS_ALLOWED_IPS = []
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403
