"""Odoo connector throughput against the Odoo simulator (a separate process on a free loopback
port): batched create (push_many → one `create` per 100 records), one-by-one push for
comparison, and paged reads (pull by id, 200 per page), over JSON-RPC and JSON-2.

Figures: records per second and Odoo round trips per 1,000 records (what the sync engine pays
per delivery). Idempotency lookups, xmlid rows and read-backs are included: this is the real
cost of a safe write, not a bare `create`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_simulator() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_odoo_simulator", "--port", str(port)],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Odoo simulator exited with code {process.returncode}")
        try:
            if httpx.get(f"{url}/sim/health", timeout=1.0).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("the Odoo simulator did not start within 30 s")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def _vendor(tag: str, n: int) -> dict:
    return {
        "payload": {"ref": f"{tag}-{n:06d}", "name": f"Bench vendor {tag} {n}", "country": "DE"},
        "idempotency_key": f"bench:{tag}:{n}",
    }


def run(args) -> list[dict]:
    from apps.connectors.models import System
    from apps.connectors.odoo.client import odoo_clients_close
    from apps.connectors.registry import connector_for

    batched_n = 500 if args.quick else 5000
    single_n = 100 if args.quick else 500
    rows: list[dict] = []
    process, url = _start_simulator()
    systems = []
    try:
        for api in ("jsonrpc", "json2"):
            credentials = (
                {"database": "odoo_sim", "api_key": "admin"}
                if api == "json2"
                else {"database": "odoo_sim", "username": "admin", "password": "admin"}
            )
            system = System.objects.create(
                code=f"bench-odoo-{api}-{os.getpid()}",
                name=f"Odoo bench ({api})",
                kind="odoo",
                connector="odoo",
                base_url=url,
                credentials=credentials,
                options={"api": api, "batch_size": 100},
            )
            systems.append(system)
            connector = connector_for(system)
            connector.health()  # log in and open the pooled connection outside the timing

            tag = f"B-{api}"
            items = [_vendor(tag, n) for n in range(batched_n)]
            trips = connector.round_trips
            started = time.perf_counter()
            outcomes = connector.push_many(domain="vendor", operation="create", items=items)
            seconds = time.perf_counter() - started
            failed = sum(1 for o in outcomes if not hasattr(o, "external_id"))
            created = sum(1 for o in outcomes if getattr(o, "created", False))
            batch_trips = connector.round_trips - trips
            rows.append(
                {
                    "figure": f"{api} batched create (push_many, 100/call)",
                    "value": batched_n / seconds,
                    "unit": "records/s",
                    "note": f"{batched_n} vendors: {created} created, {failed} failed",
                }
            )
            rows.append(
                {
                    "figure": f"{api} batched create round trips",
                    "value": batch_trips * 1000 / batched_n,
                    "unit": "per 1k rec",
                    "goal": "<= 50",
                }
            )

            tag = f"S-{api}"
            trips = connector.round_trips
            started = time.perf_counter()
            for n in range(single_n):
                item = _vendor(tag, n)
                connector.push(
                    domain="vendor",
                    operation="create",
                    payload=item["payload"],
                    idempotency_key=item["idempotency_key"],
                )
            seconds = time.perf_counter() - started
            rows.append(
                {
                    "figure": f"{api} one-by-one push",
                    "value": single_n / seconds,
                    "unit": "records/s",
                    "note": f"{(connector.round_trips - trips) * 1000 / single_n:.0f} round "
                    "trips per 1k records",
                }
            )

            trips = connector.round_trips
            pulled = 0
            cursor = None
            started = time.perf_counter()
            for _ in range(10_000):
                page = connector.pull(domain="vendor", cursor=cursor, limit=200)
                pulled += len(page.records)
                cursor = page.next_cursor
                if cursor is None:
                    break
            seconds = time.perf_counter() - started
            rows.append(
                {
                    "figure": f"{api} paged read (pull by id, 200/page)",
                    "value": pulled / seconds,
                    "unit": "records/s",
                    "note": f"{pulled} vendors",
                }
            )
            rows.append(
                {
                    "figure": f"{api} paged read round trips",
                    "value": (connector.round_trips - trips) * 1000 / max(pulled, 1),
                    "unit": "per 1k rec",
                    "goal": "<= 10",
                }
            )
            connector.close()
    finally:
        odoo_clients_close()
        for system in systems:
            system.delete()
        _stop(process)
    return rows
