"""Django admin for schedules: read-mostly (imports and slips are written by the services)."""

from django.contrib import admin

from apps.schedule.models import (
    Activity,
    ImportJob,
    MilestoneSlip,
    ProjectScheduleSettings,
    ScheduleVersion,
)


@admin.register(ScheduleVersion)
class ScheduleVersionAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "project",
        "kind",
        "source_format",
        "file_name",
        "data_date",
        "imported_at",
    )
    list_filter = ("kind", "source_format")
    search_fields = ("file_name", "file_sha256", "project__code", "source_project_code")
    readonly_fields = [f.name for f in ScheduleVersion._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ("task_code", "name", "version", "activity_type", "status", "planned_finish")
    list_filter = ("activity_type", "status")
    search_fields = ("task_code", "name")
    raw_id_fields = ("version", "wbs")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MilestoneSlip)
class MilestoneSlipAdmin(admin.ModelAdmin):
    list_display = (
        "task_code",
        "project",
        "version",
        "baseline_date",
        "current_date",
        "slip_days",
        "over_threshold",
        "event_emitted",
    )
    list_filter = ("over_threshold", "event_emitted")
    search_fields = ("task_code", "name", "project__code")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ProjectScheduleSettings)
class ProjectScheduleSettingsAdmin(admin.ModelAdmin):
    list_display = ("project", "slip_threshold_days", "compare_with", "calendar_rule")

    def has_change_permission(self, request, obj=None):
        return False  # changed on the schedule page, where every change is audited


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "project", "kind", "file_name", "status", "created_at", "finished_at")
    list_filter = ("status", "kind")
    exclude = ("file_content",)
    readonly_fields = [f.name for f in ImportJob._meta.fields if f.name != "file_content"]

    def has_add_permission(self, request):
        return False
