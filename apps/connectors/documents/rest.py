"""The follow-up GET both document connectors make, with the platform's HTTP answers mapped to
the hub's typed connector errors (permanent: don't retry; transient: retry with backoff)."""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx

from apps.connectors.errors import PermanentError, TransientError

# 408 and 429 are the remote telling us to come back later; 425 ("too early") likewise.
_TRANSIENT_4XX = {408, 425, 429}


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as delta-seconds or an HTTP-date, in seconds from now (None if absent/bad)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def get_json(
    client: httpx.Client, url: str, *, params: dict | None = None, remote: str
) -> dict[str, Any]:
    """GET a JSON resource; raise TransientError/PermanentError with the remote's reason."""
    try:
        response = client.get(url, params=params)
    except httpx.TimeoutException as exc:
        raise TransientError(f"{remote} did not answer in time: {exc}", code="timeout") from exc
    except httpx.TransportError as exc:
        raise TransientError(
            f"{remote} is unreachable: {exc.__class__.__name__}: {exc}", code="connection_error"
        ) from exc

    status = response.status_code
    if status >= 500 or status in _TRANSIENT_4XX:
        raise TransientError(
            f"{remote} answered HTTP {status} for {url}: {_error_text(response)}",
            code="rate_limited" if status == 429 else "remote_unavailable",
            retry_after=retry_after_seconds(response.headers.get("retry-after")),
            status_code=status,
        )
    if status >= 400:
        code = {401: "unauthorised", 403: "forbidden", 404: "not_found"}.get(status, "bad_request")
        raise PermanentError(
            f"{remote} answered HTTP {status} for {url}: {_error_text(response)}",
            code=code,
            status_code=status,
        )
    try:
        body = response.json()
    except ValueError as exc:
        raise PermanentError(
            f"{remote} sent a body that is not JSON for {url}", code="invalid_response"
        ) from exc
    if not isinstance(body, dict):
        raise PermanentError(
            f"{remote} sent a JSON {type(body).__name__}, expected an object, for {url}",
            code="invalid_response",
        )
    return body


def _error_text(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:300] if text else response.reason_phrase
