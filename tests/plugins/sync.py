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
    from apps.sync.pipeline import transactions_process

    from apps.ledger.models import Transaction

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
