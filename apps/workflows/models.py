"""Workflow instances: one business flow (one correlation id), the step it is at, and the
business records (subjects) it carries, so a later write about one of them joins the flow."""

from __future__ import annotations

from django.db import models

from apps.workflows.choices import STATUS_COLOURS, InstanceStatus, WorkflowKey


class WorkflowInstance(models.Model):
    """One run of a workflow, keyed by its business key (e.g. the submittal, the milestone)."""

    workflow = models.CharField(max_length=40, choices=WorkflowKey)
    key = models.CharField(max_length=200)
    title = models.CharField(max_length=255, blank=True)
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    correlation_id = models.CharField(max_length=64, db_index=True)
    # The ledger transaction that started the flow, and the latest one that moved it (the
    # parent of the flow's next outbound write).
    origin_transaction_id = models.BigIntegerField(null=True, blank=True)
    last_transaction_id = models.BigIntegerField(null=True, blank=True)
    current_step = models.CharField(max_length=40)
    status = models.CharField(max_length=20, choices=InstanceStatus, default=InstanceStatus.RUNNING)
    reason = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["workflow", "key"], name="uniq_workflow_instance")
        ]
        indexes = [models.Index(fields=["workflow", "project"], name="workflow_project")]

    def __str__(self) -> str:
        return f"{self.get_workflow_display()} {self.key}"

    @property
    def status_colour(self) -> str:
        return STATUS_COLOURS.get(self.status, "grey")


class WorkflowSubject(models.Model):
    """A business record a workflow instance carries (requisition, change order...)."""

    instance = models.ForeignKey(
        WorkflowInstance, on_delete=models.CASCADE, related_name="subjects"
    )
    subject_domain = models.CharField(max_length=50)
    subject_id = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subject_domain", "subject_id", "instance"], name="uniq_workflow_subject"
            )
        ]
        indexes = [models.Index(fields=["subject_domain", "subject_id"], name="workflow_subject")]

    def __str__(self) -> str:
        return f"{self.subject_domain}:{self.subject_id}"
