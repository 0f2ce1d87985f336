"""System administration: create and edit systems, write-only credentials, webhook signing
secrets with rotation. Every change is audited; secret values never reach the audit log."""

from __future__ import annotations

import secrets as pysecrets
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.connectors.choices import Environment, SystemKind
from apps.connectors.models import System
from apps.core.errors import ApplicationError, NotFoundError
from apps.ledger.signatures import secret_generate

RESERVED_CODES = {"new"}  # /systems/new/ is the create page
EDITABLE_FIELDS = (
    "name",
    "kind",
    "connector",
    "base_url",
    "environment",
    "enabled",
    "rate_limit_per_minute",
    "options",
)


def _validate(values: dict[str, Any]) -> None:
    if "kind" in values and values["kind"] not in SystemKind.values:
        raise ApplicationError(f"Unknown kind '{values['kind']}'.", code="invalid_kind")
    if "environment" in values and values["environment"] not in Environment.values:
        raise ApplicationError(
            f"Unknown environment '{values['environment']}'.", code="invalid_environment"
        )
    if "options" in values and not isinstance(values["options"], dict):
        raise ApplicationError("Options must be a JSON object.", code="invalid_options")
    if "name" in values and not str(values["name"]).strip():
        raise ApplicationError("A system needs a name.", code="name_required")
    if "rate_limit_per_minute" in values and int(values["rate_limit_per_minute"]) < 1:
        raise ApplicationError("The rate limit must be at least 1 per minute.", code="invalid_rate")


def _clean_credentials(credentials: dict | None) -> dict | None:
    if credentials is None:
        return None
    if not isinstance(credentials, dict) or not all(isinstance(k, str) for k in credentials):
        raise ApplicationError("Credentials must be a JSON object.", code="invalid_credentials")
    cleaned = {k: v for k, v in credentials.items() if v not in (None, "")}
    return cleaned or None


@transaction.atomic
def system_create(
    *,
    actor,
    code: str,
    name: str,
    kind: str,
    connector: str = "",
    base_url: str = "",
    environment: str = Environment.PRODUCTION,
    enabled: bool = True,
    rate_limit_per_minute: int = 600,
    options: dict | None = None,
    credentials: dict | None = None,
) -> System:
    """Create a system (credentials encrypted at rest; never echoed back)."""
    code = (code or "").strip().lower()
    if not code:
        raise ApplicationError("A system needs a code.", code="code_required")
    if code in RESERVED_CODES:
        raise ApplicationError(f"'{code}' is reserved; choose another code.", code="reserved_code")
    if System.objects.filter(code=code).exists():
        raise ApplicationError(f"A system with code '{code}' exists.", code="duplicate_code")
    values = {
        "name": name.strip(),
        "kind": kind,
        "connector": connector.strip(),
        "base_url": base_url.strip(),
        "environment": environment,
        "enabled": enabled,
        "rate_limit_per_minute": rate_limit_per_minute,
        "options": options or {},
    }
    _validate(values)
    system = System.objects.create(code=code, credentials=_clean_credentials(credentials), **values)
    audit_record(
        actor=actor,
        action="system.create",
        target=system,
        detail={
            **{k: v for k, v in values.items() if k != "options"},
            "options_keys": sorted(values["options"]),
            "credentials": sorted(system.credentials or {}),
        },
    )
    return system


@transaction.atomic
def system_update(
    *,
    actor,
    system: System,
    changes: dict[str, Any] | None = None,
    credentials: dict | None = None,
    credentials_clear: bool = False,
) -> System:
    """Change a system's settings. `credentials` merges new values over the stored ones (keys
    left out keep their value); `credentials_clear` removes them all first."""
    system = System.objects.select_for_update().get(pk=system.pk)
    changes = {k: v for k, v in (changes or {}).items() if k in EDITABLE_FIELDS}
    _validate(changes)
    changed = [k for k, v in changes.items() if getattr(system, k) != v]
    for key in changed:
        setattr(system, key, changes[key])
    credential_note = ""
    new_credentials = _clean_credentials(credentials)
    if credentials_clear or new_credentials:
        merged = {} if credentials_clear else dict(system.credentials or {})
        merged.update(new_credentials or {})
        if merged != (system.credentials or {}):
            credential_note = "cleared" if credentials_clear and not new_credentials else "changed"
            system.credentials = merged or None
    if not changed and not credential_note:
        return system
    system.save()
    detail: dict[str, Any] = {"changed": {k: changes[k] for k in changed if k != "options"}}
    if "options" in changed:
        detail["options_keys"] = sorted(system.options)
    if credential_note:
        detail["credentials"] = credential_note
        detail["credential_keys"] = sorted(system.credentials or {})
    audit_record(actor=actor, action="system.update", target=system, detail=detail)
    return system


def _entries(system: System) -> list[dict]:
    return [dict(e) for e in (system.webhook_secrets or [])]


@transaction.atomic
def system_secret_generate(
    *, actor, system: System, expires_at: datetime | None = None
) -> tuple[str, dict]:
    """Add a new signing secret (the others stay active: rotation with overlap). Returns the
    plaintext — shown once, never again — and its entry."""
    system = System.objects.select_for_update().get(pk=system.pk)
    secret = secret_generate()
    entry = {
        "id": "whk_" + pysecrets.token_hex(4),
        "secret": secret,
        "created_at": timezone.now().isoformat(),
        "expires_at": expires_at.isoformat() if expires_at else None,
    }
    system.webhook_secrets = [*_entries(system), entry]
    system.save(update_fields=["webhook_secrets", "updated_at"])
    audit_record(
        actor=actor,
        action="system.secret.generate",
        target=system,
        detail={"secret_id": entry["id"], "expires_at": entry["expires_at"], "tail": secret[-4:]},
    )
    return secret, {k: v for k, v in entry.items() if k != "secret"}


@transaction.atomic
def system_secret_retire(*, actor, system: System, secret_id: str, grace_hours: float = 0) -> dict:
    """Retire a signing secret now or after a grace period (senders switch meanwhile)."""
    system = System.objects.select_for_update().get(pk=system.pk)
    entries = _entries(system)
    entry = next((e for e in entries if e.get("id") == secret_id), None)
    if entry is None:
        raise NotFoundError(f"No secret '{secret_id}' on {system.code}.")
    now = timezone.now()
    retire_at = now + timedelta(hours=max(grace_hours, 0))
    current = entry.get("expires_at")
    if current and datetime.fromisoformat(current) <= retire_at:
        return {k: v for k, v in entry.items() if k != "secret"}  # already retires sooner
    entry["expires_at"] = retire_at.isoformat()
    system.webhook_secrets = entries
    system.save(update_fields=["webhook_secrets", "updated_at"])
    audit_record(
        actor=actor,
        action="system.secret.retire",
        target=system,
        detail={
            "secret_id": secret_id,
            "expires_at": entry["expires_at"],
            "grace_hours": grace_hours,
        },
    )
    return {k: v for k, v in entry.items() if k != "secret"}
