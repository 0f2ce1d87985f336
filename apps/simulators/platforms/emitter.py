"""The emitter: realistic, signed platform traffic to the hub at a steady rate, with a share of
realistic bad data, and a report of what the hub answered.

Bad data, as platforms really produce it (`bad_share` of the deliveries, spread over the kinds a
family can produce):
    unknown_project     a project the hub was never told about          → 202, then held
                                                                          (invalid_project_reference)
    unmapped_cost_code  a cost code nobody mapped (estimating, field)   → 202, then held
                                                                          (cost_code_error)
    out_of_order        an older state of a subject after a newer one   → 202, then ignored (stale)
                        (P6 milestones, estimating budget versions)
    duplicate           a delivery sent again (same message id)         → 200 duplicate
    malformed_body      a signed body that is not the platform's format → 400
    bad_signature       wrong secret, tampered body or stale timestamp  → 401

The rate is kept by a schedule (delivery i is due at start + i/rate), never by sleeping a fixed
amount; a slow hub makes the emitter fall behind (reported) rather than pile up requests: at most
`concurrency` deliveries are in flight. Duplicates and out-of-order updates are only made from
deliveries the hub already accepted, so the "original" is always the first to land.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from apps.simulators.platforms.signing import adsk_headers, standard_webhooks_headers
from apps.simulators.platforms.world import FAMILIES, Delivery, PlatformWorld

BAD_CATEGORIES = (
    "unknown_project",
    "unmapped_cost_code",
    "out_of_order",
    "duplicate",
    "malformed_body",
    "bad_signature",
)
# How often each family speaks (documents and field apps are the chattiest).
FAMILY_WEIGHTS = {"scheduling": 15, "documents": 35, "estimating": 10, "field": 40}
EXPECTED = {
    "good": "accepted",
    "unknown_project": "accepted",
    "unmapped_cost_code": "accepted",
    "out_of_order": "accepted",
    "duplicate": "duplicate",
    "malformed_body": "refused",
    "bad_signature": "refused",
}
WRONG_SECRET = "whsec_d3JvbmctZW1pdHRlci1zZWNyZXQtbm90LWNvbmZpZ3VyZWQ="
# The share of good field events a tablet sends through the batch endpoint (offline sync) instead
# of one by one; each such batch carries the one event, so the report still counts deliveries.
FIELD_BATCH_SHARE = 0.1


@dataclass
class EmitterConfig:
    target: str
    secrets: dict[str, str]  # hub system code → signing secret
    rate: float = 50.0  # deliveries per second
    duration: float = 60.0  # seconds; 0 = until stop() (the demo)
    bad_share: float = 0.05
    families: tuple[str, ...] = FAMILIES
    seed: int = 1
    concurrency: int = 4
    max_events: int | None = None
    timeout: float = 10.0
    progress_every: float = 10.0  # seconds between progress lines; 0 = quiet


@dataclass
class DeliveryOutcome:
    seq: int
    system: str
    family: str
    event: str
    category: str
    expect: str
    message_id: str
    outcome: str = ""  # accepted | duplicate | refused | error
    status: int | None = None
    transaction_id: int | None = None
    reason: str = ""
    elapsed_ms: float = 0.0
    original_seq: int | None = None
    subject: str = ""
    note: str = ""

    @property
    def as_expected(self) -> bool:
        return self.outcome == self.expect


@dataclass
class EmitReport:
    config: dict[str, Any]
    outcomes: list[DeliveryOutcome] = field(default_factory=list)
    started_at: float = 0.0
    finished_at: float = 0.0
    skipped_categories: Counter = field(default_factory=Counter)

    @property
    def seconds(self) -> float:
        return max(0.0, self.finished_at - self.started_at)

    def count(self, **where) -> int:
        return sum(
            1
            for o in self.outcomes
            if all(getattr(o, key) == value for key, value in where.items())
        )

    def by_system(self) -> list[dict[str, Any]]:
        systems = sorted({o.system for o in self.outcomes})
        rows = [
            self._row(system, [o for o in self.outcomes if o.system == system])
            for system in systems
        ]
        rows.append(self._row("total", self.outcomes))
        return rows

    def by_category(self) -> list[dict[str, Any]]:
        rows = []
        for category in ("good", *BAD_CATEGORIES):
            items = [o for o in self.outcomes if o.category == category]
            if items:
                row = self._row(category, items)
                row["as_expected"] = sum(1 for o in items if o.as_expected)
                row["expect"] = EXPECTED[category]
                rows.append(row)
        return rows

    @staticmethod
    def _row(name: str, items: list[DeliveryOutcome]) -> dict[str, Any]:
        outcomes = Counter(o.outcome for o in items)
        return {
            "name": name,
            "sent": len(items),
            "accepted": outcomes["accepted"],
            "duplicates": outcomes["duplicate"],
            "refused": outcomes["refused"],
            "errors": outcomes["error"],
        }

    def render(self) -> str:
        rate = len(self.outcomes) / self.seconds if self.seconds else 0.0
        lines = [
            f"platform traffic: {len(self.outcomes)} deliveries in {self.seconds:.1f} s "
            f"({rate:.1f}/s) to {self.config.get('target')}",
            "",
            f"{'system':14} {'sent':>7} {'accepted':>9} {'duplicates':>11} {'refused':>8} "
            f"{'errors':>7}",
        ]
        for row in self.by_system():
            lines.append(
                f"{row['name']:14} {row['sent']:>7} {row['accepted']:>9} {row['duplicates']:>11} "
                f"{row['refused']:>8} {row['errors']:>7}"
            )
        lines += ["", f"{'traffic':20} {'sent':>7} {'expected':>10} {'as expected':>12}"]
        for row in self.by_category():
            lines.append(
                f"{row['name']:20} {row['sent']:>7} {row['expect']:>10} {row['as_expected']:>12}"
            )
        refused = Counter(o.reason for o in self.outcomes if o.outcome == "refused")
        if refused:
            lines += [
                "",
                "refused by reason: " + ", ".join(f"{k} {v}" for k, v in sorted(refused.items())),
            ]
        errors = Counter(o.reason for o in self.outcomes if o.outcome == "error")
        if errors:
            lines += ["errors: " + ", ".join(f"{k} {v}" for k, v in sorted(errors.items()))]
        if self.skipped_categories:
            lines += [
                "bad data sent as good (nothing to make it from yet): "
                + ", ".join(f"{k} {v}" for k, v in sorted(self.skipped_categories.items()))
            ]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "seconds": self.seconds,
            "by_system": self.by_system(),
            "by_category": self.by_category(),
            "outcomes": [asdict(o) for o in self.outcomes],
        }


class Emitter:
    """Sends deliveries from a PlatformWorld to the hub; `run()` returns the report."""

    def __init__(
        self,
        config: EmitterConfig,
        world: PlatformWorld | None = None,
        *,
        out=None,
        transport: httpx.BaseTransport | None = None,
    ):
        unknown = set(config.families) - set(FAMILIES)
        if unknown:
            raise ValueError(
                f"unknown systems {sorted(unknown)}; choose from {', '.join(FAMILIES)}"
            )
        if config.rate <= 0:
            raise ValueError("--rate must be above 0")
        if not 0 <= config.bad_share <= 1:
            raise ValueError("--bad-share must be between 0 and 1")
        self.config = config
        self.world = world or PlatformWorld(seed=config.seed)
        # The choice of family and bad category has its own rng so the mix is the same for a
        # seed whatever the world draws for the content.
        self.mix_rng = random.Random(config.seed * 7919 + 17)
        # Its own rng too: choosing batches must not change the mix a seed produces.
        self.batch_rng = random.Random(config.seed * 104729 + 3)
        self.stop_event = threading.Event()
        self.out = out
        self.transport = transport  # tests inject httpx.MockTransport for edge cases
        self._lock = threading.Lock()
        self._sent: dict[int, tuple[Delivery, dict[str, str], bytes]] = {}
        self._accepted: list[int] = []
        self.report = EmitReport(config={**asdict(config), "secrets": "(hidden)"})

    def stop(self) -> None:
        self.stop_event.set()

    # --- choosing what to send ----------------------------------------------------------------
    def _families(self) -> tuple[list[str], list[int]]:
        families = [f for f in FAMILIES if f in self.config.families]
        return families, [FAMILY_WEIGHTS[f] for f in families]

    def next_delivery(self) -> tuple[Delivery, dict[str, str], bytes]:
        """The next delivery with its headers and the exact bytes to send."""
        families, weights = self._families()
        family = self.mix_rng.choices(families, weights=weights)[0]
        category = "good"
        if self.mix_rng.random() < self.config.bad_share:
            options = [
                *self.world.categories_for(family),
                "duplicate",
                "malformed_body",
                "bad_signature",
            ]
            category = self.mix_rng.choice(options)
        if category == "duplicate":
            resend = self._duplicate()
            if resend is not None:
                return resend
            self.report.skipped_categories[category] += 1
            category = "good"
        world_category = category if category in self.world.categories_for(family) else "good"
        delivery = self.world.delivery(family=family, category=world_category)
        if delivery.category != world_category:  # the world had nothing to make it from
            self.report.skipped_categories[world_category] += 1
        if category in ("malformed_body", "bad_signature"):
            delivery.category = category
        delivery.expect = EXPECTED[delivery.category]
        body = delivery.body
        if delivery.category == "malformed_body":
            body = self._malformed(delivery)
        if (
            delivery.family == "field"
            and delivery.category == "good"
            and self.batch_rng.random() < FIELD_BATCH_SHARE
        ):
            delivery.meta["batch"] = True
            delivery.event = f"{delivery.event} (batch)"
        headers = self._sign(delivery, body)
        return delivery, headers, body

    def _batch_request(self, delivery: Delivery, body: bytes) -> tuple[bytes, dict[str, str]]:
        """The event wrapped as a one-event batch for /batches, signed over the batch body."""
        batch = json.dumps(
            {"batch_id": f"batch_{delivery.message_id}", "events": [json.loads(body)]},
            separators=(",", ":"),
        ).encode("utf-8")
        return batch, self._sign(delivery, batch)

    def _duplicate(self) -> tuple[Delivery, dict[str, str], bytes] | None:
        with self._lock:
            if not self._accepted:
                return None
            seq = self.mix_rng.choice(self._accepted)
            original, _, body = self._sent[seq]
        with self.world.lock:
            self.world.seq += 1
            new_seq = self.world.seq
        delivery = Delivery(
            seq=new_seq,
            family=original.family,
            platform=original.platform,
            system_code=original.system_code,
            event=original.event.removesuffix(" (batch)"),  # a resend goes to /events
            body=body,
            scheme=original.scheme,
            category="duplicate",
            message_id=original.message_id,  # a retry keeps its id; only the timestamp is new
            subject=original.subject,
            original_seq=original.seq,
            expect=EXPECTED["duplicate"],
            note=f"repeats delivery #{original.seq}",
        )
        return delivery, self._sign(delivery, body), body

    def _malformed(self, delivery: Delivery) -> bytes:
        style = self.mix_rng.choice(["truncated", "wrong_shape"])
        if style == "truncated":
            delivery.note = "body cut off mid-JSON"
            return delivery.body[: max(1, len(delivery.body) // 2)]
        delivery.note = "JSON, but not the platform's format"
        if delivery.platform == "acc":
            return b'{"version": "1.0", "resourceUrn": "urn:x", "payload": {"source": "urn:y"}}'
        if delivery.platform == "procore":
            return b'{"id": 1, "api_version": "v2.0", "event_type": "update", "project_id": 1}'
        return b'{"type": "' + delivery.event.split()[-1].encode() + b'", "data": "not an object"}'

    def _sign(self, delivery: Delivery, body: bytes) -> dict[str, str]:
        secret = self.config.secrets.get(delivery.system_code)
        if not secret:
            raise ValueError(f"no signing secret for system {delivery.system_code!r}")
        headers = {"content-type": "application/json"}
        timestamp = int(time.time())
        signed_body = body
        if delivery.category == "bad_signature":
            style = self.mix_rng.choice(["wrong_secret", "tampered", "stale"])
            if style == "stale" and delivery.scheme != "standard":
                style = "tampered"  # ACC signatures carry no timestamp
            delivery.note = {
                "wrong_secret": "signed with a secret the hub does not have",
                "tampered": "body changed after signing",
                "stale": "timestamp 15 minutes old",
            }[style]
            if style == "wrong_secret":
                secret = WRONG_SECRET
            elif style == "stale":
                timestamp -= 900
            else:
                signed_body = body + b" "
        if delivery.scheme == "adsk":
            headers |= adsk_headers(
                secret=secret, delivery_id=delivery.message_id, body=signed_body
            )
        else:
            headers |= standard_webhooks_headers(
                secret=secret, msg_id=delivery.message_id, timestamp=timestamp, body=signed_body
            )
        return headers

    # --- sending -----------------------------------------------------------------------------
    def _send(self, client: httpx.Client, item: tuple[Delivery, dict[str, str], bytes]) -> None:
        delivery, headers, body = item
        outcome = DeliveryOutcome(
            seq=delivery.seq,
            system=delivery.system_code,
            family=delivery.family,
            event=delivery.event,
            category=delivery.category,
            expect=delivery.expect,
            message_id=delivery.message_id,
            original_seq=delivery.original_seq,
            subject=delivery.subject,
            note=delivery.note,
        )
        started = time.monotonic()
        endpoint, content = "events", body
        if delivery.meta.get("batch"):
            endpoint = "batches"
            content, headers = self._batch_request(delivery, body)
        try:
            response = client.post(
                f"/api/v1/inbound/{delivery.system_code}/{endpoint}",
                content=content,
                headers=headers,
            )
        except httpx.HTTPError as exc:
            outcome.outcome, outcome.reason = "error", exc.__class__.__name__
        else:
            outcome.status = response.status_code
            try:
                answer = response.json()
            except ValueError:
                answer = {}
            if endpoint == "batches" and response.status_code == 200:
                # The batch's one event, acknowledged or refused on its own.
                result = (answer.get("results") or [{}])[0]
                status = result.get("status")
                outcome.status = {"accepted": 202, "duplicate": 200, "refused": 400}.get(
                    status, response.status_code
                )
                answer = {
                    "transaction_id": result.get("transaction_id"),
                    "duplicate": status == "duplicate",
                    "error": {"code": result.get("reason")},
                }
            if outcome.status == 202:
                outcome.outcome = "accepted"
                outcome.transaction_id = answer.get("transaction_id")
            elif outcome.status == 200 and answer.get("duplicate"):
                outcome.outcome = "duplicate"
                outcome.transaction_id = answer.get("transaction_id")
            elif 400 <= outcome.status < 500:
                outcome.outcome = "refused"
                outcome.reason = str((answer.get("error") or {}).get("code") or outcome.status)
            else:
                outcome.outcome = "error"
                outcome.reason = f"HTTP {response.status_code}"
        outcome.elapsed_ms = (time.monotonic() - started) * 1000
        with self._lock:
            self.report.outcomes.append(outcome)
            if outcome.outcome == "accepted" and delivery.category != "duplicate":
                self._sent[delivery.seq] = item
                self._accepted.append(delivery.seq)
        if outcome.outcome == "accepted":
            self.world.mark_accepted(delivery.seq)

    def run(self) -> EmitReport:
        config = self.config
        limits = httpx.Limits(
            max_connections=config.concurrency, max_keepalive_connections=config.concurrency
        )
        in_flight = threading.BoundedSemaphore(config.concurrency)
        self.report.started_at = started = time.monotonic()
        next_progress = started + config.progress_every if config.progress_every else None
        deadline = started + config.duration if config.duration > 0 else None
        index = 0
        with (
            httpx.Client(
                base_url=config.target,
                timeout=config.timeout,
                limits=limits,
                transport=self.transport,
            ) as client,
            ThreadPoolExecutor(max_workers=config.concurrency, thread_name_prefix="emit") as pool,
        ):
            while not self.stop_event.is_set():
                if config.max_events is not None and index >= config.max_events:
                    break
                due = started + index / config.rate
                if deadline is not None and due >= deadline:
                    break
                # Wait for the slot, in short steps so stop() and progress stay responsive.
                while not self.stop_event.is_set():
                    remaining = due - time.monotonic()
                    if remaining <= 0:
                        break
                    self.stop_event.wait(min(remaining, 0.25))
                if self.stop_event.is_set():
                    break
                if not self._acquire(in_flight):
                    break
                item = self.next_delivery()
                future = pool.submit(self._send, client, item)
                future.add_done_callback(lambda _f: in_flight.release())
                index += 1
                if next_progress is not None and time.monotonic() >= next_progress:
                    self._progress()
                    next_progress += config.progress_every
        self.report.finished_at = time.monotonic()
        return self.report

    def _acquire(self, semaphore: threading.BoundedSemaphore) -> bool:
        """A free sending slot (backpressure from a slow hub), or False once stopped."""
        while not self.stop_event.is_set():
            if semaphore.acquire(timeout=0.25):
                return True
        return False

    def _progress(self) -> None:
        if self.out is None:
            return
        with self._lock:
            counts = Counter(o.outcome for o in self.report.outcomes)
            total = len(self.report.outcomes)
        elapsed = time.monotonic() - self.report.started_at
        self.out.write(
            f"t={elapsed:6.1f}s sent={total} accepted={counts['accepted']} "
            f"duplicates={counts['duplicate']} refused={counts['refused']} "
            f"errors={counts['error']} ({total / elapsed if elapsed else 0:.1f}/s)\n"
        )
        self.out.flush()
