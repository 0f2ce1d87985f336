"""Odoo failures turned into the hub's two kinds: PermanentError (don't retry) or TransientError.

Odoo reports errors three ways (reference §1.1, §1.4):
- JSON-RPC: HTTP 200 with an `error` object whose `data.name` is the Python class
  ("odoo.exceptions.ValidationError"); `error.code` means nothing except 100 (session expired) and
  404 (route not found).
- JSON-2: a real HTTP status (401, 403, 404, 409, 422, 500) with `{name, message, ...}` as body.
- Transport: timeouts, refused connections, proxies answering 429/502/503/504.

The class name decides first (it is the most precise signal), the HTTP status second. The remote
name and message are kept on the error: reviewers read them in the exception queue.
"""

from __future__ import annotations

import email.utils
import time
from datetime import UTC, datetime

import httpx

from apps.connectors.errors import ConnectorError, PermanentError, TransientError

MESSAGE_LIMIT = 2000

# Odoo business errors: the request itself is wrong, or the user may not do it. Retrying the
# same call cannot succeed, a person has to act (exception item).
_PERMANENT_NAMES: dict[str, str] = {
    "odoo.exceptions.AccessDenied": "access_denied",
    "odoo.exceptions.AccessError": "access_error",
    "odoo.exceptions.ValidationError": "validation_error",
    "odoo.exceptions.MissingError": "missing_record",
    "odoo.exceptions.UserError": "user_error",
    "odoo.exceptions.RedirectWarning": "user_error",
    "odoo.exceptions.Warning": "user_error",
    "odoo.exceptions.except_orm": "user_error",
    "werkzeug.exceptions.Unauthorized": "auth_failed",
    "werkzeug.exceptions.Forbidden": "access_denied",
    "werkzeug.exceptions.NotFound": "not_found",
    "werkzeug.exceptions.BadRequest": "bad_request",
    "werkzeug.exceptions.UnprocessableEntity": "bad_request",
    "werkzeug.exceptions.MethodNotAllowed": "bad_request",
    # Programming errors on the call itself: an unknown method, wrong arguments, an unknown
    # model or field. The same call fails the same way every time.
    "builtins.AttributeError": "method_not_found",
    "exceptions.AttributeError": "method_not_found",
    "builtins.TypeError": "bad_request",
    "builtins.KeyError": "bad_request",
    "builtins.ValueError": "bad_request",
    "builtins.NameError": "method_not_found",
}

# Concurrency failures: Odoo already retried them five times inside the request
# (odoo/service/model.py `retrying`) and gave up; a later attempt normally succeeds.
_TRANSIENT_NAME_PARTS = (
    "SerializationFailure",
    "TransactionRollbackError",
    "DeadlockDetected",
    "LockNotAvailable",
    "odoo.exceptions.LockError",
    "OperationalError",
    "InterfaceError",
    "ConcurrencyError",
)
_TRANSIENT_MESSAGE_PARTS = (
    "could not serialize access",
    "deadlock detected",
    "could not obtain lock",
    "concurrent update",
)


