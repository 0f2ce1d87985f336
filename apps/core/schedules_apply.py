"""Apply the code-defined schedules to django-q2's Schedule table."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule

from apps.core.schedules import SCHEDULE_PREFIX, ScheduleSpec, collect_schedules


def schedules_apply(*, specs: list[ScheduleSpec] | None = None) -> dict[str, list[str]]:
    """Create, update or delete our schedules so the table matches the code. Idempotent."""
    specs = collect_schedules() if specs is None else specs
    result: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": [], "deleted": []}
    wanted = {spec.full_name: spec for spec in specs}
    with transaction.atomic():
        for name, spec in wanted.items():
            values = {
                "func": spec.func,
                # django-q2 stores kwargs as Python source text ("x=1, y='a'").
                "kwargs": ", ".join(f"{k}={v!r}" for k, v in sorted(spec.kwargs.items())) or None,
                "schedule_type": Schedule.CRON if spec.cron else Schedule.MINUTES,
                "minutes": None if spec.cron else (spec.minutes or 1),
                "cron": spec.cron,
                "repeats": -1,
            }
            existing = Schedule.objects.filter(name=name).first()
            if existing is None:
                Schedule.objects.create(name=name, next_run=timezone.now(), **values)
                result["created"].append(name)
                continue
            changed = [k for k, v in values.items() if getattr(existing, k) != v]
            if changed:
                for key in changed:
                    setattr(existing, key, values[key])
                existing.save()
                result["updated"].append(name)
            else:
                result["unchanged"].append(name)
        stale = Schedule.objects.filter(name__startswith=SCHEDULE_PREFIX).exclude(
            name__in=list(wanted)
        )
        result["deleted"] = list(stale.values_list("name", flat=True))
        stale.delete()
    return result
