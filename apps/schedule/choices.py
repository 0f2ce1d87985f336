"""Choices for schedules; statuses carry their badge colour."""

from __future__ import annotations

from django.db import models


class ScheduleKind(models.TextChoices):
    BASELINE = "baseline", "Baseline"
    UPDATE = "update", "Update"


class SourceFormat(models.TextChoices):
    XER = "xer", "Primavera P6 XER"
    PMXML = "pmxml", "Primavera P6 PMXML"
    MSPDI = "mspdi", "MS Project MSPDI XML"


class ActivityType(models.TextChoices):
    TASK = "task", "Task"
    RESOURCE_DEPENDENT = "resource_dependent", "Resource dependent"
    START_MILESTONE = "start_milestone", "Start milestone"
    FINISH_MILESTONE = "finish_milestone", "Finish milestone"
    LEVEL_OF_EFFORT = "level_of_effort", "Level of effort"
    WBS_SUMMARY = "wbs_summary", "WBS summary"

    @classmethod
    def milestones(cls) -> tuple[str, ...]:
        return (cls.START_MILESTONE, cls.FINISH_MILESTONE)


class ActivityStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETE = "complete", "Complete"

    @property
    def colour(self) -> str:
        return {"not_started": "grey", "in_progress": "blue", "complete": "green"}[self.value]


class SlipReference(models.TextChoices):
    """What an update's milestone dates are compared with for the threshold and the event."""

    BASELINE = "baseline", "The baseline"
    PREVIOUS_UPDATE = "previous_update", "The previous update"


class CalendarRule(models.TextChoices):
    """How working days are counted for slip (see apps/schedule/calendars.py)."""

    STANDARD = "standard", "Standard 5-day week (Mon–Fri)"
    FILE = "file", "The milestone's calendar from the file (falls back to Mon–Fri)"


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Imported"
    REFUSED = "refused", "Refused"
    FAILED = "failed", "Failed"

    @property
    def colour(self) -> str:
        return {
            "queued": "grey",
            "running": "blue",
            "succeeded": "green",
            "refused": "red",
            "failed": "red",
        }[self.value]

    @classmethod
    def finished(cls) -> tuple[str, ...]:
        return (cls.SUCCEEDED, cls.REFUSED, cls.FAILED)
