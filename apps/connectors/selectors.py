from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from apps.connectors.models import System
from apps.core.fields import mask_secret


def system_list(*, enabled: bool | None = None) -> QuerySet[System]:
    queryset = System.objects.all()
    if enabled is not None:
        queryset = queryset.filter(enabled=enabled)
    return queryset


def system_get_by_code(*, code: str) -> System | None:
    return System.objects.filter(code=code).first()


def system_credentials_summary(*, system: System) -> list[dict]:
    """What the admin pages show about credentials: which keys are set and their last 4
    characters — never the values."""
    return [
        {"key": key, "set": True, "last4": str(value)[-4:] if len(str(value)) >= 8 else ""}
        for key, value in sorted((system.credentials or {}).items())
    ]


def system_secrets_summary(*, system: System) -> list[dict]:
    """Signing secrets, masked, with their state (active / retiring / retired)."""
    now = timezone.now()
    rows = []
    for entry in system.webhook_secrets or []:
        expires = entry.get("expires_at")
        expires_at = datetime.fromisoformat(expires) if expires else None
        if expires_at is None:
            state = "active"
        elif expires_at > now:
            state = "retiring"
        else:
            state = "retired"
        created = entry.get("created_at")
        rows.append(
            {
                "id": entry.get("id", ""),
                "masked": mask_secret(entry.get("secret", "")),
                "created_at": datetime.fromisoformat(created) if created else None,
                "expires_at": expires_at,
                "state": state,
                "active": state != "retired",
            }
        )
    return rows
