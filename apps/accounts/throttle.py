"""Login throttling: too many failures for a username or from an address → refused for a while.

Kept in the database (not a per-process cache) so every web process sees the same counts.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from apps.accounts.models import LoginFailure


def _window_start():
    return timezone.now() - timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)


def login_is_throttled(*, username: str, source_ip: str | None) -> bool:
    recent = LoginFailure.objects.filter(at__gte=_window_start())
    if (
        username
        and recent.filter(username=username).count() >= settings.LOGIN_MAX_FAILURES_PER_USER
    ):
        return True
    return bool(
        source_ip
        and recent.filter(source_ip=source_ip).count() >= settings.LOGIN_MAX_FAILURES_PER_IP
    )


def login_failure_record(*, username: str, source_ip: str | None) -> None:
    """Remember a failure and forget failures older than the window."""
    LoginFailure.objects.create(username=username[:150], source_ip=source_ip or None)
    LoginFailure.objects.filter(at__lt=_window_start()).delete()


def login_failures_clear(*, username: str) -> None:
    LoginFailure.objects.filter(username=username).delete()
