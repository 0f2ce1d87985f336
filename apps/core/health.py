"""Readiness checks for /readyz. Each returns (ok, detail); other apps may append to CHECKS."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

Check = Callable[[], tuple[bool, str]]


def check_database() -> tuple[bool, str]:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not reachable"
        return False, f"database unreachable: {exc.__class__.__name__}"
    return True, connections[DEFAULT_DB_ALIAS].vendor


def check_migrations() -> tuple[bool, str]:
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        return False, f"cannot read migrations: {exc.__class__.__name__}"
    if plan:
        return False, f"{len(plan)} migration(s) not applied"
    return True, "all applied"


def check_broker() -> tuple[bool, str]:
    from django_q.brokers import get_broker

    try:
        broker = get_broker()
        if broker.ping() is False:
            return False, "broker did not answer ping"
        return True, broker.info()
    except Exception as exc:
        return False, f"broker unreachable: {exc.__class__.__name__}"


def check_worker() -> tuple[bool, str]:
    from apps.core.models import WorkerHeartbeat

    if not settings.READYZ_REQUIRE_WORKER:
        return True, "not required"
    latest = WorkerHeartbeat.objects.order_by("-seen_at").first()
    if latest is None:
        return False, "no worker heartbeat seen yet"
    age = timezone.now() - latest.seen_at
    if age > timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE):
        return False, f"last worker heartbeat {int(age.total_seconds())}s ago ({latest.name})"
    return True, f"{latest.name} {int(age.total_seconds())}s ago"


CHECKS: dict[str, Check] = {
    "database": check_database,
    "migrations": check_migrations,
    "broker": check_broker,
    "worker": check_worker,
}


def readiness_run() -> tuple[bool, dict[str, dict]]:
    results: dict[str, dict] = {}
    database_ok = True
    for name, check in CHECKS.items():
        if not database_ok and name != "broker":
            results[name] = {"ok": False, "detail": "skipped: database unreachable"}
            continue
        ok, detail = check()
        results[name] = {"ok": ok, "detail": detail}
        if name == "database" and not ok:
            database_ok = False
    return all(r["ok"] for r in results.values()), results
