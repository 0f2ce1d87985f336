from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from apps.ledger.models import Transaction, TransactionEvent
from apps.monitoring.models import LedgerRollup, RollupWatermark
from apps.monitoring.selectors import health_by_system_domain, percentile_ms
from apps.monitoring.services import rollups_update


def _later():
    return timezone.now() + timedelta(seconds=30)


def _raw(system, domain, to_status):
    return TransactionEvent.objects.filter(
        transaction__system=system, transaction__domain=domain, to_status=to_status
    ).count()


@pytest.mark.django_db
def test_rollups_equal_raw_aggregates_at_every_granularity(system_factory, ledger_traffic):
    sched = system_factory("sched")
    docs = system_factory("docs", kind="documents")
    ledger_traffic(sched, "activity", ["delivered"] * 3 + ["failed", "dead", "retry_delivered"])
    ledger_traffic(docs, "document", ["delivered", "duplicate", "open"])

    rollups_update(now=_later())

    for granularity in ("minute", "hour", "day"):
        for system, domain in ((sched, "activity"), (docs, "document")):
            rows = LedgerRollup.objects.filter(
                granularity=granularity, system=system, domain=domain
            )
            sums = {
                name: sum(getattr(r, name) for r in rows)
                for name in ("received", "delivered", "failed", "dead", "duplicates", "retries")
            }
            assert (
                sums["received"] == Transaction.objects.filter(system=system, domain=domain).count()
            )
            assert sums["delivered"] == _raw(system, domain, "delivered")
            assert sums["failed"] == _raw(system, domain, "failed")
            assert sums["dead"] == _raw(system, domain, "dead")
            assert sums["duplicates"] == _raw(system, domain, "duplicate")
            assert sums["retries"] == _raw(system, domain, "retrying")
    day = LedgerRollup.objects.get(granularity="day", system=sched, domain="activity")
    assert (day.received, day.delivered, day.failed, day.dead, day.retries) == (6, 4, 1, 1, 1)
    assert day.latency_count == 4 and sum(day.latency_buckets) == 4


@pytest.mark.django_db
def test_rollups_are_incremental_and_never_count_a_row_twice(system_factory, ledger_traffic):
    sched = system_factory("sched")
    ledger_traffic(sched, "activity", ["delivered", "delivered"])
    rollups_update(now=_later())
    rollups_update(now=_later())  # nothing new: nothing added
    ledger_traffic(sched, "activity", ["failed"])
    done = rollups_update(now=_later())

    assert done["transactions"] == 1
    day = LedgerRollup.objects.get(granularity="day", system=sched)
    assert (day.received, day.delivered, day.failed) == (3, 2, 1)
    assert RollupWatermark.objects.get(name="transactions").last_id == (
        Transaction.objects.latest("id").id
    )


@pytest.mark.django_db
def test_rows_younger_than_the_safety_lag_wait_for_the_next_run(system_factory, ledger_traffic):
    sched = system_factory("sched")
    ledger_traffic(sched, "activity", ["delivered"])
    assert rollups_update(now=timezone.now()) == {"transactions": 0, "events": 0}
    assert rollups_update(now=_later())["transactions"] == 1


@pytest.mark.django_db
def test_dashboard_figures_come_from_rollups(system_factory, ledger_traffic):
    sched = system_factory("sched")
    ledger_traffic(sched, "activity", ["delivered"] * 3 + ["failed"])
    rollups_update(now=_later())
    # Once aggregated, the raw rows are no longer needed for the figures.
    Transaction.objects.all().delete()

    (row,) = health_by_system_domain(window=timedelta(hours=1), now=_later())
    assert (row["system"], row["received"], row["delivered"], row["failed"]) == (
        "sched",
        4,
        3,
        1,
    )
    assert str(row["failure_rate"]) == "25.0"
    assert row["p50_ms"] is not None


def test_percentile_reads_the_bucket_bound():
    # 10 samples ≤100 ms, 10 in (100, 250], nothing else
    buckets = [10, 10] + [0] * 10
    assert percentile_ms(buckets, 0.5) == 100
    assert percentile_ms(buckets, 0.95) == 250
    assert percentile_ms([0] * 12, 0.5) is None


@pytest.mark.django_db
def test_raw_group_counts_match_per_direction(system_factory, ledger_traffic):
    sched = system_factory("sched")
    ledger_traffic(sched, "activity", ["delivered", "open"])
    rollups_update(now=_later())
    raw = dict(
        Transaction.objects.values_list("direction")
        .annotate(n=Count("id"))
        .values_list("direction", "n")
    )
    rolled = {r.direction: r.received for r in LedgerRollup.objects.filter(granularity="hour")}
    assert rolled == raw


@pytest.mark.django_db
def test_a_row_inside_the_lag_holds_the_watermark_so_nothing_is_skipped(
    system_factory, ledger_traffic
):
    sched = system_factory("sched")
    now = timezone.now()
    # id order: a fresh row first, then a back-dated one (a file import's received_at).
    ledger_traffic(sched, "activity", ["delivered"], received_at=now)
    ledger_traffic(sched, "activity", ["delivered"], received_at=now - timedelta(hours=1))

    assert rollups_update(now=now + timedelta(seconds=1))["transactions"] == 0
    rollups_update(now=now + timedelta(minutes=1))

    rows = LedgerRollup.objects.filter(granularity="day", system=sched)
    assert sum(r.received for r in rows) == 2
    assert sum(r.delivered for r in rows) == 2
