"""What happens to a document when its approval request is decided.

The owning app registers one handler per document type (procurement does it in its
AppConfig.ready); approvals calls it inside the decision's transaction, so a document that can
no longer be approved (its budget went, its vendor was blocked) rolls the decision back with the
owner's ApplicationError.
"""

from __future__ import annotations

from collections.abc import Callable

OutcomeHandler = Callable[..., None]  # handler(*, request, approved: bool, actor) -> None
SodCheck = Callable[..., None]  # check(*, request, user) -> None, raises ApplicationError

_HANDLERS: dict[str, OutcomeHandler] = {}
_SOD_CHECKS: dict[str, list[SodCheck]] = {}


def outcome_handler(document_type: str):
    """Decorator: register the handler for the final decision on a document type."""

    def decorator(func: OutcomeHandler) -> OutcomeHandler:
        _HANDLERS[document_type] = func
        return func

    return decorator


def sod_check(document_type: str):
    """Decorator: an extra segregation-of-duties rule for a document type."""

    def decorator(func: SodCheck) -> SodCheck:
        _SOD_CHECKS.setdefault(document_type, [])
        if func not in _SOD_CHECKS[document_type]:
            _SOD_CHECKS[document_type].append(func)
        return func

    return decorator


def handler_for(document_type: str) -> OutcomeHandler | None:
    return _HANDLERS.get(document_type)


def sod_checks_for(document_type: str) -> list[SodCheck]:
    return list(_SOD_CHECKS.get(document_type, []))
