"""Monitoring reads: dashboard figures from rollups (never the raw ledger), live queue state,
breakers, quotas, policies, exceptions, and alert metric values."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from apps.ledger.choices import OPEN_STATUSES
from apps.ledger.models import Transaction
from apps.monitoring.choices import AlertMetric, Granularity
from apps.monitoring.models import LATENCY_BUCKETS_MS, Alert, AlertRule, LedgerRollup

WINDOWS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}
_SUMMED = ["received", "delivered", "failed", "dead", "duplicates", "retries", "ignored"]


def granularity_for(window: timedelta) -> str:
    if window <= timedelta(hours=3):
        return Granularity.MINUTE
    if window <= timedelta(days=3):
        return Granularity.HOUR
    return Granularity.DAY


def percentile_ms(buckets: list[int], quantile: float) -> int | None:
    """The upper bound of the histogram bucket holding the quantile (None without samples)."""
    total = sum(buckets)
    if not total:
        return None
    rank = quantile * total
    running = 0
    for index, count in enumerate(buckets):
        running += count
        if running >= rank:
            return LATENCY_BUCKETS_MS[index] if index < len(LATENCY_BUCKETS_MS) else None
    return None


def _figures(row: dict, buckets: list[int]) -> dict:
    finished = row["delivered"] + row["failed"] + row["dead"]
    failures = row["failed"] + row["dead"]
    row["success_rate"] = (
        (Decimal(row["delivered"]) * 100 / finished).quantize(Decimal("0.1")) if finished else None
    )
    row["failure_rate"] = (
        (Decimal(failures) * 100 / finished).quantize(Decimal("0.1")) if finished else None
    )
    row["p50_ms"] = percentile_ms(buckets, 0.5)
    row["p95_ms"] = percentile_ms(buckets, 0.95)
    row["p99_ms"] = percentile_ms(buckets, 0.99)
    row["latency_buckets"] = buckets
    return row


def health_by_system_domain(*, window: timedelta, now: datetime | None = None) -> list[dict]:
    """Per system, domain and direction: counts, rates and latency percentiles over the window."""
    now = now or timezone.now()
    since = now - window
    grouped: dict = {}
    rows = LedgerRollup.objects.filter(
        granularity=granularity_for(window), bucket_start__gte=bucket_start_for(since, window)
    ).values_list(
        "system_id",
        "system__code",
        "domain",
        "direction",
        *_SUMMED,
        "latency_count",
        "latency_sum_ms",
        "latency_buckets",
    )
    for row in rows.iterator(chunk_size=5000):
        key = row[:4]
        entry = grouped.get(key)
        if entry is None:
            entry = grouped[key] = {
                "system_id": row[0],
                "system": row[1],
                "domain": row[2],
                "direction": row[3],
                **dict.fromkeys(_SUMMED, 0),
                "latency_count": 0,
                "latency_sum_ms": 0,
                "_buckets": [0] * (len(LATENCY_BUCKETS_MS) + 1),
            }
        for index, name in enumerate(_SUMMED):
            entry[name] += row[4 + index]
        entry["latency_count"] += row[4 + len(_SUMMED)]
        entry["latency_sum_ms"] += row[5 + len(_SUMMED)]
        for index, count in enumerate(row[6 + len(_SUMMED)] or []):
            entry["_buckets"][index] += count
    result = []
    for entry in sorted(grouped.values(), key=lambda e: (e["system"], e["domain"], e["direction"])):
        result.append(_figures(entry, entry.pop("_buckets")))
    return result


def bucket_start_for(since: datetime, window: timedelta) -> datetime:
    from apps.monitoring.services import bucket_floor

    return bucket_floor(since, granularity_for(window))


def throughput_series(*, window: timedelta, now: datetime | None = None) -> list[dict]:
    """Per bucket totals (all systems) for the over-time chart."""
    now = now or timezone.now()
    return list(
        LedgerRollup.objects.filter(
            granularity=granularity_for(window),
            bucket_start__gte=bucket_start_for(now - window, window),
        )
        .values("bucket_start")
        .annotate(**{name: Sum(name) for name in ["received", "delivered", "failed", "dead"]})
        .order_by("bucket_start")
    )


def queue_state(*, now: datetime | None = None) -> list[dict]:
    """Open (not yet finished) transactions per system and direction: depth and oldest age.
    Reads only open rows (the partial index), never the settled ledger."""
    now = now or timezone.now()
    rows = (
        Transaction.objects.filter(status__in=list(OPEN_STATUSES))
        .values("system_id", "system__code", "direction")
        .annotate(depth=Count("id"), oldest=Min("received_at"))
        .order_by("system__code", "direction")
    )
    return [
        {
            **row,
            "oldest_age_seconds": int((now - row["oldest"]).total_seconds())
            if row["oldest"]
            else 0,
        }
        for row in rows
    ]


def breaker_states() -> list:
    from apps.sync.selectors import breaker_list

    return list(breaker_list().select_related("system"))


def quota_use(*, now: datetime | None = None) -> list[dict]:
    """API calls in the current minute against each system's per-minute quota."""
    from apps.connectors.models import System
    from apps.sync.models import QuotaUsage

    now = now or timezone.now()
    window = now.replace(second=0, microsecond=0)
    calls = dict(QuotaUsage.objects.filter(window_start=window).values_list("system_id", "calls"))
    result = []
    for system in System.objects.order_by("code"):
        limit = system.rate_limit_per_minute or 0
        used = calls.get(system.pk, 0)
        result.append(
            {
                "system_id": system.pk,
                "system": system.code,
                "calls": used,
                "limit": limit,
                "use_pct": (Decimal(used) * 100 / limit).quantize(Decimal("0.1"))
                if limit
                else None,
            }
        )
    return result


