"""High-water marks for incremental Odoo pulls (SyncCursor)."""

from __future__ import annotations

import pytest

from apps.connectors.models import SyncCursor
from apps.connectors.odoo.cursors import (
    cursor_key,
    high_water_mark_parse,
    sync_cursor_advance,
    sync_cursor_get,
)


def test_high_water_mark_parses_write_date_with_id_and_bare_datetimes():
    assert high_water_mark_parse("2026-03-01 10:00:00|42") == ("2026-03-01 10:00:00", 42)
    assert high_water_mark_parse("2026-03-01T10:00:00+00:00") == ("2026-03-01 10:00:00", 0)
    assert high_water_mark_parse("2026-03-01T10:00:00Z|7") == ("2026-03-01 10:00:00", 7)
    assert high_water_mark_parse("yesterday") is None
    assert high_water_mark_parse("2026-03-01 10:00:00|x") is None


def test_sync_cursor_only_moves_forward(odoo_system_for):
    system = odoo_system_for("http://odoo.test")
    key = cursor_key("purchase.order")
    assert key == "purchase.order:write_date"
    assert sync_cursor_get(system=system, key=key) is None

    assert sync_cursor_advance(system=system, key=key, value="2026-03-01 10:00:00|5") is True
    # Same second, higher id: newer.
    assert sync_cursor_advance(system=system, key=key, value="2026-03-01 10:00:00|9") is True
    # A slower job finishing late must not rewind the mark.
    assert sync_cursor_advance(system=system, key=key, value="2026-03-01 10:00:00|7") is False
    assert sync_cursor_advance(system=system, key=key, value="2026-02-28 23:59:59|99") is False
    assert sync_cursor_get(system=system, key=key) == "2026-03-01 10:00:00|9"
    assert SyncCursor.objects.filter(system=system).count() == 1


def test_sync_cursor_refuses_garbage(odoo_system_for):
    system = odoo_system_for("http://odoo.test")
    with pytest.raises(ValueError):
        sync_cursor_advance(system=system, key="res.partner:write_date", value="not a mark")
