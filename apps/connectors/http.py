"""The one httpx client builder: timeouts, connection limits and an injectable transport."""

from __future__ import annotations

import httpx

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=5.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=10, keepalive_expiry=30)


def http_client_build(
    *,
    base_url: str = "",
    timeout: httpx.Timeout | float | None = None,
    limits: httpx.Limits | None = None,
    headers: dict[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """A pooled client. Tests inject `transport` (httpx.MockTransport) for edge cases."""
    return httpx.Client(
        base_url=base_url,
        timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
        limits=limits or DEFAULT_LIMITS,
        headers={"User-Agent": "integrationhub/1.0", **(headers or {})},
        transport=transport,
        follow_redirects=False,
    )
