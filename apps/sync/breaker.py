"""Per-system circuit breaker, shared by every worker (its state is a database row).

closed     calls flow; each transient failure adds one to `consecutive_failures`, a success
           resets it; at `breaker_failure_threshold` the breaker opens.
open       no calls until `retry_at` (now + `breaker_cooldown_seconds`); deliveries due meanwhile
           are deferred to `retry_at` without spending an attempt.
half_open  after `retry_at` exactly one worker wins the probe (a conditional UPDATE) and sends
           one delivery; success closes the breaker, failure opens it again (the cooldown
           doubles on each failed probe, up to 10×). A probe that dies (worker killed) frees
           itself when `probe_until` passes.

Permanent errors (the target answered "no") are not counted: the system is up.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.sync.choices import BreakerState
from apps.sync.models import CircuitBreaker


def breaker_get(*, system) -> CircuitBreaker:
    breaker = CircuitBreaker.objects.filter(system=system).first()
    if breaker is not None:
        return breaker
    try:
        with db_transaction.atomic():
            return CircuitBreaker.objects.create(system=system)
    except IntegrityError:
        return CircuitBreaker.objects.get(system=system)


def _cooldown(system, breaker: CircuitBreaker) -> float:
    from apps.sync.services import delivery_settings_for

    base = delivery_settings_for(system).breaker_cooldown_seconds
    # Each failed probe in a row doubles the wait (a long outage is not hammered every 30 s).
    failed_probes = max(
        0, breaker.consecutive_failures - delivery_settings_for(system).breaker_failure_threshold
    )
    return base * min(10, 2**failed_probes)


def breaker_allow(*, system) -> tuple[bool, bool, CircuitBreaker]:
    """May a call go to `system` now? Returns (allowed, is_probe, breaker). A probe is the
    single call allowed while half-open; the caller sends one delivery only."""
    breaker = breaker_get(system=system)
    now = timezone.now()
    if breaker.state == BreakerState.CLOSED:
        return True, False, breaker
    if breaker.state == BreakerState.OPEN and breaker.retry_at and breaker.retry_at > now:
        return False, False, breaker
    # Open and due, or half-open with an expired probe: try to become the one probe.
    probe_lease = now + timedelta(seconds=max(30.0, _cooldown(system, breaker)))
    won = (
        CircuitBreaker.objects.filter(pk=breaker.pk)
        .filter(
            Q(state=BreakerState.OPEN, retry_at__lte=now)
            | Q(state=BreakerState.HALF_OPEN, probe_until__lt=now)
            | Q(state=BreakerState.HALF_OPEN, probe_until__isnull=True)
        )
        .update(state=BreakerState.HALF_OPEN, probe_until=probe_lease)
    )
    breaker.refresh_from_db()
    return bool(won), bool(won), breaker


def breaker_record_success(*, system, breaker: CircuitBreaker | None = None) -> None:
    """A call went through: close the breaker (one UPDATE only when something changes)."""
    now = timezone.now()
    if (
        breaker is not None
        and breaker.state == BreakerState.CLOSED
        and breaker.consecutive_failures == 0
    ):
        return
    CircuitBreaker.objects.filter(system=system).exclude(
        state=BreakerState.CLOSED, consecutive_failures=0
    ).update(
        state=BreakerState.CLOSED,
        consecutive_failures=0,
        probe_until=None,
        retry_at=None,
        last_success_at=now,
    )


def breaker_record_failure(*, system, error: str) -> CircuitBreaker:
    """A call failed in a way that says the system is unwell: count it, open at the threshold."""
    from apps.sync.services import delivery_settings_for

    breaker_get(system=system)
    threshold = delivery_settings_for(system).breaker_failure_threshold
    now = timezone.now()
    with db_transaction.atomic():
        breaker = CircuitBreaker.objects.select_for_update().get(system=system)
        breaker.consecutive_failures = F("consecutive_failures") + 1
        breaker.last_error = error[:500]
        breaker.last_failure_at = now
        breaker.save(update_fields=["consecutive_failures", "last_error", "last_failure_at"])
        breaker.refresh_from_db()
        if breaker.state == BreakerState.HALF_OPEN or (
            breaker.state == BreakerState.CLOSED and breaker.consecutive_failures >= threshold
        ):
            if breaker.state == BreakerState.CLOSED:
                breaker.times_opened += 1
                breaker.opened_at = now
            breaker.state = BreakerState.OPEN
            breaker.retry_at = now + timedelta(seconds=_cooldown(system, breaker))
            breaker.probe_until = None
            breaker.save()
    return breaker


def breaker_reset(*, system, actor) -> CircuitBreaker:
    """An admin closes a breaker by hand (after fixing the target); audited."""
    from apps.audit.services import audit_record

    breaker = breaker_get(system=system)
    before = breaker.state
    CircuitBreaker.objects.filter(pk=breaker.pk).update(
        state=BreakerState.CLOSED, consecutive_failures=0, retry_at=None, probe_until=None
    )
    breaker.refresh_from_db()
    audit_record(
        actor=actor,
        action="sync.breaker.reset",
        target=breaker,
        detail={"system": system.code, "from": before},
    )
    return breaker


def readiness_check_breakers() -> tuple[bool, str]:
    """/readyz detail: open breakers are reported but do not fail readiness.

    An open breaker means one external system is unwell, not that this hub instance is: failing
    readiness would take every web process out of the load balancer and stop ingest, which must
    keep accepting (and ledgering) events while the target recovers. Monitoring alerts on it.
    """
    from apps.sync.selectors import breakers_open

    try:
        opened = breakers_open()
    except Exception as exc:  # a readiness detail must never crash /readyz
        return True, f"breakers unknown: {exc.__class__.__name__}"
    if not opened:
        return True, "all closed"
    parts = []
    for breaker in opened:
        when = f" until {breaker.retry_at:%H:%M:%S}" if breaker.retry_at else ""
        parts.append(f"{breaker.system.code} {breaker.state}{when}")
    return True, "; ".join(parts)
