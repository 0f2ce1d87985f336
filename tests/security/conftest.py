"""Security fixtures: the whole URL conf as a list of routes, and one seeded world (the demo data of
every app: projects SCH-001, BRG-003, HOS-002) shared by a module, rolled back at its end."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from apps.accounts import roles
from apps.accounts.services import user_create
from apps.core.demo import demo_seeders
from apps.projects.models import Project

OWN_PROJECT = "SCH-001"  # the personas are members of this project only (as in tests/conftest.py)
OTHER_PROJECT = "HOS-002"

PERSONA_ROLES = {
    "fiona": roles.FINANCE,
    "pat": roles.PMO,
    "ada": roles.INTEGRATION_ADMIN,
    "rob": roles.REQUESTER,
    "alice": roles.APPROVER,
}


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    pattern: str  # the route as written, prefixes included
    callback: object
    kwargs: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/")

    @property
    def view_class(self):
        return getattr(self.callback, "view_class", None) or getattr(self.callback, "cls", None)

    @property
    def required_roles(self) -> tuple[str, ...] | None:
        declared = getattr(self.callback, "required_roles", None)
        if declared is None and self.view_class is not None:
            declared = getattr(self.view_class, "required_roles", None)
        return tuple(declared) if declared else None


def _walk(resolver, prefix="", namespace=None):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = entry.name or entry.lookup_str
            full_name = f"{namespace}:{name}" if namespace else name
            kwargs = tuple(entry.pattern.regex.groupindex)
            yield Route(full_name, prefix + str(entry.pattern), entry.callback, kwargs)


def all_routes() -> list[Route]:
    """Every named route of the URL conf (django-admin excluded: it is staff-only by Django)."""
    return [
        route for route in _walk(get_resolver()) if not route.pattern.startswith("django-admin/")
    ]


@pytest.fixture(scope="module")
def seeded_world(django_db_setup, django_db_blocker):
    """All demo seeders plus the personas, in one transaction rolled back after the module."""
    from apps.ledger.ingest import ingest_caches_clear

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            for label, seed in demo_seeders():
                if label == "accounts":  # its demo users would clash with the personas
                    continue
                seed(io.StringIO())
            own = Project.objects.get(code=OWN_PROJECT)
            users = {
                name: user_create(
                    username=f"sec-{name}",
                    password="persona-pass-123",
                    roles=[role],
                    projects=[] if role == roles.INTEGRATION_ADMIN else [own],
                )
                for name, role in PERSONA_ROLES.items()
            }
            yield users
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            ingest_caches_clear()
