"""manage.py import_schedule FILE --project CODE [--kind baseline|update]: import one schedule file
(P6 XER, P6 PMXML or MS Project MSPDI, read from the content) with a progress bar and a report."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import ApplicationError
from apps.projects.models import Project
from apps.schedule.choices import ScheduleKind
from apps.schedule.parsers.records import ParseProgress
from apps.schedule.services import schedule_import_stream

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Import a schedule file as a baseline or an update of a project. All or nothing: a file "
        "that cannot be read is refused with the line that stopped it (exit status 1)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--project", required=True, help="the hub project's code, e.g. SCH-001")
        parser.add_argument(
            "--kind",
            choices=ScheduleKind.values,
            default=ScheduleKind.UPDATE,
            help="default: update",
        )
        parser.add_argument(
            "--source-project",
            default="",
            help="the project to import when the file holds several (P6 project id)",
        )
        parser.add_argument(
            "--strict", action="store_true", help="refuse the file if any row cannot be read"
        )

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        project = Project.objects.filter(code=options["project"]).first()
        if project is None:
            raise CommandError(f"no project with code '{options['project']}'")
        interactive = self.stdout.isatty()
        last_print = [0.0]

        def progress(step: ParseProgress) -> None:
            now = time.monotonic()
            if now - last_print[0] < (0.1 if interactive else 1.0):
                return
            last_print[0] = now
            self._bar(step.rows, step.bytes_read, step.bytes_total, interactive)

        with path.open("rb") as stream:
            try:
                version = schedule_import_stream(
                    project=project,
                    stream=stream,
                    file_name=path.name,
                    kind=options["kind"],
                    progress=progress,
                    source_project=options["source_project"],
                    strict=options["strict"],
                )
            except ApplicationError as error:
                if interactive:
                    self.stdout.write("")
                raise CommandError(f"refused: {error.message}") from None
        rows = sum(version.counts.get("tables", {}).values())
        self._bar(rows, version.file_size, version.file_size, interactive)
        self.stdout.write("")
        self._report(version)

    def _bar(self, rows: int, done: int, total: int, interactive: bool) -> None:
        fraction = done / total if total else 1.0
        filled = int(BAR_WIDTH * fraction)
        line = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {fraction:4.0%}  {rows:,} rows"
        self.stdout.write(line, ending="\r" if interactive else "\n")

    def _report(self, version) -> None:
        write = self.stdout.write
        if version.already_imported:
            write(self.style.WARNING(f"already imported as version #{version.id}; nothing changed"))
        counts = version.counts
        write(
            self.style.SUCCESS(
                f"version #{version.id}: {version.get_kind_display().lower()} of "
                f"{version.project.code} from {version.get_source_format_display()}"
            )
        )
        write(
            f"  source project {version.source_project_code or '—'} "
            f"{version.source_project_name}; data date "
            f"{version.data_date.date().isoformat() if version.data_date else '—'}; "
            f"encoding {version.encoding or '—'}"
        )
        write(
            "  "
            + ", ".join(
                f"{label} {counts.get(key, 0)}"
                for key, label in (
                    ("activities", "activities"),
                    ("milestones", "milestones"),
                    ("wbs", "WBS"),
                    ("calendars", "calendars"),
                    ("refused", "refused rows"),
                )
            )
        )
        tables = counts.get("tables", {})
        if tables:
            write("  tables: " + ", ".join(f"{name} {rows}" for name, rows in tables.items()))
        for warning in version.warnings:
            where = f"line {warning['line']}: " if warning.get("line") else ""
            write(self.style.WARNING(f"  warning: {where}{warning['message']}"))
        for row in version.refused_rows[:20]:
            write(
                self.style.ERROR(
                    f"  refused: line {row['line']} {row['table']} {row['key']}: {row['reason']}"
                )
            )
        if len(version.refused_rows) > 20:
            write(f"  … {version.refused_count - 20} more refused rows (see the import report)")
        for slip in version.milestone_slips.order_by("task_code"):
            flag = "  EVENT milestone.slipped" if slip.event_emitted else ""
            days = "—" if slip.slip_days is None else slip.slip_days
            write(
                f"  milestone {slip.task_code}: baseline {slip.baseline_date or '—'} → "
                f"{slip.current_date or '—'}, slip {days} working days "
                f"(threshold {slip.threshold_days}){flag}"
            )
