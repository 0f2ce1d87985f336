from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time a worker process proved it runs tasks (read by /readyz and monitoring)."""

    name = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
