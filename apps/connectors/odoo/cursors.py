"""High-water marks of incremental Odoo pulls, stored per System and model in SyncCursor.

A mark is "<write_date>|<id>" ("2026-03-01 10:00:00|42"): write_date alone is not a keyset,
because Odoo stamps it to the second and a bulk write gives many records the same one.
"""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction

from apps.connectors.models import SyncCursor, System

_MARK = re.compile(
    r"^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})(?:\.\d+)?(?:Z|[+-]00:?00)?(?:\|(\d+))?$"
)


def cursor_key(model: str) -> str:
    return f"{model}:write_date"


def high_water_mark_format(write_date: str | None, record_id: int) -> str:
    return f"{str(write_date or '')[:19]}|{int(record_id)}"


def high_water_mark_parse(value: str) -> tuple[str, int] | None:
    """ "2026-03-01 10:00:00|42" → ("2026-03-01 10:00:00", 42); a bare datetime → id 0."""
    match = _MARK.match((value or "").strip())
    if not match:
        return None
    return match.group(1).replace("T", " "), int(match.group(2) or 0)


def sync_cursor_get(*, system: System, key: str) -> str | None:
    return SyncCursor.objects.filter(system=system, key=key).values_list("value", flat=True).first()


def sync_cursor_advance(*, system: System, key: str, value: str) -> bool:
    """Store a high-water mark if it is newer than the stored one (never moves back, so a slow
    job finishing after a faster one cannot rewind the sync)."""
    new_mark = high_water_mark_parse(value)
    if new_mark is None:
        raise ValueError(f"not a high-water mark: {value!r}")
    for _ in range(3):  # a concurrent first insert loses the unique race once at most
        try:
            with transaction.atomic():
                cursor, created = SyncCursor.objects.select_for_update().get_or_create(
                    system=system, key=key, defaults={"value": high_water_mark_format(*new_mark)}
                )
                if created:
                    return True
                old_mark = high_water_mark_parse(cursor.value)
                if old_mark is not None and old_mark >= new_mark:
                    return False
                cursor.value = high_water_mark_format(*new_mark)
                cursor.save(update_fields=["value", "updated_at"])
                return True
        except IntegrityError:
            continue
    raise RuntimeError(f"could not store the sync cursor {key}")
