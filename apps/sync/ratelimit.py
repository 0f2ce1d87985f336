"""Per-system rate limit / API quota: a token bucket in the database, shared by every worker on
every host. The sustained rate is System.rate_limit_per_minute (0 = unlimited); the burst is
DeliverySettings.rate_limit_burst (default: ten seconds' worth, at least one call).

A caller takes one token before a call (`rate_limit_acquire`); when the call turns out to have
cost more HTTP round trips (an Odoo create = lookup + create + external id), the extra is
charged afterwards (`rate_limit_charge`, the bucket may go negative), so the long-run rate of
real requests stays within the quota. Usage per minute is kept in QuotaUsage.
"""

from __future__ import annotations

import math
from datetime import datetime

from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.db.models import F
from django.utils import timezone

from apps.sync.models import QuotaUsage, RateLimitBucket


def _rate_per_second(system) -> float:
    return max(0.0, float(system.rate_limit_per_minute or 0)) / 60.0


def bucket_capacity(system) -> float:
    from apps.sync.services import delivery_settings_for

    burst = delivery_settings_for(system).rate_limit_burst
    if burst:
        return float(burst)
    return float(max(1, math.ceil(_rate_per_second(system) * 10)))


def _window(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def quota_record(
    *, system, calls: int = 0, throttled: int = 0, now: datetime | None = None
) -> None:
    """Add to this minute's usage counters."""
    if not calls and not throttled:
        return
    window = _window(now or timezone.now())
    updated = QuotaUsage.objects.filter(system=system, window_start=window).update(
        calls=F("calls") + calls, throttled=F("throttled") + throttled
    )
    if updated:
        return
    try:
        with db_transaction.atomic():
            QuotaUsage.objects.create(
                system=system, window_start=window, calls=calls, throttled=throttled
            )
    except IntegrityError:
        QuotaUsage.objects.filter(system=system, window_start=window).update(
            calls=F("calls") + calls, throttled=F("throttled") + throttled
        )


def _bucket_locked(system, capacity: float, now: datetime) -> RateLimitBucket:
    bucket = RateLimitBucket.objects.select_for_update().filter(system=system).first()
    if bucket is not None:
        return bucket
    try:
        with db_transaction.atomic():
            return RateLimitBucket.objects.create(system=system, tokens=capacity, refilled_at=now)
    except IntegrityError:
        return RateLimitBucket.objects.select_for_update().get(system=system)


def rate_limit_acquire(*, system, tokens: float = 1.0) -> float:
    """Take `tokens` from the system's bucket. Returns 0.0 when taken, else the seconds to wait
    until they will be there (nothing is taken then)."""
    rate = _rate_per_second(system)
    if rate <= 0:
        return 0.0
    capacity = bucket_capacity(system)
    with db_transaction.atomic():
        now = timezone.now()
        bucket = _bucket_locked(system, capacity, now)
        elapsed = max(0.0, (now - bucket.refilled_at).total_seconds())
        available = min(capacity, bucket.tokens + elapsed * rate)
        if available >= tokens:
            bucket.tokens = available - tokens
            bucket.refilled_at = now
            bucket.save(update_fields=["tokens", "refilled_at"])
            taken = True
        else:
            bucket.tokens = available
            bucket.refilled_at = now
            bucket.save(update_fields=["tokens", "refilled_at"])
            taken = False
    if taken:
        return 0.0
    quota_record(system=system, throttled=1, now=now)
    return (tokens - available) / rate


def rate_limit_charge(*, system, tokens: float) -> None:
    """Charge extra round trips a call turned out to need (may leave the bucket negative)."""
    if tokens <= 0 or _rate_per_second(system) <= 0:
        return
    RateLimitBucket.objects.filter(system=system).update(tokens=F("tokens") - tokens)
