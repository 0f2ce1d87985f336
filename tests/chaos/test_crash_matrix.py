"""Crash matrix (issue #12): real processes, real faults, exactly-once delivery afterwards.

- `test_crash_matrix_subset` (PostgreSQL, part of the normal suite): a few scenarios once each
  on one set of processes, kept well under a minute.
- `test_crash_matrix` (marked slow, `make chaos`): every scenario CHAOS_RUNS times (≥ 20 there);
  it only runs when CHAOS_RUNS is set, so the normal suite stays bounded.
"""

from __future__ import annotations

import os

import pytest

from tests.chaos.conftest import chaos_runs
from tests.chaos.scenarios import SCENARIOS, run_scenario

CI_SUBSET = ("worker_sigkill", "pg_terminate", "odoo_5xx", "web_sigkill")


@pytest.mark.postgres
def test_crash_matrix_subset(hub):
    results = {name: run_scenario(hub, name, events=8) for name in CI_SUBSET}
    print(f"\nchaos subset: {results}")
    for name, result in results.items():
        assert result["delivered"] + result["exception_items"] == result["events"], name
    # The faults really bit: the killed web cost the sender at least one resend.
    assert results["web_sigkill"]["resent"] >= 1


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("CHAOS_RUNS"), reason="long mode: make chaos (CHAOS_RUNS)")
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_crash_matrix(hub, scenario):
    totals = {"events": 0, "delivered": 0, "exception_items": 0, "resent": 0}
    for _ in range(chaos_runs()):
        result = run_scenario(hub, scenario)
        for key in totals:
            totals[key] += result[key]
    print(f"\nchaos {scenario} x{chaos_runs()}: {totals}")
    assert totals["delivered"] + totals["exception_items"] == totals["events"]
