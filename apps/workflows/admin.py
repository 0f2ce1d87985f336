from django.contrib import admin

from apps.workflows.models import WorkflowInstance, WorkflowSubject


class WorkflowSubjectInline(admin.TabularInline):
    model = WorkflowSubject
    extra = 0


@admin.register(WorkflowInstance)
class WorkflowInstanceAdmin(admin.ModelAdmin):
    list_display = ("workflow", "key", "project", "current_step", "status", "updated_at")
    list_filter = ("workflow", "status")
    search_fields = ("=key", "=correlation_id")
    inlines = [WorkflowSubjectInline]
