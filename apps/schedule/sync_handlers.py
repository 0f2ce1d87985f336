"""The sync pipeline's handler for schedule files: files posted to
/api/v1/inbound/<scheduling system>/files (domain "schedule", form fields `project`, `kind`
baseline|update, optional `source_project` and `strict`) are imported as schedule versions; an
update's `milestone.slipped` events become children of the file's transaction."""

from __future__ import annotations

from apps.core.errors import ApplicationError
from apps.exceptions.choices import ExceptionCategory
from apps.schedule.choices import ScheduleKind
from apps.schedule.errors import ScheduleImportRefused
from apps.schedule.services import schedule_import_file
from apps.sync.errors import ValidationProblem
from apps.sync.handlers import ApplyResult, DomainHandler, register_handler

TRUE_VALUES = {"1", "true", "yes", "on"}


def _form(ctx) -> dict:
    fields = ctx.record.get("fields")
    return fields if isinstance(fields, dict) else {}


@register_handler("schedule")
class ScheduleFileHandler(DomainHandler):
    """Import the file the transaction carries; a file we cannot read fails with its line."""

    financial = False
    keep_canonical_record = False
    subject_keys = ("sha256",)

    def map(self, ctx) -> dict:
        form = _form(ctx)
        reference = str(form.get("project") or "").strip()
        if reference:
            ctx.project = ctx.mapper.project(reference)  # unknown → held until mapped
        elif ctx.transaction.project_id:
            ctx.project = ctx.transaction.project
        else:
            raise ValidationProblem(
                "The schedule file names no project: send the form field `project` (the hub's "
                "project code or a mapped reference).",
                category=ExceptionCategory.SCHEMA_INVALID,
                title=f"Schedule file {ctx.record.get('file_name', '')} without a project",
                details={"missing": ["project"]},
            )
        kind = str(form.get("kind") or ScheduleKind.UPDATE).strip().lower()
        if kind not in ScheduleKind.values:
            raise ValidationProblem(
                f"The form field `kind` must be baseline or update, not {kind!r}.",
                category=ExceptionCategory.SCHEMA_INVALID,
                details={"kind": kind},
            )
        return {
            "sha256": ctx.record.get("sha256", ""),
            "file_name": ctx.record.get("file_name", ""),
            "project_code": ctx.project.code,
            "kind": kind,
            "source_project": str(form.get("source_project") or ""),
            "strict": str(form.get("strict") or "").lower() in TRUE_VALUES,
        }

    def subject(self, ctx) -> str:
        return f"sha256:{ctx.record.get('sha256', '')}"

    def apply(self, ctx) -> ApplyResult:
        stored = getattr(ctx.transaction, "file", None)
        if stored is None:
            raise ValidationProblem(
                "The transaction carries no schedule file.",
                category=ExceptionCategory.SCHEMA_INVALID,
            )
        try:
            version = schedule_import_file(
                project=ctx.project,
                file_bytes=bytes(stored.content),
                file_name=stored.file_name,
                kind=ctx.canonical["kind"],
                source_project=ctx.canonical["source_project"],
                strict=ctx.canonical["strict"],
                ledger_transaction_id=ctx.transaction.pk,
            )
        except ScheduleImportRefused as exc:
            raise ValidationProblem(
                f"Schedule file refused: {exc.message}",
                category=ExceptionCategory.SCHEMA_INVALID,
                title=f"Schedule file {stored.file_name} refused",
                trace_key=f"schedule-file:{ctx.record.get('sha256', '')}"[:300],
                details={"code": exc.code, "line": exc.line, "file_name": stored.file_name},
            ) from None
        except ApplicationError as exc:
            raise ValidationProblem(
                f"Schedule file not imported: {exc.message}",
                category=ExceptionCategory.SCHEMA_INVALID,
                details={"code": exc.code},
            ) from None
        return ApplyResult(
            subject_id=self.subject(ctx),
            created=not version.already_imported,
            changed=not version.already_imported,
            detail={
                "schedule_version_id": version.pk,
                "kind": version.kind,
                "format": version.source_format,
                "activities": version.counts.get("activities", 0),
                "milestones": version.counts.get("milestones", 0),
                "refused_rows": version.counts.get("refused", 0),
                "slip_events": version.milestone_slips.filter(event_emitted=True).count(),
            },
        )

    def routes(self, ctx, result):
        return []  # the import happened in apply; slip events are their own transactions
