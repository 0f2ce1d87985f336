"""manage.py export_feed <entity> [--since ISO] [--cursor C] --out FILE [--format jsonl|csv]

Writes every change of a feed (v1 field set) after --since / --cursor to a file, page by page,
with a progress bar on stderr; prints the cursor to continue from next time."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from apps.core.errors import ApplicationError
from apps.feeds.exports import FORMATS, rows_as
from apps.feeds.fieldsets import ENTITIES
from apps.feeds.selectors import MAX_LIMIT, feed_page, feed_queryset, feed_spec


class _SystemReader:
    """The command reads as the system: every project (admins' scope)."""

    is_authenticated = True
    is_active = True
    is_superuser = True
    pk = id = None
    _ihub_roles = {"integration_admin"}


def _bar(done: int, total: int, width: int = 30) -> str:
    share = done / total if total else 1.0
    filled = int(width * min(share, 1.0))
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


class Command(BaseCommand):
    help = "Export an incremental reporting feed to a JSON Lines or CSV file."

    def add_arguments(self, parser):
        parser.add_argument("entity", choices=ENTITIES)
        parser.add_argument("--out", required=True, help="File to write ('-' = stdout)")
        parser.add_argument("--since", default="", help="ISO 8601 change time to start at")
        parser.add_argument("--cursor", default="", help="Continue from a cursor")
        parser.add_argument("--format", choices=list(FORMATS), default="jsonl")
        parser.add_argument("--page-size", type=int, default=1000)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, entity, out, since, cursor, format, page_size, no_progress, **kw):
        since_at = None
        if since:
            since_at = parse_datetime(since)
            if since_at is None or since_at.tzinfo is None:
                raise CommandError("--since must be an ISO 8601 date-time with a time zone")
        user = _SystemReader()
        spec = feed_spec(entity)
        queryset = feed_queryset(user=user, spec=spec)
        if since_at is not None and not cursor:
            queryset = queryset.filter(**{f"{spec.time_field}__gte": since_at})
        total = queryset.count()  # an estimate: writes may add rows while we export
        page_size = max(1, min(page_size, MAX_LIMIT))
        stream = sys.stdout if out == "-" else open(out, "w", encoding="utf-8", newline="")  # noqa: SIM115
        written = 0
        try:
            header = True
            while True:
                try:
                    page = feed_page(
                        user=user,
                        entity=entity,
                        cursor=cursor,
                        since=since_at,
                        limit=page_size,
                    )
                except ApplicationError as exc:
                    raise CommandError(exc.message) from None
                stream.write(rows_as(format, page.rows, page.fields, header=header))
                header = False
                written += len(page.rows)
                cursor = page.next_cursor
                if not no_progress:
                    self.stderr.write(f"\r{entity} {_bar(written, max(total, written))}", ending="")
                if page.complete:
                    break
        finally:
            if stream is not sys.stdout:
                stream.close()
        if not no_progress:
            self.stderr.write("")
        self.stdout.write(f"{written} {entity} rows written to {out}")
        self.stdout.write(f"next cursor: {cursor}")
