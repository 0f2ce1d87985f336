"""Fixtures for the banking tests: fixture files and a candidate source tests can fill."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.banking.candidates import (
    register_candidate_source,
    unregister_candidate_source,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "banking"


@pytest.fixture
def bank_file():
    def read(name: str) -> bytes:
        return (FIXTURES / name).read_bytes()

    return read


@pytest.fixture
def open_items():
    """Payments and bills reconciliation sees while the test runs (a list the test appends to);
    the procurement source is switched off so only these count."""
    from apps.banking import candidates as module

    rows: list = []
    saved = dict(module._SOURCES)
    module._SOURCES.clear()
    register_candidate_source("test", lambda **_: list(rows))
    yield rows
    unregister_candidate_source("test")
    module._SOURCES.update(saved)
