"""django-q2 entry points for exception alerts (see schedules.py)."""

from __future__ import annotations


def notifications_send() -> int:
    from apps.exceptions.notifications import notifications_send as send

    return send()


def notifications_digest_send() -> int:
    from apps.exceptions.notifications import notifications_digest_send as digest

    return digest()


def sla_sweep() -> dict:
    from apps.exceptions.notifications import exceptions_sla_sweep

    return exceptions_sla_sweep()
