"""Fixtures of the crash matrix (tests/chaos): the hub's processes around one test."""

from __future__ import annotations

import contextlib
import os

import pytest
from django.db import connection

from tests.chaos.harness import Hub, redis_flush, setup_systems


def chaos_runs(default: int = 1) -> int:
    return max(1, int(os.environ.get("CHAOS_RUNS", default)))


@pytest.fixture
def hub(request, transactional_db, tmp_path):
    """Odoo simulator process, gunicorn, two qcluster workers and the dispatch ticker against
    this test's PostgreSQL database and Redis DB 7. Logs in tmp_path/*.log."""
    if connection.vendor != "postgresql":
        pytest.skip("the crash matrix runs on PostgreSQL (DATABASE_URL=postgres://...)")
    try:
        redis_flush()
    except Exception as exc:  # no Redis: the broker the workers need
        pytest.skip(f"Redis not reachable for the crash matrix: {exc}")
    hub = Hub(workdir=tmp_path, odoo=request.getfixturevalue("odoo_sim_process"))
    setup_systems(hub)
    try:
        hub.start_web()
        hub.start_worker()
        hub.start_worker()
        hub.start_ticker()
        yield hub
    finally:
        hub.stop()
        with contextlib.suppress(Exception):
            redis_flush()
