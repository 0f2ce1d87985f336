"""Estimating budget versions that arrive out of order (an estimator's retry queue): an older
version landing after a newer one is recorded and shown as superseded, never applied over it
(docs/notes/requests-procurement.md #4)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from apps.procurement.models import BudgetImport

pytestmark = pytest.mark.django_db


def _version(number: int, amount: str, issued: str) -> dict:
    return {
        "budget_id": "EST-SCH-001",
        "version": str(number),
        "project": "SCH-001",
        "currency": "EUR",
        "issued_at": issued,
        "lines": [{"phase": "P1", "cost_code": "03 31 13", "amount": amount}],
        "errors": [],
    }


def _push(make_inbound, system, number: int, amount: str, issued: str):
    return make_inbound(
        system,
        "budget_line",
        _version(number, amount, issued),
        operation="import",
        key=f"budget:EST-SCH-001:v{number}",
        occurred_at=datetime.fromisoformat(issued),
    )


def test_an_older_budget_version_arriving_late_is_superseded_not_applied(
    school_budget, sync_systems, make_inbound, run_pipeline
):
    v2 = _push(make_inbound, sync_systems.estimating, 2, "230000.00", "2026-03-02T10:00:00+00:00")
    (v2,) = run_pipeline(v2)
    assert v2.status == "delivered", v2.last_error_message
    v1 = _push(make_inbound, sync_systems.estimating, 1, "205000.00", "2026-03-01T10:00:00+00:00")
    (v1,) = run_pipeline(v1)
    assert v1.status == "ignored"
    assert "before the one already applied" in v1.last_error_message
    assert school_budget.line("P1", "03 31 13").original_amount == Decimal("230000.00")
    assert BudgetImport.objects.count() == 1


def test_an_older_version_with_a_later_timestamp_is_still_superseded_by_number(
    school_budget, sync_systems, make_inbound, run_pipeline
):
    (v3,) = run_pipeline(
        _push(make_inbound, sync_systems.estimating, 3, "240000.00", "2026-03-02T10:00:00+00:00")
    )
    assert v3.status == "delivered", v3.last_error_message
    # Re-issued from the estimator's queue with a new timestamp, but it is version 2.
    (v2,) = run_pipeline(
        _push(make_inbound, sync_systems.estimating, 2, "210000.00", "2026-03-03T10:00:00+00:00")
    )
    assert v2.status == "ignored"
    assert "superseded by version 3" in v2.last_error_message
    assert school_budget.line("P1", "03 31 13").original_amount == Decimal("240000.00")
    # A newer version still applies over it.
    (v4,) = run_pipeline(
        _push(make_inbound, sync_systems.estimating, 4, "250000.00", "2026-03-04T10:00:00+00:00")
    )
    assert v4.status == "delivered", v4.last_error_message
    assert school_budget.line("P1", "03 31 13").original_amount == Decimal("250000.00")
    assert datetime(2026, 3, 4, 10, tzinfo=UTC) == v4.occurred_at
