"""Schedules are defined in code (each app's `schedules.py` exposes SCHEDULES) and applied
idempotently to django-q2 by `manage.py sync_schedules`."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module

from django.apps import apps as django_apps

SCHEDULE_PREFIX = "ihub:"


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    func: str
    minutes: int | None = None
    cron: str | None = None
    kwargs: dict = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return SCHEDULE_PREFIX + self.name


def collect_schedules() -> list[ScheduleSpec]:
    specs: list[ScheduleSpec] = []
    for config in django_apps.get_app_configs():
        if not config.name.startswith("apps."):
            continue
        try:
            module = import_module(f"{config.name}.schedules")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.schedules":
                raise
            continue
        specs.extend(getattr(module, "SCHEDULES", []))
    return specs


SCHEDULES = [
    ScheduleSpec(name="worker-heartbeat", func="apps.core.tasks.worker_heartbeat", minutes=1),
]
