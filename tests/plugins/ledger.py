"""pytest fixtures for the ledger work (registered in tests/conftest.py).

For other areas:
- `webhook_headers(secret, body, msg_id=None, timestamp=None)` (re-exported from
  apps.ledger.signatures) signs a body per Standard Webhooks;
- `system_factory(code=..., kind=..., secrets=[...], enabled=True, connector="")` makes a System;
- `inbound_system` is a scheduling system "sched" whose signing secret is `INBOUND_SECRET`;
- `signed_post(client, system_code, body, secret=INBOUND_SECRET, ...)` posts a signed event to
  /api/v1/inbound/<system_code>/events with a Django test client and returns the response.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from apps.connectors.models import System
from apps.ledger.signatures import webhook_headers  # noqa: F401 (re-exported for other tests)

INBOUND_SECRET = (
    "whsec_dGVzdC1pbmJvdW5kLXNpZ25pbmctc2VjcmV0LTAx"  # "test-inbound-signing-secret-01"
)


def secret_entries(*secrets: str, expires_at: str | None = None) -> list[dict]:
    now = datetime.now(UTC).isoformat()
    return [
        {"id": f"key{i + 1}", "secret": s, "created_at": now, "expires_at": expires_at}
        for i, s in enumerate(secrets)
    ]


@pytest.fixture(autouse=True)
def _ledger_caches_cleared(settings):
    """The ingest caches systems and projects in-process; every test starts from the database.
    The on-commit enqueue is off (it would follow REDIS_URL and leave tasks nobody runs in the
    broker); tests that exercise it turn it on."""
    from apps.ledger import ingest

    settings.LEDGER_ENQUEUE_ON_COMMIT = False
    ingest.ingest_caches_clear()
    yield
    ingest.ingest_caches_clear()


@pytest.fixture
def system_factory(db):
    def make(
        code: str = "sched",
        *,
        kind: str = "scheduling",
        name: str | None = None,
        secrets: list[str] | tuple[str, ...] = (INBOUND_SECRET,),
        enabled: bool = True,
        # The generic connector (Standard Webhooks + the hub's envelope) unless a test names
        # another: a kind's own connector may expect its platform's payloads.
        connector: str = "generic",
        base_url: str = "",
        credentials: dict | None = None,
    ) -> System:
        return System.objects.create(
            code=code,
            name=name or code.upper(),
            kind=kind,
            connector=connector,
            base_url=base_url,
            enabled=enabled,
            webhook_secrets=secret_entries(*secrets) if secrets else None,
            credentials=credentials,
        )

    return make


@pytest.fixture
def inbound_system(system_factory) -> System:
    return system_factory("sched")


@pytest.fixture
def odoo_system(system_factory) -> System:
    return system_factory("odoo-test", kind="odoo", connector="odoo", secrets=())


@pytest.fixture
def signed_post():
    def post(
        client,
        system_code: str,
        body,
        *,
        secret: str = INBOUND_SECRET,
        msg_id: str | None = None,
        timestamp: int | None = None,
        content_type: str = "application/json",
        extra_headers: dict | None = None,
        **kwargs,
    ):
        raw = body if isinstance(body, bytes | str) else json.dumps(body)
        raw = raw.encode("utf-8") if isinstance(raw, str) else raw
        headers = webhook_headers(secret, raw, msg_id=msg_id, timestamp=timestamp)
        headers.update(extra_headers or {})
        return client.post(
            f"/api/v1/inbound/{system_code}/events",
            data=raw,
            content_type=content_type,
            headers=headers,
            **kwargs,
        )

    return post
