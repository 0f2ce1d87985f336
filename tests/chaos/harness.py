"""Crash-matrix harness: real processes on free loopback ports against the test's PostgreSQL
database and Redis DB 7 (override with CHAOS_REDIS_URL).

- web: gunicorn (2 sync workers) serving the hub; ingest enqueues a django-q2 task per accepted
  event on commit (LEDGER_ENQUEUE_ON_COMMIT with the Redis broker);
- workers: `manage.py qcluster` processes (each a django-q2 cluster of Q_WORKERS workers) on the
  Redis broker, each in its own process group so SIGKILL takes the whole cluster down at once;
- a ticker standing in for the minute schedule `ledger-dispatch` (every 0.3 s instead of 60 s):
  it enqueues `apps.ledger.tasks.dispatch_due`, which is how outbound rows get delivered;
- the Odoo simulator (`manage.py run_odoo_simulator`, tests/plugins/odoo.py) with its fault plan;
- a sender posting Standard-Webhooks-signed `cost_code.upsert` events, resending (same webhook
  id, same body) every event that did not get a 2xx.

The pipeline under test: generic source system → sync policy (cost_code) → Odoo
`account.analytic.account` (one record per event code). Leases are short (LEDGER_LEASE_SECONDS)
so a killed worker's rows come back within seconds; delivery retries back off 0.2–1 s.

Nothing here sleeps to synchronise: every wait polls a condition with a deadline.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from django.db import connection

from tests.plugins.odoo import OdooSimProcess, free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec_aWh1Yi1jaGFvcy1zaWduaW5nLWtleS4uLi4uLi4uLg=="
REDIS_URL = os.environ.get("CHAOS_REDIS_URL", "redis://127.0.0.1:6379/7")
LEASE_SECONDS = 4
TICKER = """
import time, django
django.setup()
from django_q.tasks import async_task
while True:
    async_task("apps.ledger.tasks.dispatch_due", q_options={"timeout": 60})
    time.sleep(0.3)
"""


def wait_for(predicate: Callable[[], object], *, timeout: float, what: str, every=0.1):
    """Poll `predicate` until it returns something truthy; AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = predicate()
        except Exception as exc:  # a process being restarted, a terminated DB session...
            last_error = exc
            result = None
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last_error})")


def database_url() -> str:
    s = connection.settings_dict
    return (
        f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:"
        f"{s['PORT'] or 5432}/{s['NAME']}"
    )


