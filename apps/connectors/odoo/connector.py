"""The Odoo connector: idempotent, batched writes and keyset pulls over JSON-RPC or JSON-2."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

import httpx

from apps.connectors.base import Connector, HealthResult, PullPage, PushResult
from apps.connectors.errors import ConnectorError, PermanentError, TransientError
from apps.connectors.models import System
from apps.connectors.odoo.client import OdooClient, odoo_client_build, odoo_client_for
from apps.connectors.odoo.cursors import (
    EPOCH,
    Mark,
    cursor_key,
    mark_parse,
    sync_cursor_advance,
    sync_cursor_get,
)
from apps.connectors.odoo.domains import DOMAIN_SPECS, DomainSpec, PushItem, Resolver
from apps.connectors.odoo.values import from_odoo_datetime, slug
from apps.connectors.registry import register

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 100  # reference §4: batches of ≤100 dicts per create
DEFAULT_PAGE_SIZE = 200  # reference §4: 100–500 records per search_read page
EXTERNAL_ID_MODULE = "integrationhub"

WRITE_OPERATIONS = frozenset({"create", "update", "upsert"})
# Business methods guarded by the record's state, so a retried action is a no-op in Odoo:
# method -> states in which it may be called (None: any state but the ones in _DONE_STATES).
_ACTION_STATES: dict[str, frozenset[str] | None] = {
    "button_confirm": frozenset({"draft", "sent"}),
    "action_confirm": frozenset({"draft", "sent"}),
    "action_draft": frozenset({"cancel", "sent"}),
    "action_post": frozenset({"draft"}),
    "button_draft": frozenset({"posted", "cancel"}),
    "button_cancel": None,
    "action_cancel": None,
}
_DONE_STATES = frozenset({"cancel", "canceled", "cancelled"})
# Whole-batch failures: isolating records one by one cannot change the answer.
_BATCH_WIDE_CODES = frozenset(
    {"access_error", "access_denied", "auth_failed", "configuration_error", "method_not_found"}
)


# What other apps emit, in the connector's terms: (domain, operation) -> (domain, operation).
_OPERATION_ALIASES = {
    ("budget_line", "revise"): ("budget_line", "upsert"),
    ("change_order", "apply"): ("commitment", "update"),  # lines with purchase_line_id change
    ("commitment", "amend"): ("commitment", "update"),
}
_MATCH_RELEASE = frozenset({"matched", "matched_within_tolerance", "within_tolerance", "released"})
_MATCH_HOLD = frozenset({"exception", "variance", "unmatched", "held", "mismatch"})


def _operation_alias(domain: str, operation: str, payload: dict[str, Any]) -> tuple[str, str]:
    """Map an emitted (domain, operation) to the connector's; invoice match results become
    hold / release of the bill (release_to_pay_manual)."""
    if (domain, operation) == ("invoice", "match_result"):
        result = str(payload.get("result") or payload.get("status") or "").lower()
        if result in _MATCH_RELEASE:
            return "invoice", "release"
        if result in _MATCH_HOLD:
            return "invoice", "hold"
        raise PermanentError(
            f"invoice match_result: unknown result {result!r} (expected one of "
            f"{', '.join(sorted(_MATCH_RELEASE | _MATCH_HOLD))})",
            code="invalid_payload",
        )
    return _OPERATION_ALIASES.get((domain, operation), (domain, operation))


def xmlid_name(domain: str, idempotency_key: str) -> str:
    """A stable ir.model.data name for an idempotency key: readable prefix + a hash, because
    keys may be long or hold characters an xmlid cannot."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]
    readable = slug(idempotency_key, limit=40)
    return f"{domain}_{readable}_{digest}" if readable else f"{domain}_{digest}"


