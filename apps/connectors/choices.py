from django.db import models


class SystemKind(models.TextChoices):
    ODOO = "odoo", "Odoo ERP"
    SCHEDULING = "scheduling", "Scheduling"
    DOCUMENT_CONTROL = "document_control", "Document control / CDE"
    ESTIMATING = "estimating", "Estimating"
    FIELD = "field", "Field app"
    BANKING = "banking", "Banking"
    PROCUREMENT_PORTAL = "procurement_portal", "Procurement portal"


class Environment(models.TextChoices):
    PRODUCTION = "production", "Production"
    STAGING = "staging", "Staging"
    TEST = "test", "Test"


class HealthStatus(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    HEALTHY = "healthy", "Healthy"
    DEGRADED = "degraded", "Degraded"
    DOWN = "down", "Down"

    @property
    def colour(self) -> str:
        return {"unknown": "grey", "healthy": "green", "degraded": "amber", "down": "red"}[
            self.value
        ]
