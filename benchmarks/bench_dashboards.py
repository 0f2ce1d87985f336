"""Integration health dashboard at ledger scale: 10,000,000 ledger rows (--quick: 200,000)
generated in SQL on PostgreSQL, spread over 7 days, 4 systems and 5 domains; the minute/hour/day
rollups are built from them in SQL the way `rollups_update` maintains them (same columns), then:

- GET /monitoring/ (window 1h, 24h, 7d) and /metrics through the Django test client: p50/p95;
  goal p95 ≤ 300 ms — the pages read rollups and the open rows only, never the settled ledger;
- `rollups_update` throughput on 20,000 new rows past the watermark (rows/s).
A rerun reuses the generated ledger.
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

SYSTEM_CODES = ["bench-sched", "bench-docs", "bench-odoo", "bench-bank"]
DOMAINS = ["activity", "document", "purchase_order", "invoice", "payment"]


def _generate(target: int) -> int:
    from django.db import connection

    from apps.connectors.models import System
    from apps.ledger.models import Transaction

    systems = []
    for code in SYSTEM_CODES:
        system, _ = System.objects.get_or_create(
            code=code, defaults={"name": code, "kind": "scheduling"}
        )
        systems.append(system.pk)
    existing = Transaction.objects.filter(system_id__in=systems).count()
    if existing >= target:
        return existing
    missing = target - existing
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO ledger_transaction (
                direction, system_id, domain, operation, idempotency_key, external_id, reference,
                subject_domain, subject_id, correlation_id, trigger, schema_version, raw_body,
                payload, payload_sha256, size_bytes, status, attempts, max_attempts,
                last_error_code, last_error_message, claimed_by, received_at, updated_at,
                completed_at, duration_ms)
            SELECT CASE WHEN g %% 3 = 0 THEN 'outbound' ELSE 'inbound' END,
                   (%s::bigint[])[1 + g %% 4], (%s::text[])[1 + g %% 5], 'upsert',
                   'bench-dash-' || (%s + g), '', '', '', '', md5(g::text), 'webhook', '', '',
                   '{}'::jsonb, md5(g::text), 100,
                   CASE WHEN g %% 50 = 0 THEN 'failed' WHEN g %% 997 = 0 THEN 'dead'
                        ELSE 'delivered' END,
                   1, 8, '', '', '',
                   now() - (g %% 604800) * interval '1 second',
                   now() - (g %% 604800) * interval '1 second',
                   now() - (g %% 604800) * interval '1 second' + (g %% 3000) * interval '1 ms',
                   g %% 3000
            FROM generate_series(1, %s) AS g
            """,
            [systems, DOMAINS, existing, missing],
        )
    return target


def _rollups_from_sql() -> None:
    """Rebuild the rollups from the generated ledger (what the schedule would have written)."""
    from django.db import connection

    from apps.ledger.models import Transaction
    from apps.monitoring.models import LedgerRollup, RollupWatermark

    LedgerRollup.objects.all().delete()
    with connection.cursor() as cursor:
        for granularity in ("minute", "hour", "day"):
            cursor.execute(
                """
                INSERT INTO monitoring_ledgerrollup (
                    bucket_start, granularity, system_id, domain, direction, received, delivered,
                    failed, dead, duplicates, retries, ignored, latency_count, latency_sum_ms,
                    latency_buckets)
                SELECT date_trunc(%s, received_at), %s, system_id, domain, direction, count(*),
                       count(*) FILTER (WHERE status = 'delivered'),
                       count(*) FILTER (WHERE status = 'failed'),
                       count(*) FILTER (WHERE status = 'dead'), 0, 0, 0,
                       count(*) FILTER (WHERE status = 'delivered'),
                       coalesce(sum(duration_ms) FILTER (WHERE status = 'delivered'), 0),
                       '[0,0,0,0,0,0,0,0,0,0,0,0]'::jsonb
                FROM ledger_transaction GROUP BY 1, 3, 4, 5
                """,
                [granularity, granularity],
            )
    last = Transaction.objects.order_by("-id").values_list("id", flat=True).first() or 0
    for name in ("transactions", "events"):
        RollupWatermark.objects.update_or_create(name=name, defaults={"last_id": last})


def _timed(client, url: str, count: int, **headers) -> list[float]:
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        response = client.get(url, **headers)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return samples


def _pcts(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def run(args) -> list[dict]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from apps.accounts.services import user_create
    from apps.ledger.services import transaction_record_inbound
    from apps.monitoring.services import rollups_update

    if connection.vendor != "postgresql":
        return [{"figure": "skipped", "value": "needs PostgreSQL", "unit": ""}]
    target = 200_000 if args.quick else 10_000_000
    started = time.perf_counter()
    rows = _generate(target)
    _rollups_from_sql()
    setup_s = time.perf_counter() - started

    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.filter(username="bench-admin").first() or user_create(
        username="bench-admin", password="bench-pass-2026", roles=["integration_admin"]
    )
    client = Client()
    client.force_login(admin)
    settings.MONITORING_METRICS_TOKEN = "bench-token"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    requests = 20 if args.quick else 50
    results = [
        {"figure": "ledger rows", "value": rows, "unit": "rows"},
        {"figure": "setup (generate + rollups)", "value": round(setup_s, 1), "unit": "s"},
    ]
    for window in ("1h", "24h", "7d"):
        p50, p95 = _pcts(_timed(client, f"/monitoring/?window={window}", requests))
        results.append(
            {"figure": f"/monitoring/ {window} p50", "value": round(p50, 1), "unit": "ms"}
        )
        results.append(
            {
                "figure": f"/monitoring/ {window} p95",
                "value": round(p95, 1),
                "unit": "ms",
                "goal": "≤ 300",
            }
        )
    p50, p95 = _pcts(_timed(client, "/metrics", requests, HTTP_AUTHORIZATION="Bearer bench-token"))
    results.append(
        {"figure": "/metrics p95", "value": round(p95, 1), "unit": "ms", "goal": "≤ 300"}
    )

    from apps.connectors.models import System

    system = System.objects.get(code=SYSTEM_CODES[0])
    earlier = timezone.now() - timedelta(minutes=1)
    batch = 2_000 if args.quick else 20_000
    for n in range(batch):
        transaction_record_inbound(
            system=system,
            domain="activity",
            operation="upsert",
            payload={"n": n},
            idempotency_key=f"bench-dash-incr-{time.time_ns()}-{n}",
            trigger="webhook",
            received_at=earlier,
        )
    start = time.perf_counter()
    done = rollups_update()
    elapsed = time.perf_counter() - start
    results.append(
        {
            "figure": "rollups_update throughput",
            "value": round(done["transactions"] / elapsed),
            "unit": "rows/s",
            "note": f"{done['transactions']} new rows",
        }
    )
    return results
