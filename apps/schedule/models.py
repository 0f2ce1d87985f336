from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.schedule.choices import (
    ActivityStatus,
    ActivityType,
    CalendarRule,
    ImportJobStatus,
    ScheduleKind,
    SlipReference,
    SourceFormat,
)


class ScheduleVersion(models.Model):
    """One imported schedule file for a project: a baseline or a periodic update."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="schedule_versions"
    )
    kind = models.CharField(max_length=20, choices=ScheduleKind)
    source_format = models.CharField(max_length=10, choices=SourceFormat)
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    file_size = models.PositiveBigIntegerField(default=0)
    encoding = models.CharField(max_length=20, blank=True)
    source_version = models.CharField(max_length=40, blank=True)  # e.g. "8.4" from ERMHDR
    source_project_id = models.CharField(max_length=100, blank=True)
    source_project_code = models.CharField(max_length=200, blank=True)
    source_project_name = models.CharField(max_length=300, blank=True)
    default_calendar_id = models.CharField(max_length=60, blank=True)
    data_date = models.DateTimeField(null=True, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    # {"tables": {"TASK": 4000, …}, "activities": n, "milestones": n, "wbs": n, "calendars": n,
    #  "refused": n}: what the file held and what was stored.
    counts = models.JSONField(default=dict, blank=True)
    warnings = models.JSONField(default=list, blank=True)  # [{"line": n|None, "message": "…"}]
    refused_rows = models.JSONField(default=list, blank=True)  # [{"line","table","key","reason"}]
    duration_ms = models.PositiveIntegerField(default=0)
    # Set when the file came through the ledger (POST /api/v1/inbound/<system>/files).
    ledger_transaction_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["project", "-data_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "file_sha256"], name="uniq_schedule_version_file"
            )
        ]
        indexes = [models.Index(fields=["project", "kind", "data_date"])]

    def __str__(self) -> str:
        when = self.data_date.date().isoformat() if self.data_date else "no data date"
        return f"{self.project.code} {self.get_kind_display().lower()} {when} (#{self.pk})"

    @property
    def refused_count(self) -> int:
        return int(self.counts.get("refused", len(self.refused_rows)))


class ScheduleCalendar(models.Model):
    """A work calendar from a version's file, kept to count working days the file's way."""

    version = models.ForeignKey(ScheduleVersion, on_delete=models.CASCADE, related_name="calendars")
    external_id = models.CharField(max_length=60)
    name = models.CharField(max_length=255)
    is_default = models.BooleanField(default=False)
    work_weekdays = models.JSONField(default=list)  # Monday=0 … Sunday=6
    holidays = models.JSONField(default=list)  # ISO dates
    extra_workdays = models.JSONField(default=list)  # ISO dates worked although a rest day
    hours_per_day = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "external_id"], name="uniq_schedule_calendar"
            )
        ]

    def __str__(self) -> str:
        return self.name


class WbsNode(models.Model):
    """A WBS element of one version (P6 PROJWBS, PMXML WBS, MSPDI summary task)."""

    version = models.ForeignKey(ScheduleVersion, on_delete=models.CASCADE, related_name="wbs_nodes")
    external_id = models.CharField(max_length=60)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    code = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=500, blank=True)
    path = models.CharField(max_length=1000, blank=True)  # codes from the root, e.g. "EC00640.1.2"
    level = models.PositiveSmallIntegerField(default=0)
    sequence = models.IntegerField(default=0)
    is_project_node = models.BooleanField(default=False)

    class Meta:
        ordering = ["version", "path"]
        constraints = [
            models.UniqueConstraint(fields=["version", "external_id"], name="uniq_wbs_node")
        ]

    def __str__(self) -> str:
        return f"{self.path} {self.name}".strip()


class Activity(models.Model):
    """An activity of one version, matched across versions by its activity id (task_code)."""

    version = models.ForeignKey(
        ScheduleVersion, on_delete=models.CASCADE, related_name="activities"
    )
    task_code = models.CharField(max_length=120)
    external_id = models.CharField(max_length=60, blank=True)  # P6 task_id, a database key
    name = models.CharField(max_length=500, blank=True)
    wbs = models.ForeignKey(
        WbsNode, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    wbs_external_id = models.CharField(max_length=60, blank=True)
    activity_type = models.CharField(max_length=30, choices=ActivityType)
    status = models.CharField(max_length=20, choices=ActivityStatus)
    planned_start = models.DateTimeField(null=True, blank=True)
    planned_finish = models.DateTimeField(null=True, blank=True)
    early_start = models.DateTimeField(null=True, blank=True)
    early_finish = models.DateTimeField(null=True, blank=True)
    late_start = models.DateTimeField(null=True, blank=True)
    late_finish = models.DateTimeField(null=True, blank=True)
    actual_start = models.DateTimeField(null=True, blank=True)
    actual_finish = models.DateTimeField(null=True, blank=True)
    baseline_start = models.DateTimeField(null=True, blank=True)  # carried inside the file
    baseline_finish = models.DateTimeField(null=True, blank=True)
    total_float_hours = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    percent_complete = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    calendar_external_id = models.CharField(max_length=60, blank=True)
    source_line = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "activities"
        constraints = [
            models.UniqueConstraint(fields=["version", "task_code"], name="uniq_activity_code")
        ]
        indexes = [models.Index(fields=["version", "activity_type"])]

    def __str__(self) -> str:
        return f"{self.task_code} {self.name}"

    @property
    def is_milestone(self) -> bool:
        return self.activity_type in ActivityType.milestones()


class ProjectScheduleSettings(models.Model):
    """Per-project slip rules: the threshold, the baseline to compare with, the calendar rule."""

    project = models.OneToOneField(
        "projects.Project", on_delete=models.CASCADE, related_name="schedule_settings"
    )
    slip_threshold_days = models.PositiveIntegerField(default=5)
    # None = the most recently imported baseline of the project.
    baseline_version = models.ForeignKey(
        ScheduleVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    compare_with = models.CharField(
        max_length=20, choices=SlipReference, default=SlipReference.BASELINE
    )
    calendar_rule = models.CharField(
        max_length=20, choices=CalendarRule, default=CalendarRule.STANDARD
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "project schedule settings"

    def __str__(self) -> str:
        return f"{self.project.code}: slip threshold {self.slip_threshold_days} working days"


class MilestoneSlip(models.Model):
    """A milestone of an update compared with the baseline (and the previous update)."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="milestone_slips"
    )
    version = models.ForeignKey(
        ScheduleVersion, on_delete=models.CASCADE, related_name="milestone_slips"
    )
    baseline_version = models.ForeignKey(
        ScheduleVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    previous_version = models.ForeignKey(
        ScheduleVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    task_code = models.CharField(max_length=120)
    name = models.CharField(max_length=500, blank=True)
    milestone_type = models.CharField(max_length=30, choices=ActivityType)
    baseline_date = models.DateField(null=True, blank=True)
    previous_date = models.DateField(null=True, blank=True)
    current_date = models.DateField(null=True, blank=True)
    is_actual = models.BooleanField(default=False)  # the current date is an actual date
    slip_days = models.IntegerField(null=True, blank=True)  # working days vs the baseline
    change_days = models.IntegerField(null=True, blank=True)  # working days vs the previous update
    calendar_name = models.CharField(max_length=255, blank=True)
    threshold_days = models.PositiveIntegerField(default=0)
    compared_with = models.CharField(max_length=20, choices=SlipReference)
    over_threshold = models.BooleanField(default=False)
    event_emitted = models.BooleanField(default=False)
    event_key = models.CharField(max_length=300, blank=True)
    event_transaction_id = models.BigIntegerField(null=True, blank=True)
    event_payload = models.JSONField(default=dict, blank=True)
    emitted_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "task_code", "version"]
        constraints = [
            models.UniqueConstraint(fields=["version", "task_code"], name="uniq_slip_per_update")
        ]
        indexes = [models.Index(fields=["project", "task_code"])]

    def __str__(self) -> str:
        return f"{self.task_code} slip {self.slip_days} working days (version #{self.version_id})"


class ImportJob(models.Model):
    """An upload waiting for, or done with, its import: progress for the page, the outcome."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="schedule_import_jobs"
    )
    kind = models.CharField(max_length=20, choices=ScheduleKind)
    file_name = models.CharField(max_length=255)
    # The upload itself, so nothing is lost between the request and the worker, and a refused
    # file can be looked at again.
    file_content = models.BinaryField()
    file_sha256 = models.CharField(max_length=64)
    file_size = models.PositiveBigIntegerField(default=0)
    source_project = models.CharField(max_length=200, blank=True)
    strict = models.BooleanField(default=False)
    status = models.CharField(
        max_length=20, choices=ImportJobStatus, default=ImportJobStatus.QUEUED
    )
    rows_processed = models.PositiveIntegerField(default=0)
    bytes_processed = models.PositiveBigIntegerField(default=0)
    version = models.ForeignKey(
        ScheduleVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error_code = models.CharField(max_length=60, blank=True)
    error_message = models.TextField(blank=True)
    error_line = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"import #{self.pk} {self.file_name} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status in ImportJobStatus.finished():
            return 100
        if not self.file_size:
            return 0
        return min(99, int(self.bytes_processed * 100 / self.file_size))

    @property
    def is_finished(self) -> bool:
        return self.status in ImportJobStatus.finished()

    @property
    def status_colour(self) -> str:
        return ImportJobStatus(self.status).colour
