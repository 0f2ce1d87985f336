import re
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.models import WorkerHeartbeat
from apps.core.services import worker_heartbeat_record


def test_healthz_needs_no_login_and_no_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_names_the_missing_worker_heartbeat(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["worker"]
    assert "no worker heartbeat" in body["checks"]["worker"]["detail"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["migrations"]["ok"] is True


@pytest.mark.django_db
def test_readyz_ready_with_recent_heartbeat(client):
    worker_heartbeat_record(name="worker-1")
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ready"


@pytest.mark.django_db
def test_readyz_reports_stale_heartbeat(client):
    WorkerHeartbeat.objects.create(name="w", seen_at=timezone.now() - timedelta(minutes=10))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "worker" in response.json()["failing"]
    detail = response.json()["checks"]["worker"]["detail"]
    seconds = int(re.search(r"heartbeat (\d+)s ago", detail).group(1))
    assert seconds >= 600


@pytest.mark.django_db
def test_readyz_names_failing_broker(client, monkeypatch):
    from apps.core import health

    worker_heartbeat_record(name="worker-1")

    def broken():
        return False, "broker unreachable: ConnectionError"

    monkeypatch.setitem(health.CHECKS, "broker", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]
