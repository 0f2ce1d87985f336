"""Progress of a running import, visible while the import's own transaction is still open.

The import writes everything in one transaction (all or nothing), so progress cannot go through
that transaction: nobody would see it before the end. On PostgreSQL the reporter updates the
ImportJob row through a second, autocommit connection. SQLite allows one writer at a time (the
import holds the lock), so there the reporter writes a small JSON file next to the other
processes on the same machine (an SQLite deployment is one machine by definition).
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import time
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connection, connections

from apps.schedule.parsers.records import ParseProgress

logger = logging.getLogger(__name__)

WRITE_INTERVAL_SECONDS = 0.4


def _progress_file(job_id: int) -> Path:
    database = str(connection.settings_dict.get("NAME", ""))
    tag = hashlib.sha256(database.encode()).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / "integrationhub-import-progress"
    return folder / f"{tag}-{job_id}.json"


class ImportProgressReporter:
    """Callable given to the import service; writes at most every WRITE_INTERVAL_SECONDS."""

    def __init__(self, job_id: int, *, interval: float = WRITE_INTERVAL_SECONDS):
        self.job_id = job_id
        self.interval = interval
        self.last_write = 0.0
        self.use_side_connection = connection.vendor != "sqlite"
        self._side = None
        self.latest: ParseProgress | None = None

    def __call__(self, progress: ParseProgress) -> None:
        self.latest = progress
        now = time.monotonic()
        if now - self.last_write < self.interval:
            return
        self.last_write = now
        self._write(progress.rows, progress.bytes_read)

    def _write(self, rows: int, bytes_read: int) -> None:
        try:
            if self.use_side_connection:
                self._write_row(rows, bytes_read)
            else:
                self._write_file(rows, bytes_read)
        except Exception:  # progress is a courtesy: it must never break the import
            logger.warning("import job %s: progress not recorded", self.job_id, exc_info=True)

    def _write_row(self, rows: int, bytes_read: int) -> None:
        from apps.schedule.models import ImportJob

        if self._side is None:
            self._side = connections.create_connection(DEFAULT_DB_ALIAS)
            with self._side.cursor() as cursor:
                # Never wait on a lock for a progress figure (e.g. a caller that holds the row).
                cursor.execute("SET lock_timeout = '2s'")
        table = ImportJob._meta.db_table
        with self._side.cursor() as cursor:
            cursor.execute(
                f'UPDATE "{table}" SET "rows_processed" = %s, "bytes_processed" = %s '  # noqa: S608 - table name from the model
                'WHERE "id" = %s',
                [rows, bytes_read, self.job_id],
            )

    def _write_file(self, rows: int, bytes_read: int) -> None:
        path = _progress_file(self.job_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"rows": rows, "bytes": bytes_read}))
        temporary.replace(path)

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None
        _progress_file(self.job_id).unlink(missing_ok=True)


def import_progress_read(job) -> tuple[int, int]:
    """(rows, bytes) processed so far for a job: the file on SQLite, else the row."""
    if connection.vendor == "sqlite" and not job.is_finished:
        try:
            values = json.loads(_progress_file(job.id).read_text())
            return int(values["rows"]), int(values["bytes"])
        except (OSError, ValueError, KeyError):
            pass
    return job.rows_processed, job.bytes_processed
