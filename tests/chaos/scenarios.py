"""The crash-matrix scenarios. Each sends a batch of signed events, injects its fault while they
are in flight, ends the fault, resends what got no 2xx and checks the exactly-once invariant."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection

from apps.ledger.models import Transaction
from tests.chaos.checks import assert_exactly_once, wait_settled
from tests.chaos.harness import Hub, Sender, new_codes, run_id, wait_for

EVENTS_PER_RUN = 12


def _outbound_in_flight(hub: Hub) -> bool:
    return (
        Transaction.objects.filter(system__code=hub.target_code, direction="outbound")
        .exclude(claimed_by="")
        .exists()
    )


def _inbound_count(hub: Hub, codes: list[str]) -> int:
    return Transaction.objects.filter(
        system__code=hub.source_code, idempotency_key__in=[f"evt-{c}" for c in codes]
    ).count()


def web_sigkill(hub: Hub, codes: list[str]) -> Sender:
    """SIGKILL gunicorn (master and workers) while the sender is posting; restart it."""
    hub.odoo.clear_faults()
    sender = Sender(hub, codes, strike_after=2, strike=hub.web.kill).start()
    sender.join()
    hub.start_web()
    return sender


def worker_sigkill(hub: Hub, codes: list[str]) -> Sender:
    """SIGKILL every worker cluster while an outbound row is claimed (Odoo creates are slowed
    so deliveries are in flight); restart them: the rows come back when their lease expires."""
    hub.odoo.set_faults(latency_ms=400, match={"methods": ["create"]})
    sender = Sender(hub, codes).start()
    wait_for(lambda: _outbound_in_flight(hub), timeout=40, what="a delivery in flight")
    for index in range(len(hub.workers)):
        hub.workers[index].kill()
    hub.odoo.clear_faults()
    sender.join()
    for index in range(len(hub.workers)):
        hub.restart_worker(index)
    return sender


def pg_terminate(hub: Hub, codes: list[str]) -> Sender:
    """Terminate every other PostgreSQL session of the hub's database (web, workers, ticker)
    while traffic and deliveries are running."""
    hub.odoo.set_faults(latency_ms=100, match={"methods": ["create"]})
    terminated = []
    with connection.cursor() as cursor:  # the test's own session survives
        cursor.execute("SELECT pg_backend_pid()")
        test_pid = cursor.fetchone()[0]

    def strike():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), %s)",
                [test_pid],
            )
            terminated.append(cursor.fetchone()[0])
        connection.close()  # this thread's connection

    sender = Sender(hub, codes, strike_after=3, strike=strike).start()
    sender.join()
    hub.odoo.clear_faults()
    assert terminated and terminated[0] >= 1, "no hub session was terminated"
    return sender


def _odoo_fault(config: dict, *, until_attempts: int = 1) -> Callable[[Hub, list[str]], Sender]:
    def scenario(hub: Hub, codes: list[str]) -> Sender:
        hub.odoo.set_faults(**config)
        before = hub.odoo.stats().get("faults", {})
        sender = Sender(hub, codes).start()
        sender.join()
        wait_for(
            lambda: (
                sum(hub.odoo.stats().get("faults", {}).values()) - sum(before.values())
                >= until_attempts
            ),
            timeout=40,
            what=f"the Odoo fault {config} to fire",
        )
        hub.odoo.clear_faults()
        return sender

    scenario.__doc__ = f"Odoo simulator fault {config}, then cleared."
    return scenario


odoo_5xx = _odoo_fault({"error_rate": 0.6, "error": "http_503", "seed": 7}, until_attempts=2)
odoo_timeout = _odoo_fault(
    {"timeout_rate": 0.5, "timeout_s": 3, "seed": 7, "match": {"methods": ["create"]}}
)
odoo_429 = _odoo_fault({"rate_limit": {"rate": 0.7, "retry_after": 1}, "seed": 7}, until_attempts=2)


def odoo_down(hub: Hub, codes: list[str]) -> Sender:
    """The Odoo simulator refuses connections (port closed) for 4 s while events arrive."""
    hub.odoo.set_faults(outage={"mode": "refuse", "duration_s": 4})
    sender = Sender(hub, codes).start()
    sender.join()
    wait_for(lambda: hub.odoo.stats(), timeout=30, what="the Odoo simulator to be back")
    return sender


SCENARIOS: dict[str, Callable[[Hub, list[str]], Sender]] = {
    "web_sigkill": web_sigkill,
    "worker_sigkill": worker_sigkill,
    "pg_terminate": pg_terminate,
    "odoo_5xx": odoo_5xx,
    "odoo_timeout": odoo_timeout,
    "odoo_429": odoo_429,
    "odoo_down": odoo_down,
}


def run_scenario(hub: Hub, name: str, *, events: int = EVENTS_PER_RUN) -> dict:
    codes = new_codes(run_id(), events)
    sender = SCENARIOS[name](hub, codes)
    sender.resend_until_acked(timeout=60)
    assert _inbound_count(hub, codes) == len(codes)
    wait_settled(hub, codes, timeout=120)
    result = assert_exactly_once(hub, codes, sender.acked)
    result["resent"] = sum(n - 1 for n in sender.attempts.values())
    return result
