from datetime import timedelta

import pytest
from django.utils import timezone

from apps.monitoring.models import AlertRule
from apps.monitoring.services import rollups_update


@pytest.mark.django_db
def test_health_page_shows_rollup_figures_and_drills_to_the_ledger(
    ada, client_for, system_factory, ledger_traffic
):
    sched = system_factory("sched")
    ledger_traffic(sched, "activity", ["delivered", "failed"])
    rollups_update(now=timezone.now() + timedelta(seconds=30))

    response = client_for(ada).get("/monitoring/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Integration health</h1>" in html
    assert 'data-plotly-figure="fig-throughput"' in html
    assert "/ledger/?system=sched&amp;domain=activity&amp;status=failed" in html
    assert "50.0" in html  # failure rate


@pytest.mark.django_db
def test_health_partial_for_htmx(ada, client_for):
    response = client_for(ada).get("/monitoring/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b'id="health"' in response.content
    assert b"<h1>" not in response.content


@pytest.mark.django_db
def test_health_page_is_admin_only(pat, client_for):
    assert client_for(pat).get("/monitoring/").status_code == 403


@pytest.mark.django_db
def test_admin_creates_an_alert_rule_audited(ada, client_for):
    from apps.audit.models import AuditEntry

    response = client_for(ada).post(
        "/monitoring/alerts/",
        {
            "name": "Unmatched invoices > 3",
            "metric": "unmatched_invoices",
            "condition": "gt",
            "threshold": "3",
            "window_minutes": "10",
            "severity": "warning",
            "repeat_minutes": "60",
            "enabled": "on",
            "email_recipients_text": "ap@example.com, pm@example.com",
        },
    )
    assert response.status_code == 302
    rule = AlertRule.objects.get()
    assert rule.email_recipients == ["ap@example.com", "pm@example.com"]
    assert AuditEntry.objects.filter(action="monitoring.alert_rule.create").exists()


@pytest.mark.django_db
def test_bad_alert_rule_is_refused_with_reasons(ada, client_for):
    response = client_for(ada).post(
        "/monitoring/alerts/",
        {"name": "x", "metric": "nope", "threshold": "1", "email_recipients_text": "not-an-email"},
    )
    assert response.status_code == 400
    assert not AlertRule.objects.exists()