def redis_flush(url: str = REDIS_URL) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self, sig=signal.SIGKILL) -> None:
        """Signal the whole process group (gunicorn master + workers, qcluster + children)."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(15)
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)
        # Orphans of the group (forked children) go too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)


@dataclass
class Hub:
    """The processes of one crash-matrix test, and what it needs to judge the outcome."""

    workdir: Path
    odoo: OdooSimProcess
    source_code: str = "chaos-src"
    target_code: str = "chaos-odoo"
    web_port: int = 0
    web: Proc | None = None
    workers: list[Proc] = field(default_factory=list)
    worker_env: dict = field(default_factory=dict)
    ticker: Proc | None = None

    # -- processes --------------------------------------------------------------------------
    def env(self, **extra) -> dict:
        return {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": REDIS_URL,
            "DJANGO_DEBUG": "false",
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "WARNING",
            "LEDGER_ENQUEUE_ON_COMMIT": "true",
            "LEDGER_LEASE_SECONDS": str(LEASE_SECONDS),
            "LEDGER_SYSTEM_CACHE_SECONDS": "1",
            "READYZ_REQUIRE_WORKER": "false",
            "Q_WORKERS": "2",
            "Q_TIMEOUT": "30",
            "Q_RETRY": "60",
            **extra,
        }

    def _spawn(self, name: str, command: list[str], **env) -> Proc:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115
        popen = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=self.env(**env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return Proc(name, popen)

    def start_web(self) -> None:
        self.web_port = self.web_port or free_port()
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.web = self._spawn(
            "web",
            [
                gunicorn,
                "integrationhub.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                "2",
                "--timeout",
                "30",
                "--log-level",
                "warning",
            ],
        )
        url = f"http://127.0.0.1:{self.web_port}/healthz"
        wait_for(
            lambda: self._check_alive(self.web) and httpx.get(url, timeout=1).status_code == 200,
            timeout=60,
            what="gunicorn to answer /healthz",
        )

    def _check_alive(self, proc: Proc) -> bool:
        if not proc.alive():
            log = (self.workdir / f"{proc.name}.log").read_text(errors="replace")[-1500:]
            raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode}: {log}")
        return True

    def start_worker(self) -> Proc:
        index = len(self.workers)
        proc = self._spawn(
            f"worker{index}", [sys.executable, "manage.py", "qcluster"], **self.worker_env
        )
        self.workers.append(proc)
        return proc

    def restart_worker(self, index: int) -> None:
        self.workers[index].kill()
        proc = self._spawn(
            f"worker{index}", [sys.executable, "manage.py", "qcluster"], **self.worker_env
        )
        self.workers[index] = proc

    def start_ticker(self) -> None:
        self.ticker = self._spawn("ticker", [sys.executable, "-c", TICKER])

    def stop(self) -> None:
        # The test is over and judged: no graceful shutdown needed (and waiting costs seconds).
        for proc in [self.ticker, self.web, *self.workers]:
            if proc is not None:
                proc.kill()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    # -- traffic ----------------------------------------------------------------------------
    def event(self, code: str) -> tuple[str, dict]:
        from apps.ledger.signatures import webhook_headers

        body = json.dumps(
            {"type": "cost_code.upsert", "id": f"evt-{code}", "data": {"code": code, "name": code}},
            separators=(",", ":"),
        )
        return body, webhook_headers(SECRET, body, msg_id=f"msg-{code}")

    def post(self, client: httpx.Client, code: str) -> int | None:
        body, headers = self.event(code)
        try:
            response = client.post(
                f"/api/v1/inbound/{self.source_code}/events",
                content=body,
                headers={**headers, "Content-Type": "application/json"},
            )
        except httpx.HTTPError:
            return None
        return response.status_code


@dataclass
class Sender:
    """Posts events in a background thread; `acked` holds codes that got a 2xx, `unacked` the
    ones whose last try got none (resent by `resend_until_acked`)."""

    hub: Hub
    codes: list[str]
    # Called (in its own thread, so it overlaps the next request) once this many events are
    # acknowledged: how a scenario strikes mid-traffic.
    strike_after: int = 0
    strike: Callable[[], None] | None = None
    acked: dict[str, int] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)
    thread: threading.Thread | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def _send(self, code: str, client: httpx.Client) -> None:
        self.attempts[code] = self.attempts.get(code, 0) + 1
        status = self.hub.post(client, code)
        if status is not None and 200 <= status < 300:
            self.acked[code] = status
            if self.strike is not None and len(self.acked) == self.strike_after:
                self.striker = threading.Thread(target=self.strike, daemon=True)
                self.striker.start()

    def start(self) -> Sender:
        def run():
            with httpx.Client(base_url=self.hub.url, timeout=10) as client:
                for code in self.codes:
                    self._send(code, client)
            self.done.set()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        return self

    def join(self, timeout: float = 120) -> None:
        assert self.thread is not None
        self.thread.join(timeout)
        assert self.done.is_set(), "the sender did not finish"
        striker = getattr(self, "striker", None)
        if striker is not None:
            striker.join(timeout)

    @property
    def unacked(self) -> list[str]:
        return [c for c in self.codes if c not in self.acked]

    def resend_until_acked(self, timeout: float = 60) -> None:
        def all_acked():
            with httpx.Client(base_url=self.hub.url, timeout=10) as client:
                for code in self.unacked:
                    self._send(code, client)
            return not self.unacked

        wait_for(all_acked, timeout=timeout, what="every event to be acknowledged", every=0.2)


def setup_systems(hub: Hub, *, odoo_timeout_seconds: float = 2.0):
    """The source system (generic, signed webhooks), the Odoo target (short timeouts, quick
    retries, a breaker that reopens fast) and the cost_code policy between them."""
    from apps.connectors.models import System
    from apps.sync.models import DeliverySettings
    from apps.sync.services import sync_policy_save

    source = System.objects.create(
        code=hub.source_code,
        name="Chaos sender",
        kind="field",
        connector="generic",
        environment="test",
        webhook_secrets=[{"id": "chaos", "secret": SECRET, "created_at": None, "expires_at": None}],
    )
    target = System.objects.create(
        code=hub.target_code,
        name="Chaos Odoo",
        kind="odoo",
        connector="odoo",
        environment="test",
        base_url=hub.odoo.url,
        credentials={"database": hub.odoo.db, "username": "admin", "password": "admin"},
        options={"timeout_seconds": odoo_timeout_seconds},
        rate_limit_per_minute=0,
    )
    DeliverySettings.objects.create(
        system=target,
        batch_size=20,
        max_attempts=50,
        backoff_base_seconds=0.2,
        backoff_max_seconds=1.0,
        breaker_failure_threshold=1000,
        breaker_cooldown_seconds=1.0,
    )
    sync_policy_save(actor=None, domain="cost_code", source_system=source, target_system=target)
    return source, target


def new_codes(run: str, count: int) -> list[str]:
    return [f"CX-{run}-{i:03d}" for i in range(count)]


def run_id() -> str:
    return uuid.uuid4().hex[:6]
