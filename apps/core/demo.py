"""Demo seeding registry: each app may have a `demo.py` with `seed(stdout)`;
`manage.py seed_demo` runs them in INSTALLED_APPS order. Each seed must be idempotent: the demo
re-seeds on every start."""

from __future__ import annotations

from importlib import import_module

from django.apps import apps as django_apps


def demo_seeders() -> list:
    seeders = []
    for config in django_apps.get_app_configs():
        if not config.name.startswith("apps.") or config.name == "apps.core":
            continue
        try:
            module = import_module(f"{config.name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.demo":
                raise
            continue
        if hasattr(module, "seed"):
            seeders.append((config.label, module.seed))
    return seeders
