"""Django admin: entities and their memberships, rule overrides and rates."""

from django.contrib import admin

from apps.entities import models


@admin.register(models.Entity)
class EntityAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "currency",
        "odoo_system",
        "odoo_company_id",
        "vendor",
        "active",
    )
    raw_id_fields = ("vendor",)


@admin.register(models.EntityMembership)
class EntityMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "entity", "created_at")
    list_filter = ("entity",)


@admin.register(models.EntitySorRule)
class EntitySorRuleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "conflict_policy", "enabled")
    list_filter = ("entity", "domain")


@admin.register(models.EntityApprovalThreshold)
class EntityApprovalThresholdAdmin(admin.ModelAdmin):
    list_display = ("__str__", "entity", "document_type", "level", "above_amount", "currency")


@admin.register(models.FxRate)
class FxRateAdmin(admin.ModelAdmin):
    list_display = ("base_currency", "currency", "rate_date", "rate", "source_system")
    list_filter = ("currency",)


@admin.register(models.IntercompanyCommitment)
class IntercompanyCommitmentAdmin(admin.ModelAdmin):
    """Read-only: intercompany records are made by the commitment lifecycle, not by hand."""

    list_display = ("commitment", "buyer", "seller", "currency", "buyer_amount", "state")
    list_filter = ("state", "buyer", "seller")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
