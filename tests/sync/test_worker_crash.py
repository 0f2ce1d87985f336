"""A worker killed mid-delivery (SIGKILL) loses nothing and duplicates nothing: its lease runs
out, the sweeper releases the rows, another worker finishes them, and the Odoo simulator's
/sim/stats shows each record created exactly once."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from apps.ledger.dispatch import ledger_sweep
from apps.ledger.models import Transaction
from apps.sync.services import sync_policy_save

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a separate worker process must share the test database (PostgreSQL)",
    ),
    pytest.mark.django_db(transaction=True),
]

REPO_ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _start_worker(log_path: Path, *, lease_seconds: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "LEDGER_LEASE_SECONDS": str(lease_seconds),
        "LEDGER_ENQUEUE_ON_COMMIT": "false",
        "PYTHONUNBUFFERED": "1",
    }
    log = open(log_path, "ab")  # noqa: SIM115 (closed with the process below)
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "run_dispatcher",
            "--limit",
            "20",
            "--idle",
            "0.1",
            "--max-seconds",
            "60",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _wait_for(condition, *, deadline_s: float, what: str, poll: float = 0.1):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(poll)
    raise AssertionError(f"timed out waiting for {what}")


def test_killed_worker_mid_delivery_is_finished_by_another_without_duplicates(
    odoo_sim, odoo_target, sync_systems, make_inbound, run_pipeline, tmp_path
):
    sync_policy_save(
        actor=None,
        domain="cost_code",
        source_system=sync_systems.estimating,
        target_system=odoo_target,
    )
    codes = ["41 10 00", "41 20 00", "41 30 00"]
    inbound = [
        make_inbound(sync_systems.estimating, "cost_code", {"code": c, "name": f"Handling {c}"})
        for c in codes
    ]
    assert {t.status for t in run_pipeline(*inbound)} == {"delivered"}
    outbound = Transaction.objects.filter(direction="outbound")
    assert outbound.count() == 3 and set(outbound.values_list("status", flat=True)) == {"pending"}

    # Odoo commits the create, then answers only after 8 s: the worker dies in between.
    odoo_sim.set_faults(
        slow_commit={"delay_ms": 8000},
        match={"methods": ["create"], "models": ["account.analytic.account"]},
        count=1,
    )
    first = _start_worker(tmp_path / "worker1.log", lease_seconds=2)
    try:
        _wait_for(
            lambda: odoo_sim.stats()["created"].get("account.analytic.account", 0) == 3,
            deadline_s=30,
            what="the first worker's create to reach Odoo",
        )
        first.kill()  # SIGKILL: no cleanup, no lease release
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == -9
    claimed = list(outbound.values_list("status", "claimed_by"))
    assert all(status == "pending" and owner for status, owner in claimed), claimed

    _wait_for(
        lambda: ledger_sweep()["released"] == 3 or not outbound.exclude(claimed_by="").exists(),
        deadline_s=15,
        what="the dead worker's leases to expire and be released",
        poll=0.5,
    )
    second = _start_worker(tmp_path / "worker2.log", lease_seconds=30)
    try:
        _wait_for(
            lambda: set(outbound.values_list("status", flat=True)) == {"delivered"},
            deadline_s=40,
            what="the second worker to deliver",
            poll=0.25,
        )
    finally:
        second.terminate()
        second.wait(timeout=15)

    stats = odoo_sim.stats()
    assert stats["created"]["account.analytic.account"] == 3  # never a second record
    for code in codes:
        assert len(odoo_sim.records("account.analytic.account", domain=[("code", "=", code)])) == 1
    assert all(t.attempts == 2 for t in outbound)  # one killed attempt, one that finished
