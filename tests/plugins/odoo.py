"""pytest fixtures for the Odoo work (registered in tests/conftest.py).

`odoo_sim`: the Odoo simulator (apps/simulators/odoo) served in this process on a free loopback
port for the whole session, reset to its seed data (faults cleared, stats zeroed) before each test
that uses it. It returns an OdooSim:

    url            "http://127.0.0.1:PORT" (JSON-RPC at /jsonrpc, XML-RPC at /xmlrpc/2/…,
                   JSON-2 at /json/2/<model>/<method>, web session routes at /web/…)
    db             "odoo_sim"
    username, password, api_key   "admin", "admin", "admin"  (full rights)
    uid            2 (admin)
    users          {"admin"|"readonly"|"buyer": SimUser(login, password, api_key, uid)}
                   readonly reads everything and writes nothing; buyer has purchase and stock
                   rights, read-only accounting
    stats()        GET /sim/stats -> {"requests", "protocols", "services", "methods"
                   ("purchase.order.create": n), "models", "errors" (by exception name),
                   "faults" (by kind), "logins", "created"/"written"/"unlinked" (per model),
                   "records" (current count per model)}
    set_faults(**config)  replace the fault plan, e.g. set_faults(error_rate=1.0,
                   error="http_503", match={"methods": ["create"]}, count=2); every key is
                   documented in apps/simulators/odoo/faults.py
    clear_faults()
    reset()        seed data back, sessions dropped, stats zeroed, faults cleared
    records(model, fields=None, domain=None) -> list[dict]
                   every record (archived too) in read() format, ordered by id
    call(model, method, *args, **kwargs)
                   execute_kw as admin over JSON-RPC (raises OdooRPCError)
    app            the OdooSimulator itself (in-process only)

`odoo_sim_process`: the same API served by a separate `manage.py run_odoo_simulator --port <free>`
process (function-scoped, state file tmp_path/odoo_state.json, autosave every 0.2 s), for crash
and restart tests; adds .process, .port, .state_file, .kill() (SIGKILL), .terminate() (SIGTERM,
waits; state saved) and .restart() (same port, same state file).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from apps.simulators.odoo.app import OdooSimulator
from apps.simulators.odoo.seed import DATABASE, USERS
from apps.simulators.odoo.server import SimulatorServer

REPO_ROOT = Path(__file__).resolve().parents[2]
ADMIN_UID = 2


class OdooRPCError(Exception):
    """A JSON-RPC error object returned by the simulator (`.error` holds it)."""

    def __init__(self, error: dict):
        super().__init__(error.get("data", {}).get("message") or error.get("message"))
        self.error = error
        self.name = error.get("data", {}).get("name")


@dataclass(frozen=True)
class SimUser:
    login: str
    password: str
    api_key: str
    uid: int


def _users() -> dict[str, SimUser]:
    # seed order: uid 1 is OdooBot, then the USERS list
    return {
        login: SimUser(login, password, api_key, uid)
        for uid, (login, _name, password, api_key, _groups) in enumerate(USERS, start=2)
    }


@dataclass
class OdooSim:
    url: str
    db: str = DATABASE
    username: str = "admin"
    password: str = "admin"
    api_key: str = "admin"
    uid: int = ADMIN_UID
    users: dict[str, SimUser] = field(default_factory=_users)
    app: OdooSimulator | None = None
    _client: httpx.Client | None = field(default=None, repr=False)

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(base_url=self.url, timeout=10.0, verify=False)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def stats(self) -> dict:
        if self.app is not None:
            return self.app.stats()
        response = self.client.get("/sim/stats")
        response.raise_for_status()
        return response.json()

    def set_faults(self, **config) -> None:
        if self.app is not None:  # direct: works even while a "refuse" outage closes the port
            self.app.set_faults(config)
            return
        response = self.client.post("/sim/faults", json=config)
        response.raise_for_status()

    def clear_faults(self) -> None:
        if self.app is not None:
            self.app.set_faults({})
            return
        self.client.delete("/sim/faults").raise_for_status()

    def reset(self) -> None:
        if self.app is not None:
            self.app.reset()
            return
        self.client.post("/sim/reset").raise_for_status()

    def records(self, model: str, fields: list[str] | None = None, domain=None) -> list[dict]:
        params = {}
        if fields:
            params["fields"] = ",".join(fields)
        if domain:
            params["domain"] = json.dumps(domain)
        response = self.client.get(f"/sim/records/{model}", params=params)
        response.raise_for_status()
        return response.json()

    def call(self, model: str, method: str, *args, **kwargs):
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [self.db, self.uid, self.password, model, method, list(args), kwargs],
            },
        }
        data = self.client.post("/jsonrpc", json=payload).json()
        if "error" in data:
            raise OdooRPCError(data["error"])
        return data.get("result")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_listening(url: str, deadline_s: float = 20.0, proc=None) -> None:
    deadline = time.monotonic() + deadline_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the simulator exited with code {proc.returncode}")
        try:
            if httpx.get(f"{url}/sim/health", timeout=1.0, verify=False).status_code == 200:
                return
        except httpx.HTTPError as exc:
            last_error = exc
        time.sleep(0.05)
    raise RuntimeError(f"the simulator did not answer at {url} within {deadline_s}s: {last_error}")


@pytest.fixture(scope="session")
def _odoo_sim_server():
    app = OdooSimulator()
    server = SimulatorServer(app, host="127.0.0.1", port=0).start()
    wait_until_listening(server.url)
    sim = OdooSim(url=server.url, app=app)
    yield sim
    sim.close()
    server.stop()


@pytest.fixture
def odoo_sim(_odoo_sim_server) -> OdooSim:
    """The in-process Odoo simulator, reset to its seed data for this test."""
    _odoo_sim_server.reset()
    yield _odoo_sim_server
    _odoo_sim_server.clear_faults()


@dataclass
class OdooSimProcess(OdooSim):
    port: int = 0
    state_file: Path | None = None
    process: subprocess.Popen | None = None
    log_file: Path | None = None

    def start(self) -> None:
        command = [
            sys.executable,
            "manage.py",
            "run_odoo_simulator",
            "--port",
            str(self.port),
            "--autosave",
            "0.2",
        ]
        if self.state_file is not None:
            command += ["--state", str(self.state_file)]
        log = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        if log is not subprocess.DEVNULL:
            log.close()
        wait_until_listening(self.url, proc=self.process)

    def kill(self) -> None:
        """SIGKILL: the process dies without saving (autosave may have run before)."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.close()

    def terminate(self, timeout: float = 10.0) -> int:
        """SIGTERM and wait: the clean shutdown path (state saved)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.close()
        return self.process.returncode if self.process else 0

    def restart(self) -> None:
        self.terminate()
        self.start()


@pytest.fixture
def odoo_sim_process(tmp_path) -> OdooSimProcess:
    """A separate simulator process on a free port (state in tmp_path/odoo_state.json)."""
    port = free_port()
    sim = OdooSimProcess(
        url=f"http://127.0.0.1:{port}",
        port=port,
        state_file=tmp_path / "odoo_state.json",
        log_file=tmp_path / "odoo_sim.log",
    )
    sim.start()
    yield sim
    with contextlib.suppress(Exception):
        sim.kill()
