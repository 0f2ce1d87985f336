"""API plumbing shared by every app: the one error shape and pagination."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.errors import ApplicationError

logger = logging.getLogger(__name__)

_DRF_CODES = {
    drf_exceptions.NotAuthenticated: "not_authenticated",
    drf_exceptions.AuthenticationFailed: "authentication_failed",
    drf_exceptions.PermissionDenied: "permission_denied",
    drf_exceptions.NotFound: "not_found",
    drf_exceptions.MethodNotAllowed: "method_not_allowed",
    drf_exceptions.NotAcceptable: "not_acceptable",
    drf_exceptions.UnsupportedMediaType: "unsupported_media_type",
    drf_exceptions.Throttled: "throttled",
    drf_exceptions.ParseError: "malformed_request",
    drf_exceptions.ValidationError: "validation_error",
}


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    """The one error shape: {"error": {"code", "message", "details"}}."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(status_code: int, code: str, message: str, details: dict | None = None):
    """A plain Django JsonResponse in the error shape, for views outside DRF (ingest, health)."""
    return JsonResponse(error_body(code, message, details), status=status_code)


def _message_from_detail(detail) -> str:
    if isinstance(detail, list | tuple) and detail:
        return _message_from_detail(detail[0])
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        return f"{key}: {_message_from_detail(value)}"
    return str(detail)


def exception_handler(exc, context):
    """Map every error to the one shape; unknown errors become a 500 that is logged, not hidden."""
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status_code)
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = drf_exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled API error", exc_info=exc)
        return Response(
            error_body("server_error", "An unexpected error occurred; it has been logged."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    if isinstance(exc, drf_exceptions.ValidationError):
        details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        message = "The request is invalid: " + _message_from_detail(exc.detail)
    else:
        details = {}
        message = _message_from_detail(getattr(exc, "detail", str(exc)))
    headers = {k: v for k, v in response.items() if k in {"WWW-Authenticate", "Retry-After"}}
    response = Response(error_body(code, message, details), status=response.status_code)
    for key, value in headers.items():
        response[key] = value
    return response


# The largest primary key (bigint); id filters are bounded by it so an oversized number is a 400,
# not a database overflow.
MAX_ID = 2**63 - 1


class IdCursorPagination(CursorPagination):
    """Keyset (cursor) pagination on the primary key, newest first: stable at any table size."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


# The refusals every API operation can give, in the one error shape (documented so that clients
# and `make fuzz`'s status-code and schema conformance checks know them).
_API_ERROR_RESPONSES = {
    "400": "The request is invalid (validation_error, malformed_request, invalid cursor).",
    "401": "No or invalid credentials (not_authenticated, authentication_failed).",
    "403": "The caller's role or project does not allow it (permission_denied).",
    "404": "No such object, or not visible to the caller (not_found).",
    "405": "Method not allowed for this resource (method_not_allowed).",
    "429": "Too many requests (throttled).",
}


def api_error_responses_document(result, generator, request, public):
    """drf-spectacular postprocessing hook: every /api/ operation documents its error responses
    (the one error shape, component `ApiError`) unless it already declares that status. Runs
    after apps.ledger.schema's hook; the ingest endpoints keep exactly the responses it lists."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["ApiError"] = {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "details"],
                "properties": {
                    "code": {"type": "string", "example": "not_found"},
                    "message": {"type": "string"},
                    "details": {"type": "object", "additionalProperties": True},
                },
            }
        },
    }
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}}
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/") or path.startswith("/api/schema"):
            continue
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            if "ingest" in operation.get("tags", []):  # documented in full by their own hook
                continue
            responses = operation.setdefault("responses", {})
            # An endpoint rendering other media types (feeds: JSON Lines, CSV) renders its errors
            # with them too: document the error shape under each of them.
            content = dict(ref)
            for media_type in responses.get("200", {}).get("content", {}):
                content.setdefault(media_type, ref["application/json"])
            for status_code, description in _API_ERROR_RESPONSES.items():
                responses.setdefault(status_code, {"description": description, "content": content})
    return result
