"""Django admin: compliance policies (documents and holds change through the services)."""

from django.contrib import admin

from apps.compliance import models


@admin.register(models.CompliancePolicy)
class CompliancePolicyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "required", "block_commitment", "hold_claim_payment", "warn_days")


@admin.register(models.ComplianceDocument)
class ComplianceDocumentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "project", "expires_on", "source", "received_at")
    list_filter = ("kind", "source")
