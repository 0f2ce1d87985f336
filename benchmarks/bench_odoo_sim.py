"""Odoo simulator throughput: JSON-RPC search_read and create over pooled httpx clients
(keep-alive), single client and concurrent clients, plus JSON-2 search_read.

The simulator runs in this process on a free loopback port, like the test fixture; the clients
are threads with one pooled httpx.Client each. Figures are requests per second."""

from __future__ import annotations

import threading
import time

import httpx

from apps.simulators.odoo.app import OdooSimulator
from apps.simulators.odoo.server import SimulatorServer


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


def run(args) -> list[dict]:
    quick = getattr(args, "quick", False)
    per_client = 200 if quick else 1500
    concurrent = 4 if quick else 8
    app = OdooSimulator()
    server = SimulatorServer(app, host="127.0.0.1", port=0).start()
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
            seconds, errors = _run_clients(server.url, clients, per_client, func)
            total = clients * per_client
            rows.append(
                {
                    "figure": label,
                    "value": round(total / seconds, 1),
                    "unit": "req/s",
                    "goal": ">= 500",
                    "note": f"{total} requests, {errors} errors, "
                    f"{app.stats()['records']['purchase.order']} POs in store",
                }
            )
        rows.append(
            {
                "figure": "connections accepted (keep-alive check)",
                "value": app.stats()["connections"],
                "unit": "conns",
                "note": "one per client thread when keep-alive works",
            }
        )
    finally:
        server.stop()
    return rows
