"""An in-process connector for unit tests of delivery (registered as "sync-test").

It behaves like a well-mannered target: idempotent per key (a second push with the same key
returns the first record, created=False), one `push_many` call per batch, and an `on_call`
observer called after every "round trip" like the Odoo connector. Outcomes are scripted per
call: `SyncTestConnector.script[system_code] = ["transient", "ok", "permanent", ...]` (consumed
one per round trip; empty = ok)."""

from __future__ import annotations

import itertools
import threading
import time

from apps.connectors.base import Connector, HealthResult, PushResult
from apps.connectors.errors import PermanentError, TransientError
from apps.connectors.registry import register

_lock = threading.Lock()
_ids = itertools.count(1000)


@register("sync-test")
class SyncTestConnector(Connector):
    script: dict[str, list] = {}
    records: dict[str, dict[str, dict]] = {}
    call_log: list[dict] = []

    on_call = None

    @classmethod
    def reset(cls):
        cls.script = {}
        cls.records = {}
        cls.call_log = []

    def health(self):
        return HealthResult(ok=True)

    def _round_trip(self, method: str, records: int):
        with _lock:
            script = self.script.get(self.system.code) or []
            outcome = script.pop(0) if script else "ok"
            entry = {
                "system": self.system.code,
                "method": method,
                "records": records,
                "at": time.monotonic(),
            }
            self.call_log.append(entry)
        ok = outcome == "ok"
        if self.on_call:
            self.on_call(
                {
                    "protocol": "test",
                    "method": method,
                    "records": records,
                    "duration_ms": 0.1,
                    "ok": ok,
                }
            )
        if outcome == "transient":
            raise TransientError("503 Service Unavailable", code="http_503", status_code=503)
        if isinstance(outcome, tuple) and outcome[0] == "retry_after":
            raise TransientError("429 Too Many Requests", code="http_429", retry_after=outcome[1])
        if outcome == "permanent":
            raise PermanentError(
                "Missing required field: name",
                code="validation",
                remote_name="odoo.exceptions.ValidationError",
            )

    def _store(self, key: str, payload: dict, external_id) -> PushResult:
        with _lock:
            table = self.records.setdefault(self.system.code, {})
            if key in table:
                table[key]["payload"] = payload
                return PushResult(external_id=table[key]["id"], created=False)
            new_id = str(external_id or next(_ids))
            table[key] = {"id": new_id, "payload": payload}
            return PushResult(external_id=new_id, created=True)

    def push(self, *, domain, operation, payload, idempotency_key, external_id=None):
        self._round_trip("push", 1)
        return self._store(idempotency_key, payload, external_id)

    def push_many(self, *, domain, operation, items):
        self._round_trip("push_many", len(items))
        return [
            self._store(item["idempotency_key"], item["payload"], item.get("external_id"))
            for item in items
        ]
