"""The platform simulator on its own: deterministic, realistic deliveries in every wire format,
the follow-up GET server's resources and errors, and the emitter's mix, signatures, rate and
report (against an httpx mock hub for the edge cases; the live-hub run is
test_platforms_emitter.py)."""

from __future__ import annotations

import io
import json
import threading
import time
from collections import Counter
from urllib.parse import quote

import httpx
import pytest

from apps.connectors.documents.procore import procore_delivery_parse
from apps.connectors.documents.signing import adsk_signature_valid
from apps.ledger.signatures import SignatureError, SigningKey, secret_key_bytes, signature_verify
from apps.simulators.platforms.emitter import Emitter, EmitterConfig
from apps.simulators.platforms.server import PlatformServer
from apps.simulators.platforms.world import PlatformWorld, platform_project_refs
from tests.plugins.platforms import PLATFORM_SECRETS


def _deliveries(seed: int, count: int = 60) -> list[bytes]:
    world = PlatformWorld(seed=seed, now=_fixed_clock())
    families = ["scheduling", "documents", "estimating", "field"]
    return [world.delivery(family=families[i % 4]).body for i in range(count)]


def _fixed_clock():
    from datetime import UTC, datetime, timedelta

    start = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)
    ticks = iter(range(10**6))
    return lambda: start + timedelta(seconds=next(ticks))


def test_a_seed_replays_the_same_traffic_and_another_seed_does_not():
    assert _deliveries(7) == _deliveries(7)
    assert _deliveries(7) != _deliveries(8)


def test_platform_project_ids_depend_on_the_project_code_only():
    assert platform_project_refs("SCH-001") == platform_project_refs("SCH-001")
    assert (
        platform_project_refs("SCH-001")["procore"] != platform_project_refs("HOS-002")["procore"]
    )
    world = PlatformWorld(seed=99)
    assert (
        str(world.projects[0].procore_id)
        == platform_project_refs(world.projects[0].code)["procore"]
    )


def test_procore_hooks_send_every_payload_version():
    world = PlatformWorld(seed=2)
    versions = Counter()
    for _ in range(120):
        delivery = world.delivery(family="documents")
        if delivery.platform == "procore":
            versions[procore_delivery_parse(payload=None, body=delivery.body).payload_version] += 1
    assert set(versions) == {"v2.0", "v3.0", "v4.0"}


def test_bad_data_the_world_makes_is_what_it_says():
    world = PlatformWorld(seed=3)
    unknown = world.delivery(family="field", category="unknown_project")
    assert json.loads(unknown.body)["data"]["project"].startswith("ZZZ-")
    unmapped = world.delivery(family="estimating", category="unmapped_cost_code")
    codes = {line["cost_code"] for line in json.loads(unmapped.body)["data"]["lines"]}
    assert codes - set(world.cost_codes)


def test_out_of_order_milestone_is_older_than_the_accepted_newer_one():
    world = PlatformWorld(seed=4, projects=[("SCH-001", "School")])
    sent = []
    for _ in range(30):
        delivery = world.delivery(family="scheduling")
        world.mark_accepted(delivery.seq)
        sent.append(delivery)
    stale = world.delivery(family="scheduling", category="out_of_order")
    assert stale.category == "out_of_order"
    newer = [d for d in sent if d.subject == stale.subject][-1]
    assert stale.source_time < newer.source_time
    assert json.loads(stale.body)["data"]["event_id"] != json.loads(newer.body)["data"]["event_id"]


def test_out_of_order_budget_version_is_held_back_until_the_newer_one_landed():
    world = PlatformWorld(seed=5, projects=[("SCH-001", "School")])
    newer = world.delivery(family="estimating", category="out_of_order")
    assert newer.category == "good"  # the newer version goes first
    assert world.delivery(family="estimating", category="out_of_order").category == "good"
    world.mark_accepted(newer.seq)
    late = world.delivery(family="estimating", category="out_of_order")
    assert late.category == "out_of_order"
    assert json.loads(late.body)["data"]["version"] == json.loads(newer.body)["data"]["version"] - 1
    assert late.source_time < newer.source_time


@pytest.fixture
def served():
    world = PlatformWorld(seed=6)
    server = PlatformServer(world, port=0).start()
    yield world, server
    server.stop()


