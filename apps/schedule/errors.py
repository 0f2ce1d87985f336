"""Schedule errors, in the application's one error shape."""

from __future__ import annotations

from apps.core.errors import ApplicationError


class ScheduleImportRefused(ApplicationError):
    """A schedule file that cannot be imported; the message names the line when there is one."""

    status_code = 422

    def __init__(
        self,
        message: str,
        *,
        code: str = "schedule_refused",
        line: int | None = None,
        file_name: str = "",
    ):
        super().__init__(message, code=code, details={"line": line, "file_name": file_name})
        self.line = line
