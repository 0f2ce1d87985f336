"""Odoo's exception classes as an external client sees them.

Each carries the dotted name Odoo serializes (`data.name` in JSON-RPC), the XML-RPC v2 fault code,
the legacy XML-RPC fault code prefix and the JSON-2 HTTP status (reference §1.1, §1.2, §1.4).
"""

from __future__ import annotations


class OdooError(Exception):
    """Base of everything the simulated ORM raises on purpose."""

    odoo_name = "odoo.exceptions.UserError"
    xmlrpc_fault_code = 2  # UserError family
    legacy_fault_kind = "UserError"
    http_status = 422

    def __init__(self, message: str, *args):
        super().__init__(message, *args)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UserError(OdooError):
    pass


class ValidationError(UserError):
    odoo_name = "odoo.exceptions.ValidationError"
    legacy_fault_kind = "ValidationError"


class MissingError(UserError):
    odoo_name = "odoo.exceptions.MissingError"
    legacy_fault_kind = "MissingError"
    http_status = 404


class AccessError(UserError):
    odoo_name = "odoo.exceptions.AccessError"
    xmlrpc_fault_code = 4
    legacy_fault_kind = "AccessError"
    http_status = 403


class AccessDenied(OdooError):
    odoo_name = "odoo.exceptions.AccessDenied"
    xmlrpc_fault_code = 3
    legacy_fault_kind = "AccessDenied"
    http_status = 403

    def __init__(self, message: str = "Access Denied", *args):
        super().__init__(message, *args)


class SessionExpired(OdooError):
    odoo_name = "odoo.http.SessionExpiredException"
    xmlrpc_fault_code = 1
    legacy_fault_kind = ""
    http_status = 403

    def __init__(self, message: str = "Session expired", *args):
        super().__init__(message, *args)


class HttpError(Exception):
    """A werkzeug HTTPException as the JSON-2 dispatcher reports it (status + description)."""

    def __init__(self, status: int, description: str):
        super().__init__(description, status)
        self.status = status
        self.description = description

    @property
    def odoo_name(self) -> str:
        return f"werkzeug.exceptions.{WERKZEUG_NAMES.get(self.status, 'HTTPException')}"


WERKZEUG_NAMES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    415: "UnsupportedMediaType",
    422: "UnprocessableEntity",
    429: "TooManyRequests",
    500: "InternalServerError",
    503: "ServiceUnavailable",
}


def exception_name(exc: BaseException) -> str:
    """The dotted name Odoo's serialize_exception gives: odoo classes keep theirs, builtins get
    `builtins.<Name>` like in Python 3 Odoo."""
    name = getattr(exc, "odoo_name", None)
    if name:
        return name
    module = type(exc).__module__
    return f"{module}.{type(exc).__name__}"