def policy_last_success() -> list[dict]:
    """Last successful job run per sync policy."""
    from apps.sync.choices import JobStatus
    from apps.sync.models import JobRun, SyncPolicy

    last = dict(
        JobRun.objects.filter(status=JobStatus.SUCCEEDED, policy__isnull=False)
        .values("policy_id")
        .annotate(at=Max("finished_at"))
        .values_list("policy_id", "at")
    )
    return [
        {"policy": policy, "last_success_at": last.get(policy.pk)}
        for policy in SyncPolicy.objects.select_related("source_system", "target_system").order_by(
            "domain", "id"
        )[:500]
    ]


def open_exceptions_by_category(*, now: datetime | None = None) -> list[dict]:
    """Active exception items per category with age buckets."""
    from apps.exceptions.choices import ACTIVE_STATUSES
    from apps.exceptions.models import ExceptionItem

    now = now or timezone.now()
    return list(
        ExceptionItem.objects.filter(status__in=list(ACTIVE_STATUSES))
        .values("category")
        .annotate(
            total=Count("id"),
            under_1h=Count("id", filter=Q(first_seen_at__gte=now - timedelta(hours=1))),
            under_24h=Count(
                "id",
                filter=Q(
                    first_seen_at__lt=now - timedelta(hours=1),
                    first_seen_at__gte=now - timedelta(hours=24),
                ),
            ),
            older=Count("id", filter=Q(first_seen_at__lt=now - timedelta(hours=24))),
        )
        .order_by("category")
    )


def alert_rule_list():
    return AlertRule.objects.select_related("system", "project", "entity").order_by("name")


def alert_list(*, status: str = ""):
    queryset = Alert.objects.select_related("rule")
    if status:
        queryset = queryset.filter(status=status)
    return queryset


# --- alert metrics ----------------------------------------------------------------------------


# Metrics kept per System only (ledger rollups, API quota): an entity's rule reads them on the
# entity's Odoo System. The others are narrowed to the entity's projects.
PER_SYSTEM_METRICS = (AlertMetric.FAILURE_RATE, AlertMetric.DEAD_LETTERS, AlertMetric.QUOTA_USE)


def _rule_system_id(rule: AlertRule) -> int | None:
    """The System a rule measures: its own, else (an entity's rule) the entity's Odoo System."""
    if rule.system_id:
        return rule.system_id
    if rule.entity_id:
        return rule.entity.odoo_system_id
    return None


