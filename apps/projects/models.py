from __future__ import annotations

from django.db import models


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    CLOSED = "closed", "Closed"


class Project(models.Model):
    """A construction project: the unit of access scoping and of every financial figure."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=ProjectStatus, default=ProjectStatus.ACTIVE)
    currency = models.CharField(max_length=3, default="EUR")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"
