"""Odoo simulator throughput: JSON-RPC search_read and create over pooled httpx clients
(keep-alive), single client and concurrent clients, plus JSON-2 search_read.

The simulator runs as its own process (`manage.py run_odoo_simulator`, as in the demo) on a free
loopback port, so the clients (threads with one pooled httpx.Client each) do not share its GIL.
Figures are requests per second seen by the clients."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]


def _payload(model, method, args, kwargs=None):
    return {
        "jsonrpc": "2.0",
        "method": "call",
        "id": 1,
        "params": {
            "service": "object",
            "method": "execute_kw",
            "args": ["odoo_sim", 2, "admin", model, method, args, kwargs or {}],
        },
    }


def _run_clients(url: str, clients: int, per_client: int, make_request) -> tuple[float, int]:
    """Run `clients` threads doing `per_client` requests each; returns (seconds, errors)."""
    errors = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def worker(index: int) -> None:
        # plain http on loopback; verify=False only skips loading the CA bundle per client
        with httpx.Client(base_url=url, timeout=30.0, verify=False) as client:  # noqa: S501
            barrier.wait()
            for n in range(per_client):
                try:
                    ok = make_request(client, index, n)
                except httpx.HTTPError:
                    ok = False
                if not ok:
                    with lock:
                        errors[0] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(300)
    return time.perf_counter() - started, errors[0]


def _raw_keepalive_rate(url: str, body: dict, count: int) -> float:
    """Requests/s over one keep-alive socket with a minimal client: the server's own capacity,
    without httpx's per-request cost (which dominates the pooled-client figures)."""
    import json

    host, port = url.removeprefix("http://").split(":")
    payload = json.dumps(body).encode()
    request = (
        f"POST /jsonrpc HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = sock.makefile("rb")
        started = time.perf_counter()
        for _ in range(count):
            sock.sendall(request)
            length = 0
            while True:
                line = reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            reader.read(length)
        return count / (time.perf_counter() - started)


def _start_simulator() -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
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
        try:
            if httpx.get(f"{url}/sim/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the Odoo simulator did not start within 30 s")


def run(args) -> list[dict]:
    quick = getattr(args, "quick", False)
    per_client = 200 if quick else 1500
    concurrent = 4 if quick else 8
    process, url = _start_simulator()

    def stats() -> dict:
        return httpx.get(f"{url}/sim/stats", timeout=10).json()

    rows: list[dict] = []
    try:
        search = _payload(
            "res.partner",
            "search_read",
            [[["supplier_rank", ">", 0]]],
            {"fields": ["name", "ref", "vat"], "limit": 10},
        )

        def search_read(client, _index, _n):
            return "result" in client.post("/jsonrpc", json=search).json()

        def create(client, index, n):
            body = _payload(
                "purchase.order",
                "create",
                [
                    {
                        "partner_id": 6,
                        "partner_ref": f"BENCH-{index}-{n}",
                        "order_line": [[0, 0, {"product_id": 1, "product_qty": 3}]],
                    }
                ],
            )
            return "result" in client.post("/jsonrpc", json=body).json()

        def lookup(client, index, n):
            body = _payload(
                "purchase.order",
                "search",
                [[["partner_ref", "=", f"BENCH-{index}-{n}"]]],
            )
            return client.post("/jsonrpc", json=body).json().get("result") is not None

        json2_body = {"domain": [["supplier_rank", ">", 0]], "fields": ["name", "ref"], "limit": 10}

        def json2_search_read(client, _index, _n):
            response = client.post(
                "/json/2/res.partner/search_read",
                json=json2_body,
                headers={"Authorization": "bearer admin"},
            )
            return response.status_code == 200

        cases = [
            ("jsonrpc search_read, 1 client", search_read, 1),
            (f"jsonrpc search_read, {concurrent} clients", search_read, concurrent),
            ("jsonrpc create PO+line, 1 client", create, 1),
            (f"jsonrpc create PO+line, {concurrent} clients", create, concurrent),
            (f"jsonrpc search by partner_ref, {concurrent} cl.", lookup, concurrent),
            (f"json2 search_read, {concurrent} clients", json2_search_read, concurrent),
        ]
        for label, func, clients in cases:
            seconds, errors = _run_clients(url, clients, per_client, func)
            total = clients * per_client
            rows.append(
                {
                    "figure": label,
                    "value": round(total / seconds, 1),
                    "unit": "req/s",
                    "goal": ">= 500",
                    "note": f"{total} requests, {errors} errors, "
                    f"{stats()['records']['purchase.order']} POs in store",
                }
            )
        rows.append(
            {
                "figure": "jsonrpc search_read, raw keep-alive socket",
                "value": round(_raw_keepalive_rate(url, search, per_client * 2), 1),
                "unit": "req/s",
                "goal": ">= 500",
                "note": "server capacity: a minimal client instead of httpx",
            }
        )
        rows.append(
            {
                "figure": "connections accepted (keep-alive check)",
                "value": stats()["connections"],
                "unit": "conns",
                "note": "one per client thread when keep-alive works",
            }
        )
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    return rows
