"""Archive ledger months older than the retention period to compressed JSON lines, then drop
the event partitions (PostgreSQL) or DELETE (SQLite) and delete settled transactions."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.ledger.retention import ledger_retention_run


class Command(BaseCommand):
    help = (
        "Archive (gzip JSON lines in --archive-dir) and remove whole ledger months older than "
        "--older-than days: event partitions are detached and dropped on PostgreSQL, rows "
        "deleted on SQLite; settled transactions are deleted, open ones kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, required=True, metavar="DAYS")
        parser.add_argument("--archive-dir", required=True, metavar="DIR")

    def handle(self, *args, **options):
        try:
            result = ledger_retention_run(
                older_than_days=options["older_than"], archive_dir=options["archive_dir"]
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"cutoff {result['cutoff']} "
            f"({'partitioned' if result['partitioned'] else 'unpartitioned: DELETE fallback'})"
        )
        for row in result["results"]:
            self.stdout.write(
                f"{row['table']} {row['month']}: {row['rows']} row(s) archived to "
                f"{row['archive']}, {row['method']} in {row['seconds']} s"
            )
        if not result["results"]:
            self.stdout.write("nothing older than the cutoff")
