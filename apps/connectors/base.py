"""The connector protocol: one small class per kind of system (CONVENTIONS: connectors).

A connector is built for one System and talks to it; it never touches the ledger itself. The
sync engine calls `push`/`pull`, the ingest endpoint calls `verify_signature` and `parse_event`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from apps.connectors.errors import ConnectorError
from apps.connectors.models import System


@dataclass
class HealthResult:
    ok: bool
    detail: str = ""
    latency_ms: float | None = None


@dataclass
class PushResult:
    """What a target returned for one write: its id for the record and anything worth keeping."""

    external_id: str
    created: bool = True  # False when an existing record was found and updated/reused
    response: dict[str, Any] = field(default_factory=dict)


@dataclass
class PullPage:
    records: list[dict[str, Any]]
    next_cursor: str | None = None  # None = no more pages
    high_water_mark: str | None = None  # e.g. the largest write_date seen


@dataclass
class ParsedEvent:
    """A platform delivery turned into the hub's terms (before validation and mapping)."""

    domain: str
    operation: str
    idempotency_key: str
    external_id: str = ""
    project_ref: str = ""
    occurred_at: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


class Connector:
    """Base class. Subclasses set `name` and override what their system supports."""

    name: str = ""
    # Does this platform sign deliveries its own way (e.g. x-adsk-signature)? Then ingest asks
    # verify_signature() instead of applying the Standard Webhooks check.
    native_signature: bool = False
    # Do deliveries carry ids only (Procore, ACC)? Then the pipeline calls event_details() to
    # fetch the resource (a follow-up GET) before validating and mapping.
    needs_details: bool = False

    def __init__(self, system: System, *, transport: httpx.BaseTransport | None = None):
        self.system = system
        self.transport = transport

    # --- outbound ---
    def health(self) -> HealthResult:
        raise NotImplementedError

    def push(
        self,
        *,
        domain: str,
        operation: str,
        payload: dict[str, Any],
        idempotency_key: str,
        external_id: str | None = None,
    ) -> PushResult:
        raise NotImplementedError(f"{self.name} connector cannot push {domain}")

    def push_many(
        self, *, domain: str, operation: str, items: Sequence[dict[str, Any]]
    ) -> list[PushResult | ConnectorError]:
        """Deliver several records of one domain; one outcome per item, in order.

        items: [{"payload": {...}, "idempotency_key": "...", "external_id": None}]. This default
        pushes one by one; connectors whose API takes many records per call (Odoo's `create`
        with a list) override it. A ConnectorError is returned for its item, not raised.
        """
        outcomes: list[PushResult | ConnectorError] = []
        for item in items:
            try:
                outcomes.append(
                    self.push(
                        domain=domain,
                        operation=operation,
                        payload=item.get("payload") or {},
                        idempotency_key=item.get("idempotency_key") or "",
                        external_id=item.get("external_id"),
                    )
                )
            except ConnectorError as exc:
                outcomes.append(exc)
        return outcomes

    def pull(
        self, *, domain: str, since: str | None = None, cursor: str | None = None, limit: int = 500
    ) -> PullPage:
        raise NotImplementedError(f"{self.name} connector cannot pull {domain}")

    # --- inbound ---
    def verify_signature(self, *, headers: dict[str, str], body: bytes, secrets: list[str]) -> bool:
        raise NotImplementedError

    def parse_event(
        self, *, headers: dict[str, str], payload: Any, body: bytes | None = None
    ) -> ParsedEvent | None:
        """Turn a delivery into a ParsedEvent; None means 'use the generic event envelope'.

        `body` is the raw request body when the caller has it: some platforms send JSON with
        repeated keys (Procore v3.0), which only a re-read of the bytes can keep.
        """
        return None

    def event_details(self, *, domain: str, operation: str, payload: dict[str, Any]) -> dict:
        """The parsed payload with the resource details under "resource" (a follow-up GET).

        Raises TransientError/PermanentError like any remote call."""
        return payload

    def close(self) -> None:
        """Release pooled connections."""
