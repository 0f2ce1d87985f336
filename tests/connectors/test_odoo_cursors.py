"""High-water marks for incremental Odoo pulls (SyncCursor)."""

from __future__ import annotations

import pytest

from apps.connectors.models import SyncCursor
from apps.connectors.odoo.cursors import (
    MAX_SEEN,
    Mark,
    cursor_key,
    mark_parse,
    sync_cursor_advance,
    sync_cursor_get,
)


def test_mark_parses_bare_datetimes_and_seen_records():
    assert mark_parse("2026-03-01 10:00:00") == Mark("2026-03-01 10:00:00", {})
    assert mark_parse("2026-03-01T10:00:00+00:00") == Mark("2026-03-01 10:00:00", {})
    assert mark_parse("2026-03-01 10:00:00|12:ab12,7") == Mark(
        "2026-03-01 10:00:00", {12: "ab12", 7: ""}
    )
    assert mark_parse("yesterday") is None
    assert mark_parse("2026-03-01 10:00:00|x") is None
    text = "2026-03-01 10:00:00|7,12:ab12"
    assert mark_parse(text).format() == text


def test_stored_marks_keep_a_bounded_seen_list_but_page_cursors_keep_all():
    mark = Mark("2026-03-01 10:00:00", {n: "aa" for n in range(MAX_SEEN + 10)})
    assert len(mark_parse(mark.format()).seen) == MAX_SEEN
    assert len(mark_parse(mark.format(max_seen=None)).seen) == MAX_SEEN + 10


def test_sync_cursor_only_moves_forward(odoo_system_for):
    system = odoo_system_for("http://odoo.test")
    key = cursor_key("purchase.order")
    assert key == "purchase.order:write_date"
    assert sync_cursor_get(system=system, key=key) is None

    assert sync_cursor_advance(system=system, key=key, value="2026-03-01 10:00:00|5:aa") is True
    # Same second: what both saw is merged.
    assert sync_cursor_advance(system=system, key=key, value="2026-03-01 10:00:00|9:bb") is True
    assert sync_cursor_advance(system=system, key=key, value="2026-03-01 10:00:00|9:bb") is False
    # A slower job finishing late must not rewind the mark.
    assert sync_cursor_advance(system=system, key=key, value="2026-02-28 23:59:59|99") is False
    assert sync_cursor_get(system=system, key=key) == "2026-03-01 10:00:00|5:aa,9:bb"
    # A later second replaces the list.
    assert sync_cursor_advance(system=system, key=key, value="2026-03-01 10:00:01|3:cc") is True
    assert sync_cursor_get(system=system, key=key) == "2026-03-01 10:00:01|3:cc"
    assert SyncCursor.objects.filter(system=system).count() == 1


def test_sync_cursor_refuses_garbage(odoo_system_for):
    system = odoo_system_for("http://odoo.test")
    with pytest.raises(ValueError):
        sync_cursor_advance(system=system, key="res.partner:write_date", value="not a mark")
