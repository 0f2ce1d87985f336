"""manage.py import_bank_statement FILE [FILE ...]: camt.052/053/054 or MT940, sniffed from
the content; one progress line per file; exit status 1 if any file was refused."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.banking.errors import StatementRefused
from apps.banking.services import bank_statement_import


class Command(BaseCommand):
    help = "Import bank statement files (camt.053/camt.054/camt.052, MT940) and reconcile them."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument(
            "--no-reconcile", action="store_true", help="store the statements, do not match"
        )

    def handle(self, *args, files: list[Path], no_reconcile: bool, **options):
        refused = 0
        for number, path in enumerate(files, start=1):
            prefix = f"[{number}/{len(files)}] {path.name}"
            try:
                content = path.read_bytes()
            except OSError as exc:
                refused += 1
                self.stderr.write(f"{prefix}: cannot read the file: {exc.strerror}")
                continue
            try:
                result = bank_statement_import(
                    file_bytes=content, file_name=path.name, reconcile=not no_reconcile
                )
            except StatementRefused as exc:
                refused += 1
                self.stderr.write(self.style.ERROR(f"{prefix}: refused: {exc.message}"))
                continue
            self.stdout.write(f"{prefix}: {result.summary}")
        if refused:
            raise CommandError(f"{refused} of {len(files)} files refused")
