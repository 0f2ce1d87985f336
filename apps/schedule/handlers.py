"""The pipeline's entry into schedules: an inbound file transaction of domain "schedule".

The ledger's file feed (`POST /api/v1/inbound/<system>/files`, form fields `project`, `kind`,
optional `source_project` and `strict`) records the file as a transaction; the sync engine's
pipeline calls `schedule_file_transaction_process` for it (registered for domain "schedule").
"""

from __future__ import annotations

from typing import Any

from apps.core.errors import ApplicationError
from apps.ledger.models import Transaction, TransactionFile
from apps.projects.models import Project
from apps.schedule.choices import ScheduleKind
from apps.schedule.services import schedule_import_file

TRUE_VALUES = {"1", "true", "yes", "on"}


def schedule_file_transaction_process(*, transaction: Transaction) -> dict[str, Any]:
    """Import the schedule file carried by an inbound transaction; returns what was stored.

    Raises ApplicationError (a permanent, business failure: the pipeline opens an exception
    item) for a missing file, an unknown project, a bad kind, or a file that cannot be read
    (ScheduleImportRefused, naming the line). A replay of the same file is idempotent: the
    existing version is returned.
    """
    file_row = TransactionFile.objects.filter(transaction_id=transaction.id).first()
    if file_row is None:
        raise ApplicationError(
            f"transaction #{transaction.id} carries no file", code="schedule_file_missing"
        )
    fields = (transaction.payload or {}).get("fields") or {}
    project = None
    if transaction.project_id:
        project = Project.objects.filter(pk=transaction.project_id).first()
    project_code = str(fields.get("project") or "").strip()
    if project is None and project_code:
        project = Project.objects.filter(code=project_code).first()
    if project is None:
        raise ApplicationError(
            f"the schedule file names no known project ({project_code or 'no project field'})",
            code="unknown_project",
            details={"project": project_code},
        )
    kind = str(fields.get("kind") or ScheduleKind.UPDATE).strip().lower()
    version = schedule_import_file(
        project=project,
        file_bytes=bytes(file_row.content),
        file_name=file_row.file_name,
        kind=kind,
        actor=None,
        source_project=str(fields.get("source_project") or ""),
        strict=str(fields.get("strict") or "").lower() in TRUE_VALUES,
        ledger_transaction_id=transaction.id,
    )
    return {
        "schedule_version_id": version.id,
        "already_imported": version.already_imported,
        "project": project.code,
        "kind": version.kind,
        "format": version.source_format,
        "activities": version.counts.get("activities", 0),
        "milestones": version.counts.get("milestones", 0),
        "refused": version.counts.get("refused", 0),
        "slips_over_threshold": version.milestone_slips.filter(over_threshold=True).count(),
    }
