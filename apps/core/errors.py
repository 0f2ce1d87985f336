"""The one application error type (CONVENTIONS: errors.py; "exceptions" is the exception queue)."""

from __future__ import annotations


class ApplicationError(Exception):
    """A business or input error with a stable code, shown to the caller as the one error shape."""

    status_code = 400

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        details: dict | None = None,
        status_code: int | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details or {}
        if status_code is not None:
            self.status_code = status_code


class NotFoundError(ApplicationError):
    status_code = 404

    def __init__(self, message: str = "Not found.", **kwargs):
        kwargs.setdefault("code", "not_found")
        super().__init__(message, **kwargs)


class PermissionDeniedError(ApplicationError):
    status_code = 403

    def __init__(self, message: str = "You do not have permission to do this.", **kwargs):
        kwargs.setdefault("code", "permission_denied")
        super().__init__(message, **kwargs)
