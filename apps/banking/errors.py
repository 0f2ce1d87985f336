"""Banking error types (the word "exceptions" belongs to the exception queue)."""

from __future__ import annotations

from apps.core.errors import ApplicationError


class StatementRefused(ApplicationError):
    """A file that is not a bank statement we can read: refused whole, with the reason."""

    status_code = 422

    def __init__(self, message: str, *, line: int | None = None, code: str = "statement_refused"):
        details = {"line": line} if line is not None else {}
        if line is not None and f"line {line}" not in message:
            message = f"{message} (line {line})"
        super().__init__(message, code=code, details=details)
        self.line = line
