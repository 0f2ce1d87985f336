"""Why a pipeline stage stopped a transaction. Each carries what the exception item needs.

(Python error classes; the word "exceptions" belongs to the exception queue.)
"""

from __future__ import annotations

from decimal import Decimal


class StageStop(Exception):
    """A stage decided the transaction cannot go on (held, failed or ignored), with a reason."""

    def __init__(
        self,
        reason: str,
        *,
        category: str = "",
        title: str = "",
        trace_key: str = "",
        details: dict | None = None,
        severity: str | None = None,
        amount: Decimal | None = None,
        currency: str = "",
    ):
        super().__init__(reason)
        self.reason = reason
        self.category = category
        self.title = title or reason[:200]
        self.trace_key = trace_key
        self.details = details or {}
        self.severity = severity
        self.amount = amount
        self.currency = currency


class ValidationProblem(StageStop):
    """The message does not match the domain's schema: failed (the sender must fix it)."""


class MappingMiss(StageStop):
    """A value has no mapping: held until an admin maps it, then released in one action."""

    def __init__(self, *, kind: str, system_code: str, value: str, label: str = "", **kwargs):
        from apps.exceptions.choices import ExceptionCategory

        category = {
            "cost_code": ExceptionCategory.COST_CODE_ERROR,
            "project": ExceptionCategory.INVALID_PROJECT_REFERENCE,
            "vendor": ExceptionCategory.UNKNOWN_VENDOR,
        }.get(kind, ExceptionCategory.MAPPING_MISSING)
        noun = {
            "cost_code": "cost code",
            "project": "project reference",
            "vendor": "vendor",
            "unit": "unit",
            "status": "status value",
        }.get(kind, kind)
        scope = kwargs.pop("scope", "")
        reason = (
            f"{system_code} sent {noun} {value!r}"
            + (f" ({label})" if label else "")
            + f", which has no mapping to a canonical {noun}. Map it under Configuration → "
            "Mappings (or accept a suggestion); the held transactions are then released together."
        )
        details = {
            "mapping_kind": kind,
            "system": system_code,
            "value": value,
            "label": label,
            "scope": scope,
        }
        key = f"{kind}:{system_code}:{scope + ':' if scope else ''}{value}"
        super().__init__(
            reason,
            category=category,
            title=f"Unknown {noun} {value} from {system_code}",
            trace_key=key,
            details=details,
            **kwargs,
        )
        self.kind = kind
        self.system_code = system_code
        self.value = value
        self.label = label
        self.scope = scope


class ControlHold(StageStop):
    """A financial control (budget, match, approval, compliance) holds the transaction."""


class ControlFailure(StageStop):
    """A control rejects the transaction for good (failed)."""


class SorConflict(StageStop):
    """A write from a system that is not the system of record, flagged for review."""


class SorIgnored(StageStop):
    """A write from a system that is not the system of record, recorded as ignored."""


class StaleUpdate(StageStop):
    """An update older than what is stored: recorded and skipped."""


class TransientProcessingError(StageStop):
    """Worth retrying later (a follow-up call timed out, the database was busy)."""

    def __init__(self, reason: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(reason, **kwargs)
        self.retry_after = retry_after