class PushContext:
    """What one batch shares: the client, the observed call path, lookups already made."""

    def __init__(self, connector: OdooConnector):
        self.connector = connector
        self.client: OdooClient = connector.client
        self.options: dict[str, Any] = connector.options
        self.module = str(self.options.get("external_id_module") or EXTERNAL_ID_MODULE)
        self.shared_cache = self.client.cache
        self.batch_cache: dict[str, Any] = {}
        self.resolver = Resolver(self)

    # --- calls ------------------------------------------------------------------------------
    def call(
        self,
        model: str,
        method: str,
        args: Sequence[Any] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        records: int | None = None,
        context: dict[str, Any] | None = None,
    ) -> Any:
        kwargs = dict(kwargs or {})
        if context:
            kwargs["context"] = {**kwargs.get("context", {}), **context}
        return self.client.call(
            model, method, args, kwargs, observe=self.connector._observe, records=records
        )

    def search_read(
        self,
        model: str,
        domain: list[Any],
        fields: list[str],
        *,
        limit: int | None = None,
        order: str | None = None,
        archived: bool = False,
    ) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {"fields": fields}
        if limit is not None:
            kwargs["limit"] = limit
        if order:
            kwargs["order"] = order
        if archived:
            kwargs["context"] = {"active_test": False}
        rows = self.call(model, "search_read", [domain], kwargs)
        return rows if isinstance(rows, list) else []

    def read(self, model: str, ids: Sequence[int], fields: list[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        rows = self.call(model, "read", [list(ids)], {"fields": fields}, records=len(ids))
        return rows if isinstance(rows, list) else []

    def fields(self, model: str) -> dict[str, dict]:
        return self.client.fields(model, observe=self.connector._observe)

    def has_field(self, model: str, name: str) -> bool:
        return name in self.fields(model)

    def field_name(self, model: str, candidates: Iterable[str]) -> str | None:
        available = self.fields(model)
        return next((name for name in candidates if name in available), None)

    def available_fields(self, model: str, wanted: Iterable[str]) -> list[str]:
        available = self.fields(model)
        return [name for name in wanted if name in available]

    def call_per_record(
        self,
        model: str,
        method: str,
        items: list[PushItem],
        *,
        context: dict[str, Any] | None = None,
    ) -> None:
        """Call a business method on many records in one round trip; if Odoo refuses the
        batch, call it per record so one bad record does not hold the others back."""
        items = [item for item in items if item.ok and item.odoo_id]
        if not items:
            return
        ids = [item.odoo_id for item in items]
        try:
            self.call(model, method, [ids], records=len(ids), context=context)
            return
        except PermanentError as exc:
            if len(items) == 1 or exc.code in _BATCH_WIDE_CODES:
                for item in items:
                    item.error = exc
                return
        for item in items:
            try:
                self.call(model, method, [[item.odoo_id]], records=1, context=context)
            except PermanentError as exc:
                item.error = exc

    def xmlids_attach(self, items: list[PushItem], model: str) -> None:
        """Create the ir.model.data rows naming these records after their idempotency keys
        (one call), or re-point a stale one."""
        stale = self.batch_cache.get("stale_xmlids", {})
        rows: dict[str, dict[str, Any]] = {}
        for item in items:
            if not item.ok or not item.odoo_id or item.xmlid_done or item.found_by == "xmlid":
                continue
            # Items sharing a key (a duplicate inside one batch) share one record and one row.
            rows.setdefault(
                item.xmlid_name,
                {
                    "module": self.module,
                    "name": item.xmlid_name,
                    "model": model,
                    "res_id": item.odoo_id,
                    "noupdate": True,
                },
            )
        fresh = [row for name, row in rows.items() if name not in stale]
        if fresh:
            self.call("ir.model.data", "create", [fresh], records=len(fresh))
        for name, row in rows.items():
            if name in stale:
                self.call("ir.model.data", "write", [[stale[name]], {"res_id": row["res_id"]}])
        for item in items:
            if item.ok and item.xmlid_name in rows:
                item.xmlid_done = True


@register("odoo")
class OdooConnector(Connector):
    """Odoo ERP over its external API. See the package docstring for the full contract."""

    def __init__(self, system: System, *, transport: httpx.BaseTransport | None = None):
        super().__init__(system, transport=transport)
        self.options: dict[str, Any] = dict(system.options or {})
        self.on_call = None  # callable(record: dict) -> None, called after every round trip
        self.round_trips = 0
        self.round_trip_ms = 0.0
        self.calls: deque[dict[str, Any]] = deque(maxlen=1000)
        self._client: OdooClient | None = None

    # --- plumbing -----------------------------------------------------------------------------
    @property
    def client(self) -> OdooClient:
        if self._client is None:
            # A test's transport gets its own client; production shares the pooled one.
            if self.transport is not None:
                self._client = odoo_client_build(self.system, transport=self.transport)
            else:
                self._client = odoo_client_for(self.system)
        return self._client

    def close(self) -> None:
        if self._client is not None and self.transport is not None:
            self._client.close()
        self._client = None

    def _observe(self, record: dict[str, Any]) -> None:
        self.round_trips += 1
        self.round_trip_ms += record.get("duration_ms") or 0.0
        self.calls.append(record)
        if self.on_call is not None:
            try:
                self.on_call(record)
            except Exception:
                # The Odoo effect already happened; failing the push would make the hub retry
                # a write that succeeded. Report loudly instead.
                logger.exception(
                    "odoo connector: on_call observer failed for %s.%s (system %s)",
                    record.get("model"),
                    record.get("method"),
                    self.system.code,
                )

    def call(
        self,
        model: str,
        method: str,
        args: Sequence[Any] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        """Any ORM method, observed and counted like the connector's own calls (execute_kw
        shape: positional `args` with record ids first, `kwargs` by name)."""
        return self.client.call(model, method, args, kwargs, observe=self._observe)

    def _spec(self, domain: str) -> DomainSpec:
        spec = DOMAIN_SPECS.get(domain)
        if spec is None:
            raise PermanentError(
                f"The Odoo connector does not handle the domain {domain!r} "
                f"(known: {', '.join(sorted(DOMAIN_SPECS))})",
                code="unsupported_domain",
            )
        return spec

    # --- health -------------------------------------------------------------------------------
    def health(self) -> HealthResult:
        started = time.perf_counter()
        try:
            version = self.client.version(observe=self._observe)
            uid = self.client.authenticate(observe=self._observe, force=True)
        except ConnectorError as exc:
            return HealthResult(
                ok=False, detail=str(exc), latency_ms=(time.perf_counter() - started) * 1000
            )
        server = version.get("server_version") or version.get("version") or "unknown version"
        who = f"user id {uid}" if uid and uid > 0 else "API key accepted"
        return HealthResult(
            ok=True,
            detail=f"Odoo {server} over {self.client.protocol}, {who}",
            latency_ms=(time.perf_counter() - started) * 1000,
        )

    # --- push ---------------------------------------------------------------------------------
    def push(
        self,
        *,
        domain: str,
        operation: str,
        payload: dict[str, Any],
        idempotency_key: str,
        external_id: str | None = None,
    ) -> PushResult:
        outcome = self.push_many(
            domain=domain,
            operation=operation,
            items=[
                {
                    "payload": payload,
                    "idempotency_key": idempotency_key,
                    "external_id": external_id,
                }
            ],
        )[0]
        if isinstance(outcome, ConnectorError):
            raise outcome
        return outcome

    def push_many(
        self, *, domain: str, operation: str, items: Sequence[dict[str, Any]]
    ) -> list[PushResult | ConnectorError]:
        """Deliver many records of one domain and operation; one outcome per item, in order.

        Creates travel as one `create` call per batch (options.batch_size, default 100), each
        with its ir.model.data rows in one more call; lookups are one search per batch."""
        work: list[PushItem] = []
        targets: dict[int, tuple[str, str]] = {}
        for index, raw in enumerate(items):
            payload = dict(raw.get("payload") or {})
            item = PushItem(
                index=index,
                payload=payload,
                idempotency_key=str(raw.get("idempotency_key") or ""),
                external_id=(str(raw["external_id"]) if raw.get("external_id") else None),
            )
            work.append(item)
            try:
                target = _operation_alias(domain, operation, payload)
                self._spec(target[0])
            except PermanentError as exc:
                item.error = exc
                continue
            if not item.idempotency_key:
                item.error = PermanentError(
                    "An idempotency key is required for every Odoo write", code="invalid_payload"
                )
            item.xmlid_name = xmlid_name(target[0], item.idempotency_key)
            targets[index] = target
        batch_size = max(1, int(self.options.get("batch_size") or DEFAULT_BATCH_SIZE))
        for target in dict.fromkeys(targets.values()):
            spec = self._spec(target[0])
            group = [item for item in work if targets.get(item.index) == target and item.ok]
            for start in range(0, len(group), batch_size):
                self._push_chunk(spec, target[1], group[start : start + batch_size])
        return [
            self._outcome(self._spec(targets[item.index][0]), item)
            if item.index in targets
            else item.error
            for item in work
        ]

    def _outcome(self, spec: DomainSpec, item: PushItem) -> PushResult | ConnectorError:
        if item.error is not None:
            return item.error
        return PushResult(
            external_id=str(item.odoo_id),
            created=item.created,
            response={
                "model": spec.model,
                "id": item.odoo_id,
                "found_by": item.found_by,
                "xmlid": f"{self.options.get('external_id_module') or EXTERNAL_ID_MODULE}."
                f"{item.xmlid_name}",
                **item.response,
            },
        )

    def _push_chunk(self, spec: DomainSpec, operation: str, items: list[PushItem]) -> None:
        ctx = PushContext(self)
        try:
            if operation in WRITE_OPERATIONS:
                self._write(spec, operation, ctx, items)
            else:
                self._action(spec, operation, ctx, items)
        except ConnectorError as exc:
            # A failure of a call that carried the whole batch: every unfinished item shares
            # it. Records created before it are found again by xmlid/reference on retry.
            for item in items:
                if item.ok:
                    item.error = exc

    @staticmethod
    def _alive(items: Iterable[PushItem]) -> list[PushItem]:
        return [item for item in items if item.ok]

    def _per_item(self, items: list[PushItem], step) -> None:
        for item in self._alive(items):
            try:
                step(item)
            except PermanentError as exc:
                item.error = exc

    def _locate(self, spec: DomainSpec, ctx: PushContext, items: list[PushItem]) -> None:
        """Find records that already exist: given id, then our xmlid, then the reference."""
        for item in items:
            if item.external_id:
                try:
                    item.odoo_id = int(item.external_id)
                except ValueError:
                    item.error = PermanentError(
                        f"external_id {item.external_id!r} is not an Odoo id",
                        code="invalid_payload",
                    )
                    continue
                item.found_by = "external_id"
        pending = [i for i in self._alive(items) if i.odoo_id is None]
        if pending:
            rows = ctx.search_read(
                "ir.model.data",
                [
                    ("module", "=", ctx.module),
                    ("name", "in", sorted({i.xmlid_name for i in pending})),
                ],
                ["name", "model", "res_id"],
            )
            hits = {row["name"]: row for row in rows if row.get("model") == spec.model}
            if hits:
                # Odoo drops xmlids with their records, but a restore or a hand edit can leave
                # one pointing nowhere: check, and re-point it after creating the record.
                existing = set(
                    ctx.call(
                        spec.model,
                        "search",
                        [[("id", "in", sorted({row["res_id"] for row in hits.values()}))]],
                        {"context": {"active_test": False}},
                    )
                    or []
                )
                stale = ctx.batch_cache.setdefault("stale_xmlids", {})
                for item in pending:
                    row = hits.get(item.xmlid_name)
                    if row is None:
                        continue
                    if row["res_id"] in existing:
                        item.odoo_id = row["res_id"]
                        item.found_by = "xmlid"
                    else:
                        stale[item.xmlid_name] = row["id"]
        pending = [i for i in self._alive(items) if i.odoo_id is None]
        if pending:
            spec.find(ctx, pending)

    def _write(
        self, spec: DomainSpec, operation: str, ctx: PushContext, items: list[PushItem]
    ) -> None:
        self._per_item(items, lambda item: spec.references(ctx, item.payload))
        ctx.resolver.fetch()
        spec.prepare(ctx, self._alive(items))
        self._locate(spec, ctx, self._alive(items))
        spec.located(ctx, self._alive(items), operation=operation)

        def build(item: PushItem) -> None:
            if item.odoo_id is None:
                item.vals = spec.vals(ctx, item.payload, create=True)
            elif operation != "create":
                item.vals = spec.vals(ctx, item.payload, create=False)

        self._per_item(items, build)
        to_create = [i for i in self._alive(items) if i.odoo_id is None]
        if to_create and not spec.creates:
            for item in to_create:
                item.error = PermanentError(
                    f"Nothing to apply the {spec.domain} to in Odoo", code="not_found"
                )
            to_create = []
        self._create(spec, ctx, to_create)
        # The xmlid names the record after the key that created it. A record found by its
        # reference on a create is one whose xmlid call was lost last time: repair it. Updates
        # carry per-event keys and must not leave an xmlid each.
        ctx.xmlids_attach(
            [
                i
                for i in self._alive(items)
                if i.created or (i.found_by == "reference" and operation == "create")
            ],
            spec.model,
        )
        if operation != "create":
            for item in self._alive(items):
                if item.found_by in ("external_id", "xmlid", "reference") and item.vals:
                    try:
                        ctx.call(spec.model, "write", [[item.odoo_id], item.vals], records=1)
                    except PermanentError as exc:
                        item.error = exc
        spec.after_write(ctx, self._alive(items))
        spec.describe(ctx, self._alive(items))

    def _create(self, spec: DomainSpec, ctx: PushContext, items: list[PushItem]) -> None:
        """One `create` with a list of dicts; Odoo creates all or none, so a refused batch is
        retried record by record to find the bad ones and keep the good ones."""
        # Items sharing an idempotency key (a duplicate in the batch) share one record.
        firsts: dict[str, PushItem] = {}
        followers: list[tuple[PushItem, PushItem]] = []
        for item in items:
            first = firsts.get(item.xmlid_name)
            if first is None:
                firsts[item.xmlid_name] = item
            else:
                followers.append((item, first))
        unique = spec.create_custom(ctx, list(firsts.values()))
        if unique:
            try:
                ids = ctx.call(
                    spec.model, "create", [[i.vals for i in unique]], records=len(unique)
                )
            except PermanentError as exc:
                if len(unique) == 1 or exc.code in _BATCH_WIDE_CODES:
                    for item in unique:
                        item.error = exc
                else:
                    self._create_one_by_one(spec, ctx, unique)
            else:
                if not isinstance(ids, list) or len(ids) != len(unique):
                    raise TransientError(
                        f"Odoo answered create on {spec.model} with {ids!r} for "
                        f"{len(unique)} records",
                        code="invalid_response",
                    )
                for item, new_id in zip(unique, ids, strict=True):
                    item.odoo_id = int(new_id)
                    item.created = True
        for item, first in followers:
            item.odoo_id, item.error = first.odoo_id, first.error
            item.found_by = "same_batch"

    def _create_one_by_one(self, spec: DomainSpec, ctx: PushContext, items: list[PushItem]):
        for item in items:
            try:
                new_ids = ctx.call(spec.model, "create", [[item.vals]], records=1)
            except PermanentError as exc:
                item.error = exc
                continue
            item.odoo_id = int(new_ids[0])
            item.created = True

    def _action(
        self, spec: DomainSpec, operation: str, ctx: PushContext, items: list[PushItem]
    ) -> None:
        """Status changes on existing records (confirm, post, cancel, hold, release, archive)."""
        if operation in ("hold", "release") and spec.domain == "invoice":
            hold_field = spec.hold_field(ctx)
            values = {hold_field: "no" if operation == "hold" else "yes"}
        elif operation == "archive" and ctx.has_field(spec.model, "active"):
            values = {"active": False}
        elif operation in spec.actions:
            values = None
        else:
            known = sorted({*WRITE_OPERATIONS, *spec.actions})
            if ctx.has_field(spec.model, "active"):
                known.append("archive")
            raise PermanentError(
                f"The Odoo connector cannot {operation!r} a {spec.domain} "
                f"(it can: {', '.join(known)})",
                code="unsupported_operation",
            )
        self._per_item(items, lambda item: spec.references(ctx, item.payload))
        ctx.resolver.fetch()
        self._locate(spec, ctx, items)
        for item in self._alive(items):
            if item.odoo_id is None:
                item.error = PermanentError(
                    f"No {spec.model} in Odoo for this {spec.domain}: give external_id or the "
                    "reference it was created with",
                    code="not_found",
                )
        alive = self._alive(items)
        if not alive:
            return
        if values is not None:
            ids = [item.odoo_id for item in alive]
            ctx.call(spec.model, "write", [ids, values], records=len(ids))
        else:
            method = spec.actions[operation]
            allowed = _ACTION_STATES.get(method)
            states = {
                row["id"]: row.get("state")
                for row in ctx.read(spec.model, [i.odoo_id for i in alive], ["state"])
            }
            todo = [
                item
                for item in alive
                if (allowed is None and states.get(item.odoo_id) not in _DONE_STATES)
                or (allowed is not None and states.get(item.odoo_id) in allowed)
            ]
            ctx.call_per_record(
                spec.model, method, todo, context=spec.action_context.get(operation)
            )
            for item in todo:
                item.created = False
        spec.describe(ctx, self._alive(items))

    # --- pull ---------------------------------------------------------------------------------
    def pull(
        self,
        *,
        domain: str,
        since: str | None = None,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> PullPage:
        """One page of `domain` records, as canonical dicts.

        - no since, no cursor: everything, paged by id (`id > last`, ordered by id; no offset);
          for backfills and reconciliation.
        - since = a high-water mark (apps/connectors/odoo/cursors.py; a bare "YYYY-MM-DD
          HH:MM:SS" works): records changed since, ordered by (write_date, id), archived ones
          included, read from `write_date >= mark` with the mark's already-seen records dropped.
        - cursor = the previous page's `next_cursor`: the next page of the same pull.
        `high_water_mark` is where this page ends: store it once the page's records are safely
        recorded (`commit_high_water_mark`); the next pull starts there.
        """
        spec = self._spec(domain)
        if not spec.pull_fields:
            raise PermanentError(f"Cannot pull {domain} from Odoo", code="unsupported_domain")
        limit = max(1, min(int(limit or DEFAULT_PAGE_SIZE), 5000))
        ctx = PushContext(self)
        fields_wanted = list(
            dict.fromkeys(
                ctx.available_fields(spec.model, [*spec.pull_fields_for(ctx), "write_date"])
            )
        )
        mode, last_id, mark, continuing = self._position(since=since, cursor=cursor)
        base = list(spec.pull_domain)
        if mode == "id":
            rows = ctx.search_read(
                spec.model,
                [*base, ("id", ">", last_id)],
                fields_wanted,
                limit=limit,
                order="id asc",
                archived=True,
            )
            delivered = rows
            page_mark = None
            for row in rows:
                row_mark = Mark(_second(row), {row["id"]: _digest(row)})
                page_mark = row_mark if page_mark is None else page_mark.merged(row_mark)
            next_cursor = f"id:{rows[-1]['id']}" if len(rows) == limit else None
            high_water_mark = page_mark.format() if page_mark else None
        else:
            assert mark is not None
            start = mark.write_date
            search_domain = [*base]
            overlap = float(self.options.get("pull_overlap_seconds") or 0)
            if not continuing and overlap > 0:
                # Odoo stamps write_date at transaction start: a long transaction can commit
                # rows dated before the mark after we read past it. Re-read a window; its
                # records come again with the same idempotency keys (deduplicated downstream).
                start = _shift(start, -overlap)
            search_domain.append(("write_date", ">=", start))
            if continuing and mark.seen:
                # Skip the rows already read at the mark's second, but not one of them that
                # changed again since (its write_date moved past the mark): that is a new change.
                search_domain += [
                    "|",
                    ("write_date", ">", mark.write_date),
                    ("id", "not in", sorted(mark.seen)),
                ]
            rows = ctx.search_read(
                spec.model,
                search_domain,
                fields_wanted,
                limit=limit,
                order="write_date asc, id asc",
                archived=True,
            )
            delivered = []
            page_mark = mark
            for row in rows:
                second, digest = _second(row), _digest(row)
                # Already delivered from this very second with this very content: skip. A
                # record changed again within the second has a new digest and comes through.
                if not (second == mark.write_date and mark.seen.get(row["id"]) == digest):
                    delivered.append(row)
                page_mark = page_mark.merged(Mark(second, {row["id"]: digest}))
            next_cursor = f"wd:{page_mark.format(max_seen=None)}" if len(rows) == limit else None
            high_water_mark = page_mark.format()
        related = spec.pull_related(ctx, delivered)
        records = [self._canonical(spec, row, related) for row in delivered]
        return PullPage(records=records, next_cursor=next_cursor, high_water_mark=high_water_mark)

    @staticmethod
    def _position(*, since: str | None, cursor: str | None) -> tuple[str, int, Mark | None, bool]:
        """(mode, last id, mark, continuing a pull) from since/cursor."""
        if cursor:
            kind, _, value = cursor.partition(":")
            if kind == "id" and value.isdigit():
                return "id", int(value), None, True
            if kind == "wd":
                mark = mark_parse(value)
                if mark is not None:
                    return "wd", 0, mark, True
            raise PermanentError(f"Not an Odoo pull cursor: {cursor!r}", code="invalid_cursor")
        if since:
            mark = mark_parse(since)
            if mark is None:
                raise PermanentError(
                    f"Not a high-water mark: {since!r} (expected 'YYYY-MM-DD HH:MM:SS[|…]')",
                    code="invalid_cursor",
                )
            return "wd", 0, mark, False
        return "id", 0, None, False

    def _canonical(
        self, spec: DomainSpec, row: dict[str, Any], related: dict[str, Any]
    ) -> dict[str, Any]:
        write_date = _second(row)
        return {
            "domain": spec.domain,
            "external_id": str(row["id"]),
            "odoo_model": spec.model,
            "write_date": from_odoo_datetime(write_date),
            # Same record, same version → same key: re-reads (overlap, retried pages) dedupe;
            # the digest tells apart two versions written within one second.
            "idempotency_key": (
                f"odoo:{self.system.code}:{spec.model}:{row['id']}:{write_date}:{_digest(row)}"
            ),
            **spec.to_canonical(row, related),
        }

    # --- incremental pulls with a stored mark -------------------------------------------------
    def pull_changes(
        self, *, domain: str, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE
    ) -> PullPage:
        """Like pull(), starting from the stored high-water mark of the domain's model (a full
        pull the first time). Pass each page's next_cursor back until it is None."""
        since = None
        if cursor is None:
            # The first run starts at the epoch, still ordered by write_date: a record changed
            # while it runs is read again later in the same run or the next, never skipped.
            since = (
                sync_cursor_get(system=self.system, key=cursor_key(self._spec(domain).model))
                or EPOCH
            )
        return self.pull(domain=domain, since=since, cursor=cursor, limit=limit)

    def commit_high_water_mark(self, *, domain: str, value: str | None) -> bool:
        """Store a page's high-water mark (only ever moves forward). True if it moved."""
        if not value:
            return False
        return sync_cursor_advance(
            system=self.system, key=cursor_key(self._spec(domain).model), value=value
        )

    def external_ids(self, *, domain: str, page_size: int = 5000) -> list[int]:
        """Every id of the domain in Odoo, archived included: deletions leave no write_date,
        so reconciliation compares id sets (reference §4)."""
        spec = self._spec(domain)
        ctx = PushContext(self)
        found: list[int] = []
        last = 0
        for _ in range(100_000):  # bounded: 5e8 records
            page = ctx.call(
                spec.model,
                "search",
                [[*spec.pull_domain, ("id", ">", last)]],
                {"limit": page_size, "order": "id asc", "context": {"active_test": False}},
            )
            found.extend(page or [])
            if not page or len(page) < page_size:
                break
            last = page[-1]
        return found


def _second(row: dict[str, Any]) -> str:
    return str(row.get("write_date") or EPOCH)[:19]


def _digest(row: dict[str, Any]) -> str:
    """A short digest of a record as read: tells two versions with one write_date apart."""
    text = json.dumps(row, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def _shift(odoo_datetime: str, seconds: float) -> str:
    from datetime import datetime, timedelta

    moment = datetime.strptime(odoo_datetime[:19], "%Y-%m-%d %H:%M:%S")
    return (moment + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")