def test_server_serves_the_resource_of_a_delivery_and_404s_other_projects(served):
    world, server = served
    for _ in range(50):
        delivery = world.delivery(family="documents")
        if delivery.platform == "procore" and "Submittals" in delivery.event:
            break
    project, resource = delivery.meta["project_id"], delivery.meta["resource_id"]
    ok = httpx.get(f"{server.url}/rest/v1.0/projects/{project}/submittals/{resource}")
    assert ok.status_code == 200 and ok.json()["id"] == resource
    other = httpx.get(f"{server.url}/rest/v1.0/projects/{project + 1}/submittals/{resource}")
    assert other.status_code == 404
    assert httpx.get(f"{server.url}/rest/v1.0/nothing").status_code == 404
    stats = httpx.get(f"{server.url}/sim/stats").json()["gets"]
    assert stats["procore_submittal 200"] == 1 and stats["procore_submittal 404"] == 1


def test_server_acc_version_resource_and_injected_faults(served):
    world, server = served
    delivery = next(
        d for d in (world.delivery(family="documents") for _ in range(60)) if d.platform == "acc"
    )
    urn = json.loads(delivery.body)["payload"]["source"]
    guid = delivery.meta["project_guid"]
    url = f"{server.url}/data/v1/projects/b.{guid}/versions/{quote(urn, safe='')}"
    assert httpx.get(url).json()["data"]["id"] == urn
    assert httpx.post(f"{server.url}/sim/faults", json={"error_rate": 1}).status_code == 200
    assert httpx.get(url).status_code == 503
    httpx.post(f"{server.url}/sim/faults", json={})
    assert httpx.get(url).status_code == 200


def _well_formed(body: bytes) -> bool:
    """Roughly what the hub's parsers need: a JSON object in one of the platforms' shapes."""
    try:
        payload = json.loads(body)
    except ValueError:
        return False
    if not isinstance(payload, dict):
        return False
    if "hook" in payload:
        return isinstance(payload.get("payload"), dict)
    if "api_version" in payload or "reason" in payload:
        return "resource_id" in payload
    return isinstance(payload.get("data"), dict)


class RecordingHub:
    """An httpx mock of the ingest endpoint: verifies signatures like the hub, dedupes on the
    message id, answers 202/200/400/401."""

    def __init__(self):
        self.requests: list[httpx.Request] = []
        self.seen: dict[str, int] = {}
        self.batches = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        code = request.url.path.split("/")[4]
        body = request.content
        if code == "acc":
            ok = adsk_signature_valid(
                header_value=request.headers.get("x-adsk-signature", ""),
                body=body,
                secrets=[PLATFORM_SECRETS["acc"]],
            )
            key = request.headers.get("x-adsk-delivery-id", "")
        else:
            try:
                signature_verify(
                    keys=[SigningKey("k", secret_key_bytes(PLATFORM_SECRETS[code]), None)],
                    msg_id=request.headers["webhook-id"],
                    timestamp=request.headers["webhook-timestamp"],
                    signature_header=request.headers["webhook-signature"],
                    body=body,
                    tolerance_seconds=300,
                )
                ok = True
            except SignatureError:
                ok = False
            key = request.headers["webhook-id"]
        if not ok:
            return httpx.Response(401, json={"error": {"code": "signature_invalid"}})
        if request.url.path.endswith("/batches"):
            return self._batch(body, key)
        if not _well_formed(body):
            return httpx.Response(400, json={"error": {"code": "malformed"}})
        if key in self.seen:
            return httpx.Response(200, json={"transaction_id": self.seen[key], "duplicate": True})
        self.seen[key] = len(self.seen) + 1
        return httpx.Response(202, json={"transaction_id": self.seen[key], "status": "received"})

    def _batch(self, body: bytes, key: str) -> httpx.Response:
        """/batches: the emitter's one-event batches, each event answered on its own."""
        self.batches += 1
        results = []
        for index, event in enumerate(json.loads(body)["events"]):
            if not _well_formed(json.dumps(event).encode()):
                results.append({"index": index, "status": "refused", "reason": "malformed"})
            elif key in self.seen:
                results.append(
                    {"index": index, "status": "duplicate", "transaction_id": self.seen[key]}
                )
            else:
                self.seen[key] = len(self.seen) + 1
                results.append(
                    {"index": index, "status": "accepted", "transaction_id": self.seen[key]}
                )
        return httpx.Response(200, json={"results": results})


