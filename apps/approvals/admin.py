from django.contrib import admin

from apps.approvals import models


@admin.register(models.AuthorityRule)
class AuthorityRuleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "project", "level", "amount_limit", "active")
    list_filter = ("document_type", "level", "active")


@admin.register(models.ApprovalLevelThreshold)
class ApprovalLevelThresholdAdmin(admin.ModelAdmin):
    list_display = ("document_type", "project", "level", "above_amount", "currency")


@admin.register(models.ApprovalRequest)
class ApprovalRequestAdmin(admin.ModelAdmin):
    list_display = ("id", "document_type", "title", "amount", "status", "due_at")
    list_filter = ("status", "document_type")

    def has_change_permission(self, request, obj=None):
        return False  # decisions go through approval_decide (SoD, audit)


@admin.register(models.Delegation)
class DelegationAdmin(admin.ModelAdmin):
    list_display = ("delegator", "delegate", "starts_at", "ends_at", "revoked_at")

    def has_change_permission(self, request, obj=None):
        return False
