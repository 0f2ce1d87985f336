"""Connectors register themselves by name; a System names its connector (or its kind)."""

from __future__ import annotations

from importlib import import_module

import httpx

from apps.connectors.base import Connector
from apps.connectors.models import System

_REGISTRY: dict[str, type[Connector]] = {}

# Modules imported on first lookup so their @register decorators run.
CONNECTOR_MODULES = [
    "apps.connectors.odoo",
    "apps.connectors.scheduling",
    "apps.connectors.documents",
    "apps.connectors.estimating",
    "apps.connectors.field",
    "apps.connectors.banking",
    "apps.connectors.generic",
]
_loaded = False


def register(name: str):
    def decorator(cls: type[Connector]) -> type[Connector]:
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return decorator


def _load() -> None:
    global _loaded
    if _loaded:
        return
    for module in CONNECTOR_MODULES:
        try:
            import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    _loaded = True


def connector_class(name: str) -> type[Connector] | None:
    _load()
    return _REGISTRY.get(name)


def connector_names() -> list[str]:
    _load()
    return sorted(_REGISTRY)


def connector_for(system: System, *, transport: httpx.BaseTransport | None = None) -> Connector:
    """The connector instance for a System (by its `connector` field, else its kind)."""
    cls = connector_class(system.connector or system.kind)
    if cls is None:
        cls = connector_class("generic") or Connector
    return cls(system, transport=transport)
