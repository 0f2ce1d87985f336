"""pytest fixtures for the sync engine and exception core (registered in tests/conftest.py).

For other areas:
- `sync_systems`: four Systems (`odoo` kind odoo / connector odoo, `p6` scheduling, `estimating`,
  `procore` document control) as attributes of one object;
- `make_inbound(system, domain, payload, operation="upsert", key=None, **kw)`: records a
  `received` inbound transaction through the ledger service and returns it;
- `run_pipeline(*transactions)`: runs apps.sync.pipeline.transactions_process on fresh copies
  and returns them reloaded;
- `test_connector`: a recording in-process connector registered as "sync-test" (see
  tests/sync/connector.py) and a System `target` that uses it.
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from apps.connectors.models import System


def _system(code: str, kind: str, connector: str = "", **extra) -> System:
    return System.objects.create(
        code=code, name=code.upper(), kind=kind, connector=connector, **extra
    )


@pytest.fixture
def make_system(db):
    return _system


@pytest.fixture
def sync_systems(db):
    return SimpleNamespace(
        odoo=_system("odoo", "odoo", "odoo"),
        p6=_system("p6", "scheduling", "p6"),
        estimating=_system("estimating", "estimating", "estimating"),
        procore=_system("procore", "document_control", "procore"),
    )


@pytest.fixture
def make_inbound(db):
    from apps.ledger.choices import Trigger
    from apps.ledger.models import Transaction
    from apps.ledger.services import transaction_record_inbound

    def make(system, domain, payload, operation="upsert", key=None, **kwargs):
        kwargs.setdefault("trigger", Trigger.WEBHOOK)
        tx, created = transaction_record_inbound(
            system=system,
            domain=domain,
            operation=operation,
            payload=payload,
            idempotency_key=key or uuid.uuid4().hex,
            **kwargs,
        )
        assert created
        return Transaction.objects.get(pk=tx.pk)

    return make


@pytest.fixture
def run_pipeline(db):
    from apps.ledger.models import Transaction
    from apps.sync.pipeline import transactions_process

    def run(*transactions):
        fresh = list(Transaction.objects.filter(pk__in=[t.pk for t in transactions]))
        transactions_process(fresh)
        by_id = {t.pk: t for t in Transaction.objects.filter(pk__in=[t.pk for t in transactions])}
        return [by_id[t.pk] for t in transactions]

    return run


@pytest.fixture
def test_connector(db):
    """The in-process "sync-test" connector (tests/sync/connector.py), reset, and a System
    `target` that delivers through it. Yields the connector class (script, records, call_log)."""
    from tests.sync.connector import SyncTestConnector

    SyncTestConnector.reset()
    SyncTestConnector.target = _system("target", "odoo", "sync-test", rate_limit_per_minute=0)
    yield SyncTestConnector
    SyncTestConnector.reset()


@pytest.fixture
def make_outbound(db):
    """make_outbound(system, subject_id, payload, domain="vendor", operation="upsert")."""
    from apps.ledger.services import transaction_create_outbound

    def make(system, subject_id, payload, domain="vendor", operation="upsert", **kwargs):
        return transaction_create_outbound(
            parent=None,
            system=system,
            domain=domain,
            operation=operation,
            payload=payload,
            idempotency_key=uuid.uuid4().hex,
            subject_domain=domain,
            subject_id=subject_id,
            **kwargs,
        )

    return make


@pytest.fixture
def odoo_target(odoo_sim):
    """A System "odoo-sim" that talks to the in-process Odoo simulator (fixture odoo_sim), with a
    short read timeout so fault tests stay fast. Pooled clients are closed afterwards."""
    from apps.connectors.odoo.client import odoo_clients_close

    system = _system(
        "odoo-sim",
        "odoo",
        "odoo",
        base_url=odoo_sim.url,
        credentials={
            "database": odoo_sim.db,
            "username": odoo_sim.username,
            "password": odoo_sim.password,
        },
        options={"timeout_seconds": 2},
        rate_limit_per_minute=0,
    )
    yield system
    odoo_clients_close()


@pytest.fixture
def drain():
    """drain(deadline_s=20): run dispatcher rounds (inbound pipeline + outbound delivery) until
    nothing is due; rows waiting for a later retry time are left for the test to advance."""
    import time

    from apps.ledger.dispatch import dispatch_once

    def run(deadline_s: float = 20.0, limit: int = 100) -> int:
        handled = 0
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            round_handled = dispatch_once(limit=limit)
            handled += round_handled
            if round_handled == 0:
                return handled
        raise AssertionError("the dispatcher kept finding work until the deadline")

    return run