def _clip(text: str) -> str:
    text = (text or "").strip()
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def retry_after_parse(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:  # RFC 9110 dates are GMT; a naive one is read as UTC
            when = when.replace(tzinfo=UTC)
        current = now if now is not None else time.time()
        return max(0.0, when.timestamp() - current)
    if seconds != seconds or seconds < 0:  # NaN or negative: ignore the header
        return None
    return seconds


def _transient_code(name: str, lowered_message: str) -> str:
    if any(p in name for p in ("Serialization", "TransactionRollback", "Deadlock")) or any(
        p in lowered_message for p in ("serializ", "deadlock", "concurrent update")
    ):
        return "serialization_failure"
    if "Lock" in name or "lock" in lowered_message:
        return "locked"
    return "database_unavailable"  # OperationalError / InterfaceError: Odoo lost its database


def error_from_odoo(
    *,
    name: str,
    message: str,
    status_code: int | None = None,
    retry_after: float | None = None,
) -> ConnectorError:
    """Classify an error Odoo reported (JSON-RPC error object or JSON-2 error body)."""
    name = name or ""
    message = _clip(message) or "Odoo reported an error without a message"
    lowered = message.lower()
    if any(part in name for part in _TRANSIENT_NAME_PARTS) or any(
        part in lowered for part in _TRANSIENT_MESSAGE_PARTS
    ):
        code = _transient_code(name, lowered)
        return TransientError(
            message, code=code, remote_name=name, retry_after=retry_after, status_code=status_code
        )
    if name in _PERMANENT_NAMES:
        return PermanentError(
            message, code=_PERMANENT_NAMES[name], remote_name=name, status_code=status_code
        )
    if name == "odoo.http.SessionExpiredException":
        # Only the session routes expire; /jsonrpc and JSON-2 are stateless. Authenticate again.
        return TransientError(
            message, code="session_expired", remote_name=name, status_code=status_code
        )
    if status_code is not None:
        return error_from_status(
            status_code, message=message, remote_name=name, retry_after=retry_after
        )
    # An unknown server-side failure reported over JSON-RPC (the equivalent of a JSON-2 500):
    # retried with backoff, dead-lettered with an exception item if it keeps failing.
    return TransientError(message, code="server_error", remote_name=name)


def error_from_status(
    status_code: int,
    *,
    message: str,
    remote_name: str = "",
    retry_after: float | None = None,
) -> ConnectorError:
    """Classify by HTTP status alone (a proxy's answer, or a body without a known name)."""
    message = _clip(message) or f"HTTP {status_code}"
    kwargs = {"remote_name": remote_name, "status_code": status_code}
    if status_code == 429:
        return TransientError(message, code="rate_limited", retry_after=retry_after, **kwargs)
    if status_code == 408:
        return TransientError(message, code="timeout", retry_after=retry_after, **kwargs)
    if status_code == 409:
        # JSON-2 maps odoo.exceptions.LockError to 409: another transaction holds the row.
        return TransientError(message, code="locked", retry_after=retry_after, **kwargs)
    if status_code == 503:
        return TransientError(message, code="unavailable", retry_after=retry_after, **kwargs)
    if status_code >= 500:
        return TransientError(message, code="server_error", retry_after=retry_after, **kwargs)
    code = {
        400: "bad_request",
        401: "auth_failed",
        403: "access_denied",
        404: "not_found",
        405: "bad_request",
        413: "payload_too_large",
        422: "bad_request",
    }.get(status_code, "bad_request" if 400 <= status_code < 500 else "invalid_response")
    if 300 <= status_code < 400:
        # A redirect means the base URL is wrong (http → https, a login page): fix the System.
        message = f"Odoo answered with a redirect (HTTP {status_code}); check the base URL"
        code = "configuration_error"
    return PermanentError(message, code=code, **kwargs)


def error_from_transport(exc: httpx.HTTPError, *, url: str) -> TransientError:
    """A request that never got an answer: always worth another attempt later."""
    if isinstance(exc, httpx.TimeoutException):
        kind = type(exc).__name__  # ConnectTimeout / ReadTimeout / WriteTimeout / PoolTimeout
        return TransientError(f"Odoo did not answer in time ({kind}) at {url}", code="timeout")
    if isinstance(exc, httpx.ConnectError):
        return TransientError(f"Cannot connect to Odoo at {url}: {exc}", code="connection_error")
    return TransientError(
        f"Connection to Odoo at {url} failed ({type(exc).__name__}): {exc}",
        code="connection_error",
    )


def http_date(seconds_from_now: float) -> str:
    """An RFC 9110 HTTP-date (used by tests and the simulator side of the contract)."""
    when = datetime.fromtimestamp(time.time() + seconds_from_now, tz=UTC)
    return email.utils.format_datetime(when, usegmt=True)
