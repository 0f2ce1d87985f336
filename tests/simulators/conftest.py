"""Helpers for the Odoo simulator tests: JSON-RPC, XML-RPC and JSON-2 calls over loopback."""

from __future__ import annotations

import httpx
import pytest


class JsonRpc:
    def __init__(self, sim, client: httpx.Client):
        self.sim = sim
        self.client = client

    def raw(self, service: str, method: str, *args, request_id=1) -> dict:
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": request_id,
            "params": {"service": service, "method": method, "args": list(args)},
        }
        response = self.client.post("/jsonrpc", json=payload)
        assert response.status_code == 200, response.text
        return response.json()

    def execute_kw(self, model, method, args=(), kwargs=None, *, user="admin") -> dict:
        account = self.sim.users[user]
        return self.raw(
            "object",
            "execute_kw",
            self.sim.db,
            account.uid,
            account.password,
            model,
            method,
            list(args),
            kwargs or {},
        )

    def ok(self, model, method, args=(), kwargs=None, *, user="admin"):
        data = self.execute_kw(model, method, args, kwargs, user=user)
        assert "error" not in data, data["error"]["data"]["message"]
        return data.get("result")

    def error(self, model, method, args=(), kwargs=None, *, user="admin") -> dict:
        data = self.execute_kw(model, method, args, kwargs, user=user)
        assert "error" in data, f"expected an error, got {data!r}"
        return data["error"]


@pytest.fixture
def odoo_http(odoo_sim):
    # plain http on loopback: verify=False skips loading the CA bundle (~0.1 s per client)
    with httpx.Client(base_url=odoo_sim.url, timeout=10.0, verify=False) as client:
        yield client


@pytest.fixture
def odoo_rpc(odoo_sim, odoo_http) -> JsonRpc:
    return JsonRpc(odoo_sim, odoo_http)