def _entity_scope(rule: AlertRule) -> Q:
    """An entity's rows: those of its projects, and project-less rows of its Odoo System."""
    scope = Q(project__entity_id=rule.entity_id)
    if rule.entity.odoo_system_id:
        scope |= Q(project__isnull=True, system_id=rule.entity.odoo_system_id)
    return scope


def _rollup_window(rule: AlertRule, now: datetime):
    since = now - timedelta(minutes=rule.window_minutes)
    queryset = LedgerRollup.objects.filter(
        granularity=Granularity.MINUTE,
        bucket_start__gte=since.replace(second=0, microsecond=0),
    )
    system_id = _rule_system_id(rule)
    if system_id:
        queryset = queryset.filter(system_id=system_id)
    elif rule.entity_id:  # an entity without its own Odoo System has no per-System figures
        queryset = queryset.none()
    if rule.domain:
        queryset = queryset.filter(domain=rule.domain)
    return queryset


def _active_items(rule: AlertRule):
    from apps.exceptions.choices import ACTIVE_STATUSES
    from apps.exceptions.models import ExceptionItem

    queryset = ExceptionItem.objects.filter(status__in=list(ACTIVE_STATUSES))
    if rule.project_id:
        queryset = queryset.filter(project_id=rule.project_id)
    elif rule.entity_id:
        queryset = queryset.filter(_entity_scope(rule))
    if rule.system_id:
        queryset = queryset.filter(system_id=rule.system_id)
    return queryset


def alert_metric_value(*, rule: AlertRule, now: datetime | None = None) -> Decimal:
    """The current value of a rule's metric over its window and scope."""
    from apps.exceptions.choices import ExceptionCategory

    now = now or timezone.now()
    metric = rule.metric
    if metric in (AlertMetric.FAILURE_RATE, AlertMetric.DEAD_LETTERS):
        sums = _rollup_window(rule, now).aggregate(
            delivered=Sum("delivered"), failed=Sum("failed"), dead=Sum("dead")
        )
        delivered, failed, dead = (sums[k] or 0 for k in ("delivered", "failed", "dead"))
        if metric == AlertMetric.DEAD_LETTERS:
            return Decimal(dead)
        finished = delivered + failed + dead
        return (
            (Decimal(failed + dead) * 100 / finished).quantize(Decimal("0.01"))
            if finished
            else Decimal(0)
        )
    if metric in (AlertMetric.QUEUE_AGE, AlertMetric.QUEUE_DEPTH):
        queryset = Transaction.objects.filter(status__in=list(OPEN_STATUSES))
        if rule.system_id:
            queryset = queryset.filter(system_id=rule.system_id)
        if rule.entity_id:
            queryset = queryset.filter(_entity_scope(rule))
        if rule.domain:
            queryset = queryset.filter(domain=rule.domain)
        agg = queryset.aggregate(depth=Count("id"), oldest=Min("received_at"))
        if metric == AlertMetric.QUEUE_DEPTH:
            return Decimal(agg["depth"])
        if agg["oldest"] is None:
            return Decimal(0)
        return (Decimal((now - agg["oldest"]).total_seconds()) / 60).quantize(Decimal("0.01"))
    if metric == AlertMetric.QUOTA_USE:
        rows = [r for r in quota_use(now=now) if r["use_pct"] is not None]
        system_id = _rule_system_id(rule)
        if system_id or rule.entity_id:
            rows = [r for r in rows if r["system_id"] == system_id]
        return max((r["use_pct"] for r in rows), default=Decimal(0))
    items = _active_items(rule)
    if metric == AlertMetric.OPEN_EXCEPTIONS:
        return Decimal(items.count())
    if metric == AlertMetric.UNMATCHED_INVOICES:
        return Decimal(items.filter(category=ExceptionCategory.UNMATCHED_INVOICE).count())
    if metric == AlertMetric.AMOUNT_AT_RISK:
        return items.aggregate(total=Sum("amount_at_risk"))["total"] or Decimal(0)
    if metric == AlertMetric.APPROVALS_OVERDUE:
        return Decimal(items.filter(category=ExceptionCategory.APPROVAL_OVERDUE).count())
    return Decimal(0)
