"""`manage.py emit_platform_events`: secrets from the hub's systems, the follow-up GET server in
the same process, the summary table and the JSON report; clear refusals of bad options."""

from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command

from tests.simulators.test_platforms_world import RecordingHub

pytestmark = pytest.mark.django_db


@pytest.fixture
def stub_hub():
    """A real HTTP server on loopback that verifies signatures like the hub (RecordingHub)."""
    import httpx

    hub = RecordingHub()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            return

        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            request = httpx.Request(
                "POST", f"http://stub{self.path}", headers=dict(self.headers.items()), content=body
            )
            answer = hub(request)
            self.send_response(answer.status_code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hub
    server.shutdown()
    server.server_close()


def test_command_signs_with_the_systems_secrets_and_prints_the_summary(
    stub_hub, platform_systems, platform_projects, tmp_path
):
    url, hub = stub_hub
    out = io.StringIO()
    report = tmp_path / "report.json"
    call_command(
        "emit_platform_events",
        "--target", url, "--rate", "200", "--duration", "5", "--max-events", "25",
        "--bad-share", "0", "--seed", "3", "--serve-port", "0", "--progress", "0",
        "--report", str(report),
        stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "follow-up GET server on http://127.0.0.1:" in text
    assert "total" in text and "accepted" in text
    data = json.loads(report.read_text())
    assert len(data["outcomes"]) == 25
    # Every delivery verified against the secrets stored on the hub's systems.
    assert {o["outcome"] for o in data["outcomes"]} == {"accepted"}
    assert len(hub.requests) == 25
    assert data["config"]["secrets"] == "(hidden)"


def test_command_uses_the_projects_it_is_given(
    stub_hub, platform_systems, platform_projects, tmp_path
):
    url, hub = stub_hub
    report = tmp_path / "r.json"
    call_command(
        "emit_platform_events",
        "--target", url, "--rate", "200", "--max-events", "20", "--bad-share", "0",
        "--systems", "field", "--projects", "HOS-002", "--no-serve", "--progress", "0",
        "--report", str(report),
        stdout=io.StringIO(),
    )  # fmt: skip
    bodies = [json.loads(r.content) for r in hub.requests]
    # Batched field events (the emitter's offline-sync share) carry the event inside "events".
    events = [event for body in bodies for event in body.get("events", [body])]
    projects = {event["data"]["project"] for event in events}
    assert projects == {"HOS-002"}


def test_command_without_a_secret_for_a_system_says_which(db, monkeypatch):
    from apps.simulators.management.commands import emit_platform_events

    monkeypatch.setattr(emit_platform_events, "demo_secrets", dict)  # no demo fallback either
    with pytest.raises(CommandError, match="no signing secret for .*estimating"):
        call_command(
            "emit_platform_events", "--systems", "estimating", "--no-serve", "--max-events", "1"
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--systems", "banking"], "unknown"),
        (["--rate", "0"], "rate"),
        (["--bad-share", "1.5"], "bad-share"),
        (["--duration", "-1"], "duration"),
        (["--secret", "nosign"], "CODE=SECRET"),
    ],
)
def test_command_refuses_bad_options(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("emit_platform_events", "--no-serve", "--max-events", "1", *args)


def test_budget_pushes_use_the_projects_own_phase_codes(
    stub_hub, platform_systems, platform_projects, tmp_path
):
    from apps.projects.models import Phase

    hospital = next(p for p in platform_projects if p.code == "HOS-002")
    Phase.objects.create(project=hospital, code="SUB", name="Substructure")
    url, hub = stub_hub
    call_command(
        "emit_platform_events",
        "--target", url, "--rate", "200", "--max-events", "6", "--bad-share", "0",
        "--systems", "estimating", "--projects", "HOS-002", "--no-serve", "--progress", "0",
        stdout=io.StringIO(),
    )  # fmt: skip
    phases = {
        line["phase"] for r in hub.requests for line in json.loads(r.content)["data"]["lines"]
    }
    assert phases == {"SUB"}
