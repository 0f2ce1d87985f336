"""Connector errors say whether a failure is permanent (don't retry) or transient (retry)."""

from __future__ import annotations

from apps.core.errors import ApplicationError


class ConnectorError(Exception):
    """A failure talking to an external system."""

    permanent: bool = False

    def __init__(
        self,
        message: str,
        *,
        code: str = "connector_error",
        remote_name: str = "",
        retry_after: float | None = None,
        status_code: int | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        # The remote's own error name, e.g. "odoo.exceptions.ValidationError": shown to reviewers.
        self.remote_name = remote_name
        self.retry_after = retry_after
        self.status_code = status_code

    def __str__(self) -> str:
        prefix = f"{self.remote_name}: " if self.remote_name else ""
        return f"{prefix}{self.message}"


class TransientError(ConnectorError):
    """Worth retrying with backoff: timeouts, connection errors, 5xx, 429, serialization."""

    permanent = False


class PermanentError(ConnectorError):
    """Retrying cannot help: access denied, validation, missing record, bad request."""

    permanent = True


class InvalidEventError(ApplicationError, ValueError):
    """A delivery a connector cannot read (not the platform's format, ids missing): the ingest
    answers 400 `invalid_event` and records the refusal. A ValueError too, so an ingest that
    catches ValueError from `parse_event` refuses it the same way."""

    status_code = 400

    def __init__(self, message: str, **kwargs):
        kwargs.setdefault("code", "invalid_event")
        super().__init__(message, **kwargs)
