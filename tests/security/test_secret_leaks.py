"""Secrets never appear in pages, API output, exports or logs (issue 12): a system with
credentials and a signing secret plus an API token, then every GET route as the admin and a signed
ingest and a delivery attempt with logs captured at DEBUG."""

from __future__ import annotations

import json
import logging
import socket

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.services import api_token_create
from apps.connectors.registry import connector_for
from apps.connectors.services import system_create, system_secret_generate
from apps.ledger.signatures import webhook_headers

from .conftest import OWN_PROJECT, all_routes
from .test_rbac_matrix import _url

PASSWORD = "pw-Leak-Canary-7f3a91"
API_KEY = "key-Leak-Canary-c0ffee42"


def _closed_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again on exit: connections are refused


@pytest.fixture
def secret_world(seeded_world, db):
    ada = seeded_world["ada"]
    odoo = system_create(
        actor=ada,
        code="leak-odoo",
        name="Leak canary Odoo",
        kind="odoo",
        connector="odoo",
        base_url=f"http://127.0.0.1:{_closed_loopback_port()}",
        credentials={"database": "canary", "username": "hub", "password": PASSWORD},
    )
    inbound = system_create(
        actor=ada,
        code="leak-sched",
        name="Leak canary scheduler",
        kind="procurement_portal",
        connector="generic",  # accepts any event type, so the ingest is accepted
        credentials={"api_key": API_KEY},
    )
    webhook_secret, _ = system_secret_generate(actor=ada, system=inbound)
    _, raw_token = api_token_create(user=ada, name="leak canary")
    secrets = {
        "password": PASSWORD,
        "api key": API_KEY,
        "webhook secret": webhook_secret,
        "api token": raw_token,
    }
    assert webhook_secret.startswith("whsec_") and raw_token.startswith("ihub_")
    return {"ada": ada, "odoo": odoo, "inbound": inbound, "secrets": secrets}


def _leaks(text: str, secrets: dict[str, str]) -> list[str]:
    found = []
    for label, secret in secrets.items():
        # The whsec_ body is base64: look for the whole value and for the part after the prefix.
        needles = {secret, secret.split("_", 1)[-1]}
        if any(needle and needle in text for needle in needles):
            found.append(label)
    return found


def test_no_secret_in_any_page_api_response_or_export(secret_world):
    client = Client()
    client.force_login(secret_world["ada"])
    secrets = secret_world["secrets"]
    urls = set()
    for route in all_routes():
        if route.name in (
            "accounts:logout",
            "ledger-api:inbound-events",
            "ledger-api:inbound-files",
            "ledger-api:inbound-batches",
        ):
            continue
        urls.add(_url(route, OWN_PROJECT))
    for code in ("leak-odoo", "leak-sched"):
        urls.add(reverse("connectors:detail", kwargs={"code": code}))
        urls.add(reverse("connectors-api:system-detail", kwargs={"code": code}))
        urls.add(reverse("connectors-api:system-secrets", kwargs={"code": code}))
        urls.add(reverse("sync:delivery_edit", kwargs={"code": code}))
    leaks, checked = [], 0
    for url in sorted(urls):
        response = client.get(url)
        if response.status_code != 200:
            continue
        body = b"".join(response) if response.streaming else response.content
        checked += 1
        found = _leaks(body.decode("utf-8", errors="replace"), secrets)
        if found:
            leaks.append(f"{url}: {', '.join(found)}")
    assert checked > 100, f"only {checked} pages answered 200: the scan would prove little"
    assert not leaks, "secrets shown: " + "; ".join(leaks)


def test_no_secret_in_logs_of_ingest_token_use_and_delivery_attempt(secret_world, caplog):
    secrets = secret_world["secrets"]
    body = json.dumps(
        {
            "type": "milestone.slipped",
            "id": "leak-evt-1",
            "project": OWN_PROJECT,
            "timestamp": "2026-03-01T08:00:00Z",
            "data": {"activity_id": "A1000", "slip_days": 3},
        }
    ).encode()
    with caplog.at_level(logging.DEBUG):
        client = Client()
        accepted = client.post(
            "/api/v1/inbound/leak-sched/events",
            data=body,
            content_type="application/json",
            headers=webhook_headers(secrets["webhook secret"], body),
        )
        assert accepted.status_code in (200, 201, 202), accepted.content
        refused = client.post(
            "/api/v1/inbound/leak-sched/events",
            data=body,
            content_type="application/json",
            headers=webhook_headers("whsec_" + "A" * 32, body),
        )
        assert refused.status_code == 401, refused.content
        me = client.get(
            "/api/v1/accounts/me/", headers={"Authorization": f"Bearer {secrets['api token']}"}
        )
        assert me.status_code == 200
        bad_token = client.get(
            "/api/v1/accounts/me/", headers={"Authorization": f"Bearer {secrets['api token']}x"}
        )
        assert bad_token.status_code == 401
        connector = connector_for(secret_world["odoo"])
        try:
            health = connector.health()
        finally:
            connector.close()
        assert not health.ok  # the port is closed: the attempt really failed (and was logged)
    assert caplog.records, "nothing was logged: the scan would prove nothing"
    text = "\n".join(
        f"{record.getMessage()} {record.args!r} {record.__dict__!r}" for record in caplog.records
    )
    assert not _leaks(text + caplog.text, secrets)
