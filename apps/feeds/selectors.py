"""Incremental feed pages with an opaque cursor.

Exactly once across pages while writes happen: the cursor is a keyset on (change time, id) and a
page never reads past a *high-water mark* below which no change can still appear:

- `now - FEEDS_SAFETY_LAG_SECONDS` (default 5 s): covers the moment between a row's change time
  being taken in Python and its write reaching the database, and clock skew between app servers;
- on PostgreSQL also the start of the oldest transaction that is writing now (pg_stat_activity,
  backend_xid set), minus the same lag: a transaction that took its change time early but commits
  late (out of order) holds the mark back until it commits, so its rows are never skipped.

Rows changed again after they were served come back with their new change time (each served
version once). The mark is taken before the page is read, so a page only holds rows whose
transactions had finished."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.accounts.selectors import scope_to_user_projects
from apps.core.errors import ApplicationError
from apps.feeds.fieldsets import SPECS, VERSION, FeedSpec

CURSOR_SALT = "ihub.feeds.cursor"
DEFAULT_LIMIT = 500
MAX_LIMIT = 5000


@dataclass
class FeedPage:
    entity: str
    version: str
    fields: list[str]
    rows: list[dict]
    next_cursor: str
    high_water_mark: dt.datetime
    # True when the page ended at the high-water mark (nothing more to read for now).
    complete: bool


def feed_spec(entity: str) -> FeedSpec:
    spec = SPECS.get(entity)
    if spec is None:
        raise ApplicationError(
            f"Unknown feed {entity!r}; feeds: {', '.join(SPECS)}.",
            code="unknown_feed",
            status_code=404,
        )
    return spec


def cursor_encode(*, entity: str, at: dt.datetime, last_id: int) -> str:
    return signing.dumps(
        {"v": VERSION, "e": entity, "t": at.isoformat(), "i": last_id},
        salt=CURSOR_SALT,
        compress=True,
    )


def cursor_decode(*, entity: str, cursor: str) -> tuple[dt.datetime, int]:
    try:
        value = signing.loads(cursor, salt=CURSOR_SALT)
        at = parse_datetime(value["t"])
        last_id = int(value["i"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ApplicationError(
            "The cursor is not one this feed issued.", code="bad_cursor"
        ) from None
    if value.get("e") != entity or value.get("v") != VERSION or at is None:
        raise ApplicationError(
            f"The cursor belongs to another feed ({value.get('e')} {value.get('v')}).",
            code="bad_cursor",
        )
    return at, last_id


def feed_safety_lag() -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, "FEEDS_SAFETY_LAG_SECONDS", 5)))


def feed_high_water_mark(*, now: dt.datetime | None = None) -> dt.datetime:
    """The change time below which every change is committed and visible (see module doc)."""
    lag = feed_safety_lag()
    mark = (now or timezone.now()) - lag
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT min(xact_start) FROM pg_stat_activity "
                "WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() "
                "AND datname = current_database()"
            )
            (oldest,) = cursor.fetchone()
        if oldest is not None:
            mark = min(mark, oldest - lag)
    return mark


def _value(row, accessor):
    if callable(accessor):
        value = accessor(row)
    else:
        value = row
        for part in accessor.split("."):
            value = getattr(value, part, None)
            if value is None:
                break
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def feed_row(spec: FeedSpec, row) -> dict:
    return {name: _value(row, accessor) for name, accessor in spec.fields}


def feed_queryset(*, user, spec: FeedSpec):
    queryset = spec.queryset()
    if spec.project_field:
        queryset = scope_to_user_projects(
            queryset,
            user=user,
            field=spec.project_field,
            include_unscoped=spec.include_unscoped,
        )
        if "__" in spec.project_field:
            queryset = queryset.distinct()
    return queryset


def feed_page(
    *,
    user,
    entity: str,
    cursor: str = "",
    since: dt.datetime | None = None,
    limit: int = DEFAULT_LIMIT,
    now: dt.datetime | None = None,
) -> FeedPage:
    """One page of changes after the cursor (or from `since`, or from the beginning)."""
    spec = feed_spec(entity)
    limit = max(1, min(int(limit), MAX_LIMIT))
    time_field = spec.time_field
    mark = feed_high_water_mark(now=now)
    queryset = feed_queryset(user=user, spec=spec).filter(**{f"{time_field}__lt": mark})
    if cursor:
        at, last_id = cursor_decode(entity=entity, cursor=cursor)
        queryset = queryset.filter(
            Q(**{f"{time_field}__gt": at}) | Q(**{time_field: at, "id__gt": last_id})
        )
    elif since is not None:
        at, last_id = since, 0
        queryset = queryset.filter(**{f"{time_field}__gte": since})
    else:
        at, last_id = None, 0
    rows = list(queryset.order_by(time_field, "id")[:limit])
    if rows:
        last = rows[-1]
        next_cursor = cursor_encode(entity=entity, at=getattr(last, time_field), last_id=last.id)
    elif at is not None:
        next_cursor = cursor or cursor_encode(entity=entity, at=at, last_id=last_id)
    else:
        # Nothing yet: start from the mark next time (nothing older can still appear).
        next_cursor = cursor_encode(entity=entity, at=mark, last_id=0)
    return FeedPage(
        entity=entity,
        version=VERSION,
        fields=spec.field_names,
        rows=[feed_row(spec, row) for row in rows],
        next_cursor=next_cursor,
        high_water_mark=mark,
        complete=len(rows) < limit,
    )
