from django.contrib import admin

from apps.projects.models import BudgetLine, CostCode, Phase, Project


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "status", "currency", "budget_policy")
    search_fields = ("code", "name")


@admin.register(Phase)
class PhaseAdmin(admin.ModelAdmin):
    list_display = ("project", "code", "name", "sequence", "status")
    list_filter = ("project",)


@admin.register(CostCode)
class CostCodeAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "level", "parent", "is_active")
    search_fields = ("code", "title")


@admin.register(BudgetLine)
class BudgetLineAdmin(admin.ModelAdmin):
    list_display = ("__str__", "original_amount", "committed", "pending_commitments", "actual")
    list_filter = ("project",)

    def has_change_permission(self, request, obj=None):
        return False  # figures move only with their facts (procurement services)
