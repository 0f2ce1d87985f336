"""Pipeline throughput: received → delivered to the Odoo simulator, with two dispatcher workers.

N inbound cost-code transactions (the rows ingest would have written) go through the whole
path: claim → validate → SoR → map → apply (canonical store) → route (outbound child) → claim →
grouped delivery (push_many: one Odoo `create` for many records, idempotent lookups, external
ids) → delivered + binding. Two `manage.py run_dispatcher` processes share the work on
PostgreSQL (SKIP LOCKED claims); the Odoo simulator runs as a third process on loopback.

Figures: end-to-end transactions per second (inbound received → outbound delivered), Odoo HTTP
round trips per 100 transactions (from the simulator's /sim/stats), and the pipeline's own
share (inbound processing only, one worker in-process) for comparison.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from benchmarks.bench_odoo_connector import _start_simulator, _stop

REPO_ROOT = Path(__file__).resolve().parents[1]
DEADLINE_SECONDS = 180


def _start_workers(count: int) -> list[subprocess.Popen]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "LEDGER_ENQUEUE_ON_COMMIT": "false"}
    return [
        subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "run_dispatcher",
                "--limit",
                "200",
                "--idle",
                "0.05",
                "--max-seconds",
                str(DEADLINE_SECONDS),
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


def _stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(10)


def _setup(run: str, url: str):
    from apps.connectors.models import System
    from apps.sync.models import DeliverySettings
    from apps.sync.services import sync_policy_save

    source = System.objects.create(
        code=f"bench-est-{run}", name="Bench estimating", kind="estimating", connector="estimating"
    )
    target = System.objects.create(
        code=f"bench-odoo-{run}",
        name="Bench Odoo",
        kind="odoo",
        connector="odoo",
        base_url=url,
        credentials={"database": "odoo_sim", "username": "admin", "password": "admin"},
        rate_limit_per_minute=0,
    )
    DeliverySettings.objects.create(system=target, batch_size=100)
    sync_policy_save(actor=None, domain="cost_code", source_system=source, target_system=target)
    return source, target


def _record(source, run: str, count: int, offset: int = 0) -> list[int]:
    from apps.ledger.choices import Trigger
    from apps.ledger.services import transaction_record_inbound

    ids = []
    for i in range(offset, offset + count):
        tx, _ = transaction_record_inbound(
            system=source,
            domain="cost_code",
            operation="upsert",
            payload={"code": f"{run}-{i:05d}", "name": f"Benchmark code {i}"},
            idempotency_key=f"bench-{run}-{i}",
            trigger=Trigger.WEBHOOK,
        )
        ids.append(tx.id)
    return ids


def _stats(url: str) -> dict:
    return httpx.get(f"{url}/sim/stats", timeout=5).json()


def run(args) -> list[dict]:
    from apps.ledger.models import Transaction
    from apps.sync.pipeline import transactions_process

    count = 300 if args.quick else 2000
    rows: list[dict] = []
    simulator, url = _start_simulator()
    try:
        run_id = uuid.uuid4().hex[:6]
        source, target = _setup(run_id, url)

        # 1) The whole path with two workers.
        inbound_ids = _record(source, run_id, count)
        before = _stats(url)
        started = time.monotonic()
        workers = _start_workers(2)
        outbound = Transaction.objects.filter(direction="outbound", system=target)
        try:
            deadline = started + DEADLINE_SECONDS
            while time.monotonic() < deadline:
                if outbound.filter(status="delivered").count() >= count:
                    break
                time.sleep(0.1)
            elapsed = time.monotonic() - started
        finally:
            _stop_workers(workers)
        delivered = outbound.filter(status="delivered").count()
        after = _stats(url)
        round_trips = after["requests"] - before["requests"]
        creates = after.get("methods", {}).get("account.analytic.account.create", 0) - before.get(
            "methods", {}
        ).get("account.analytic.account.create", 0)
        not_done = Transaction.objects.filter(id__in=inbound_ids).exclude(status="delivered")
        note = f"{delivered}/{count} delivered" + (
            f", {not_done.count()} inbound not done" if not_done.exists() else ""
        )
        rows.append(
            {
                "figure": "received → delivered to Odoo, 2 workers",
                "value": round(delivered / elapsed, 1) if elapsed else 0.0,
                "unit": "tx/s",
                "note": note,
            }
        )
        rows.append(
            {
                "figure": "Odoo round trips per 100 transactions",
                "value": round(round_trips * 100 / max(1, delivered), 1),
                "unit": "requests",
                "note": f"{creates} create call(s) for {delivered} records",
            }
        )
        rows.append(
            {
                "figure": "time for the whole batch",
                "value": round(elapsed, 2),
                "unit": "s",
                "note": f"{count} transactions, PostgreSQL, simulator on loopback",
            }
        )

        # 2) The pipeline alone (inbound stages, no routing, no HTTP), one worker in-process.
        from apps.sync.models import SyncPolicy

        SyncPolicy.objects.filter(target_system=target).update(enabled=False)
        pipeline_count = min(count, 500)
        ids = _record(source, run_id, pipeline_count, offset=count)
        transactions = list(Transaction.objects.filter(id__in=ids).select_related("system"))
        started = time.monotonic()
        for start in range(0, len(transactions), 200):
            transactions_process(transactions[start : start + 200])
        elapsed = time.monotonic() - started
        rows.append(
            {
                "figure": "pipeline stages only (1 worker, in-process)",
                "value": round(pipeline_count / elapsed, 1) if elapsed else 0.0,
                "unit": "tx/s",
                "note": "validate → SoR → map → apply; no routing, no delivery",
            }
        )
        _retire(source, target)
    finally:
        _stop(simulator)
    return rows


def _retire(source, target) -> None:
    """Leave nothing due behind in the benchmark database: a later run's workers must not
    spend time on this run's systems (its simulator is gone)."""
    from apps.ledger.choices import TransactionStatus
    from apps.ledger.models import Transaction
    from apps.ledger.services import transactions_transition_bulk

    leftovers = list(
        Transaction.objects.filter(
            system=target, status__in=[TransactionStatus.PENDING, TransactionStatus.RETRYING]
        )
    )
    if leftovers:
        transactions_transition_bulk(
            transactions=leftovers,
            to_status=TransactionStatus.FAILED,
            actor="benchmark",
            error_code="benchmark_ended",
            error_message="the benchmark run ended before delivery",
        )
    type(source).objects.filter(pk__in=[source.pk, target.pk]).update(enabled=False)