def test_emitter_mix_signatures_and_outcomes_against_a_verifying_hub():
    hub = RecordingHub()
    config = EmitterConfig(
        target="http://hub.test",
        secrets=PLATFORM_SECRETS,
        rate=1000,
        duration=0,
        max_events=400,
        bad_share=0.3,
        seed=11,
        concurrency=1,
        progress_every=0,
    )
    report = Emitter(config, transport=httpx.MockTransport(hub)).run()
    assert len(report.outcomes) == 400
    # The verifying mock agrees with what the emitter meant to send, delivery by delivery.
    assert [o for o in report.outcomes if not o.as_expected] == []
    categories = Counter(o.category for o in report.outcomes)
    assert set(categories) == {
        "good",
        "unknown_project",
        "unmapped_cost_code",
        "out_of_order",
        "duplicate",
        "malformed_body",
        "bad_signature",
    }
    assert 0.2 < (400 - categories["good"]) / 400 < 0.4
    systems = Counter(o.system for o in report.outcomes)
    assert set(systems) == {"p6", "procore", "acc", "estimating", "field"}
    # A share of the good field events went through the batch endpoint, answered per event.
    batched = [o for o in report.outcomes if o.event.endswith("(batch)")]
    assert batched and hub.batches == len(batched)
    assert {o.system for o in batched} == {"field"}
    assert all(o.outcome == "accepted" and o.status == 202 for o in batched)
    # A duplicate repeats its original's message id and body.
    duplicate = next(o for o in report.outcomes if o.category == "duplicate")
    original = next(o for o in report.outcomes if o.seq == duplicate.original_seq)
    assert duplicate.message_id == original.message_id
    assert duplicate.transaction_id == original.transaction_id
    text = report.render()
    assert "system" in text and "total" in text and "duplicate" in text


def test_emitter_keeps_its_rate_and_stops_at_the_duration():
    hub = RecordingHub()
    config = EmitterConfig(
        target="http://hub.test",
        secrets=PLATFORM_SECRETS,
        rate=40,
        duration=1.0,
        seed=1,
        bad_share=0,
        progress_every=0,
    )
    started = time.monotonic()
    report = Emitter(config, transport=httpx.MockTransport(hub)).run()
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 2.5
    assert 36 <= len(report.outcomes) <= 41
    assert {o.outcome for o in report.outcomes} == {"accepted"}


def test_emitter_stop_ends_an_endless_run_and_reports_progress():
    hub = RecordingHub()
    out = io.StringIO()
    config = EmitterConfig(
        target="http://hub.test",
        secrets=PLATFORM_SECRETS,
        rate=50,
        duration=0,
        seed=1,
        progress_every=0.2,
    )
    emitter = Emitter(config, transport=httpx.MockTransport(hub), out=out)
    threading.Timer(0.7, emitter.stop).start()
    report = emitter.run()
    assert 0 < len(report.outcomes) < 60
    assert "sent=" in out.getvalue()


def test_emitter_counts_an_unreachable_hub_as_errors():
    def down(request):
        raise httpx.ConnectError("refused", request=request)

    config = EmitterConfig(
        target="http://hub.test",
        secrets=PLATFORM_SECRETS,
        rate=100,
        duration=0,
        max_events=5,
        progress_every=0,
    )
    report = Emitter(config, transport=httpx.MockTransport(down)).run()
    assert [o.outcome for o in report.outcomes] == ["error"] * 5
    assert report.by_system()[-1]["errors"] == 5


def test_emitter_refuses_bad_settings():
    with pytest.raises(ValueError):
        Emitter(EmitterConfig(target="x", secrets={}, families=("banking",)))
    with pytest.raises(ValueError):
        Emitter(EmitterConfig(target="x", secrets={}, rate=0))
    with pytest.raises(ValueError):
        Emitter(EmitterConfig(target="x", secrets={}, bad_share=2))


def test_a_new_run_never_reuses_the_previous_runs_ids():
    def keys(run_tag: str, id_base: int) -> set[str]:
        world = PlatformWorld(seed=1, now=_fixed_clock(), run_tag=run_tag, id_base=id_base)
        families = ["scheduling", "documents", "estimating", "field"]
        return {world.delivery(family=families[i % 4]).message_id for i in range(80)}

    assert keys("abc", 0) == keys("abc", 0)  # a run tag reproduces a run exactly
    assert not keys("abc", 0) & keys("abd", 10_000)  # a restart is new traffic, no duplicates
