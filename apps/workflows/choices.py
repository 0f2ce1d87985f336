from django.db import models

from apps.workflows.definitions import WORKFLOWS


class WorkflowKey(models.TextChoices):
    PROJECT_INITIATION = "project_initiation", WORKFLOWS["project_initiation"].name
    DOCUMENT_PROCUREMENT = "document_procurement", WORKFLOWS["document_procurement"].name
    SCHEDULE_PROCUREMENT = "schedule_procurement", WORKFLOWS["schedule_procurement"].name
    PROCURE_TO_PAY = "procure_to_pay", WORKFLOWS["procure_to_pay"].name
    CHANGE_MANAGEMENT = "change_management", WORKFLOWS["change_management"].name


class InstanceStatus(models.TextChoices):
    RUNNING = "running", "Running"
    HELD = "held", "Held"
    COMPLETED = "completed", "Completed"
    STOPPED = "stopped", "Stopped"

    @property
    def colour(self) -> str:
        return STATUS_COLOURS[self.value]


STATUS_COLOURS = {"running": "blue", "held": "amber", "completed": "green", "stopped": "grey"}
