from __future__ import annotations

import socket

from django.utils import timezone

from apps.core.models import WorkerHeartbeat


def worker_heartbeat_record(*, name: str | None = None) -> WorkerHeartbeat:
    """Note that a worker on this host ran a task just now."""
    name = name or socket.gethostname()
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        name=name, defaults={"seen_at": timezone.now()}
    )
    return heartbeat
