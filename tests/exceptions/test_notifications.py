"""Alerts: throttled per problem family, digested hourly, SLA warning and breach escalation,
email through Django's backend and the webhook against a loopback receiver."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.utils import timezone

from apps.accounts.services import user_create
from apps.audit.models import AuditEntry
from apps.exceptions.models import ExceptionItem, ExceptionNotification
from apps.exceptions.notifications import (
    exceptions_sla_sweep,
    notifications_digest_send,
    notifications_send,
)
from apps.exceptions.services import exception_assign, exception_open

pytestmark = pytest.mark.django_db


class _Receiver(BaseHTTPRequestHandler):
    received: list
    status = 200

    def do_POST(self):  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length", 0))
        self.server.received.append(json.loads(self.rfile.read(length)))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook(settings):
    """A tiny webhook receiver on a free loopback port; EXCEPTIONS_WEBHOOK_URL points at it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received = []
    server.status = 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.EXCEPTIONS_WEBHOOK_URL = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def lead(db):
    from apps.accounts import roles

    user = user_create(username="lena", password="x-Pass-12345", roles=[roles.INTEGRATION_ADMIN])
    user.email, user.is_staff = "lena@example.com", True
    user.save()
    return user


def _failure(n, system=None):
    return exception_open(
        category="delivery_failed",
        title=f"Delivery {n} failed",
        reason="Odoo answered 503",
        trace_key=f"delivery:odoo:{n}",
        system=system,
    )


def test_hundred_failures_give_one_alert_and_one_digest(webhook, lead, sync_systems):
    for n in range(100):
        _failure(n, system=sync_systems.odoo)
    assert ExceptionNotification.objects.filter(status="pending").count() == 1
    assert ExceptionNotification.objects.filter(status="digest").count() == 99
    assert notifications_send() == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["lena@example.com"]
    assert len(webhook.received) == 1 and "Delivery 0 failed" in webhook.received[0]["text"]
    assert notifications_send() == 0  # nothing sent twice
    assert notifications_digest_send() == 99
    assert len(mail.outbox) == 2 and "99 held alert(s)" in mail.outbox[1].subject
    assert (
        len(webhook.received) == 2
        and "99 × opened:delivery_failed:odoo" in (webhook.received[1]["text"])
    )
    assert notifications_digest_send() == 0


def test_failed_webhook_keeps_the_alert_and_retries(webhook, lead):
    webhook.status = 500
    _failure(1)
    assert notifications_send() == 0
    row = ExceptionNotification.objects.get()
    assert row.status == "failed" and row.attempts == 1 and "500" in row.last_error
    webhook.status = 200
    assert notifications_send() == 1
    row.refresh_from_db()
    assert row.status == "sent" and row.attempts == 2


def test_assignment_alerts_the_assignee_and_bulk_assign_is_throttled(ada, fiona, school):
    fiona.email = "fiona@example.com"
    fiona.save()
    items = [
        exception_open(
            category="unknown_vendor",
            title=f"v{n}",
            reason="r",
            trace_key=f"v:{n}",
            project=school,
        )
        for n in range(5)
    ]
    ExceptionNotification.objects.all().delete()
    for item in items:
        exception_assign(item=item, actor=ada, assignee=fiona)
    rows = ExceptionNotification.objects.filter(kind="assigned")
    assert [r.status for r in rows] == ["pending"] + ["digest"] * 4
    notifications_send()
    assert (
        mail.outbox[0].to == ["fiona@example.com"] and "Assigned to you" in mail.outbox[0].subject
    )


def test_self_assignment_sends_nothing(fiona, school):
    item = exception_open(
        category="unknown_vendor", title="v", reason="r", trace_key="v:self", project=school
    )
    exception_assign(item=item, actor=fiona, assignee=fiona)
    assert not ExceptionNotification.objects.filter(kind="assigned").exists()


def test_sla_warning_then_breach_escalates_to_the_group_lead_once(lead, settings):
    settings.EXCEPTIONS_SLA_WARNING_HOURS = 2
    item = _failure(1)
    now = timezone.now()
    ExceptionItem.objects.filter(pk=item.pk).update(sla_due_at=now + timedelta(hours=1))
    assert exceptions_sla_sweep(now=now) == {"warned": 1, "escalated": 0}
    assert exceptions_sla_sweep(now=now) == {"warned": 0, "escalated": 0}
    later = now + timedelta(hours=2)
    assert exceptions_sla_sweep(now=later) == {"warned": 0, "escalated": 1}
    assert exceptions_sla_sweep(now=later) == {"warned": 0, "escalated": 0}
    item.refresh_from_db()
    assert item.escalated_at == later
    breach = ExceptionNotification.objects.get(kind="sla_breached")
    assert breach.recipients == ["lena@example.com"] and breach.status == "pending"
    assert item.comments.filter(body__startswith="SLA breached").exists()
    assert AuditEntry.objects.filter(action="exception.escalate").count() == 1


def test_resolved_items_are_not_escalated(lead, ada):
    item = _failure(1)
    ExceptionItem.objects.filter(pk=item.pk).update(
        sla_due_at=timezone.now() - timedelta(hours=1), status="resolved"
    )
    assert exceptions_sla_sweep() == {"warned": 0, "escalated": 0}


def test_group_leads_from_settings(settings, lead):
    from apps.exceptions.notifications import group_lead_emails

    settings.EXCEPTIONS_GROUP_LEADS = {"finance": ["boss@example.com"]}
    assert group_lead_emails("finance") == ["boss@example.com"]
    assert group_lead_emails("integration_admin") == ["lena@example.com"]
