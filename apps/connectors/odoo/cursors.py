"""High-water marks of incremental Odoo pulls, stored per System and model in SyncCursor.

Odoo's write_date travels as "YYYY-MM-DD HH:MM:SS": one-second resolution, and a bulk write
gives many records the same value. A mark that is only a datetime either loses records changed
later in the same second (`>` the mark) or re-delivers the whole second every run (`>=`). So a
mark is the newest write_date second plus the records already delivered in that second, each
with a digest of its content:

    "2026-03-01 10:00:00|12:5f0a1c93be,15:09d1e2aa40"

The next pull reads `write_date >= 2026-03-01 10:00:00` (the ">= window", reference §4) and drops
what the mark lists with the same digest; a record changed again inside that second has a new
digest and comes through. A bare datetime is a valid mark (nothing seen yet in its second).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from apps.connectors.models import SyncCursor, System

# Beyond this many records in one second the list is cut: the rest is re-delivered once and
# deduplicated by the records' idempotency keys downstream (same id, write_date and digest).
MAX_SEEN = 5000
EPOCH = "1970-01-01 00:00:00"

_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.\d+)?(?:Z|[+-]00:?00)?$")
_SEEN_ENTRY = re.compile(r"^(\d+)(?::([0-9a-f]{1,64}))?$")


@dataclass(frozen=True)
class Mark:
    """A position in an Odoo model's change stream."""

    write_date: str
    seen: dict[int, str] = field(default_factory=dict)  # id -> content digest ("" = unknown)

    def format(self, *, max_seen: int | None = MAX_SEEN) -> str:
        """The text form. Stored marks keep at most MAX_SEEN entries; a page cursor keeps all
        (cutting one would make the next page re-read the cut records, again and again)."""
        if not self.seen:
            return self.write_date
        entries = sorted(self.seen.items())
        if max_seen is not None:
            entries = entries[-max_seen:]
        return (
            f"{self.write_date}|"
            f"{','.join(f'{rid}:{digest}' if digest else str(rid) for rid, digest in entries)}"
        )

    def merged(self, other: Mark) -> Mark:
        """The later of two marks; for the same second, the union of what both saw."""
        if other.write_date > self.write_date:
            return other
        if other.write_date < self.write_date:
            return self
        return Mark(self.write_date, {**self.seen, **other.seen})


def cursor_key(model: str) -> str:
    return f"{model}:write_date"


def mark_parse(value: str | None) -> Mark | None:
    """Parse a stored mark; None if it is not one (garbage is refused, never guessed)."""
    text = (value or "").strip()
    moment, _, entries = text.partition("|")
    match = _DATETIME.match(moment.strip())
    if not match:
        return None
    seen: dict[int, str] = {}
    for entry in filter(None, (e.strip() for e in entries.split(","))):
        entry_match = _SEEN_ENTRY.match(entry)
        if not entry_match:
            return None
        seen[int(entry_match.group(1))] = entry_match.group(2) or ""
    return Mark(f"{match.group(1)} {match.group(2)}", seen)


def sync_cursor_get(*, system: System, key: str) -> str | None:
    return SyncCursor.objects.filter(system=system, key=key).values_list("value", flat=True).first()


def sync_cursor_advance(*, system: System, key: str, value: str) -> bool:
    """Store a high-water mark if it moves the stored one forward (never back, so a slow job
    finishing after a faster one cannot rewind the sync). True if the stored mark changed."""
    new_mark = mark_parse(value)
    if new_mark is None:
        raise ValueError(f"not a high-water mark: {value!r}")
    for _ in range(3):  # a concurrent first insert loses the unique race once at most
        try:
            with transaction.atomic():
                cursor, created = SyncCursor.objects.select_for_update().get_or_create(
                    system=system, key=key, defaults={"value": new_mark.format()}
                )
                if created:
                    return True
                old_mark = mark_parse(cursor.value)
                merged = new_mark if old_mark is None else old_mark.merged(new_mark)
                text = merged.format()
                if text == cursor.value:
                    return False
                cursor.value = text
                cursor.save(update_fields=["value", "updated_at"])
                return True
        except IntegrityError:
            continue
    raise RuntimeError(f"could not store the sync cursor {key}")
