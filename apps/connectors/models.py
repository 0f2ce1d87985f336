from __future__ import annotations

from django.db import models

from apps.connectors.choices import Environment, HealthStatus, SystemKind
from apps.core.fields import EncryptedJSONField


class System(models.Model):
    """An external application the hub talks to, with its connector, credentials and health."""

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=SystemKind)
    # Which connector implementation serves it (registry key), e.g. "odoo", "p6", "procore".
    connector = models.CharField(max_length=50, blank=True)
    base_url = models.URLField(max_length=500, blank=True)
    environment = models.CharField(
        max_length=20, choices=Environment, default=Environment.PRODUCTION
    )
    # Encrypted at rest; e.g. {"database": "...", "username": "...", "password": "..."}.
    credentials = EncryptedJSONField(null=True, blank=True)
    # Encrypted list of {"id", "secret", "created_at", "expires_at"}: several active at once so a
    # platform can rotate without a window of refused deliveries.
    webhook_secrets = EncryptedJSONField(null=True, blank=True)
    # Connector options that are not secret (api flavour, signature scheme, page sizes...).
    options = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(default=True)
    rate_limit_per_minute = models.PositiveIntegerField(default=600)
    health = models.CharField(max_length=20, choices=HealthStatus, default=HealthStatus.UNKNOWN)
    health_detail = models.CharField(max_length=500, blank=True)
    health_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class SyncCursor(models.Model):
    """A stored position for incremental pulls: e.g. the high-water write_date per Odoo model."""

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="cursors")
    key = models.CharField(max_length=200)  # e.g. "purchase.order:write_date"
    # Text, not a short char: an Odoo mark carries the ids (and digests) already seen in the
    # mark's write_date second, which a bulk write can make long.
    value = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["system", "key"], name="uniq_sync_cursor")]

    def __str__(self) -> str:
        return f"{self.system.code}:{self.key}={self.value}"
