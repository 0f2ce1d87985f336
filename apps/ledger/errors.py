"""Ledger errors (the word "exceptions" belongs to the exception queue)."""

from __future__ import annotations

from apps.core.errors import ApplicationError


class IllegalTransition(ApplicationError):
    """A status change that DESIGN §4 does not allow (e.g. delivered → pending)."""

    status_code = 409

    def __init__(self, message: str, *, from_status: str = "", to_status: str = "", **kwargs):
        kwargs.setdefault("code", "illegal_transition")
        kwargs.setdefault("details", {"from_status": from_status, "to_status": to_status})
        super().__init__(message, **kwargs)
        self.from_status = from_status
        self.to_status = to_status


class TransitionConflict(IllegalTransition):
    """Someone else moved the transaction first (the conditional UPDATE matched no row)."""

    def __init__(self, message: str, **kwargs):
        kwargs.setdefault("code", "transition_conflict")
        super().__init__(message, **kwargs)
