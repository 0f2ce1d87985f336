"""Fixtures for the Odoo connector tests (tests/connectors/test_odoo_*.py)."""

from __future__ import annotations

import pytest

from apps.connectors.models import System
from apps.connectors.odoo.client import odoo_clients_close


@pytest.fixture
def odoo_system_for(db):
    """A saved Odoo System: odoo_system_for(url, api="jsonrpc", credentials=..., **options)."""

    def make(base_url: str, *, api: str = "jsonrpc", credentials: dict | None = None, **options):
        return System.objects.create(
            code=f"odoo-{System.objects.count() + 1}",
            name="Odoo",
            kind="odoo",
            connector="odoo",
            base_url=base_url,
            credentials=credentials
            if credentials is not None
            else {"database": "odoo_sim", "username": "admin", "password": "admin-secret-pw"},
            options={"api": api, **options},
        )

    yield make
    odoo_clients_close()
