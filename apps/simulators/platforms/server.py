"""The follow-up GET server: the REST resources the document connectors fetch after a delivery,
shaped like the vendors' own (Procore REST v1.0, ACC Data Management JSON:API).

    GET /rest/v1.0/me                                           Procore: who am I (health)
    GET /rest/v1.0/projects/<project_id>/submittals/<id>        Procore submittal
    GET /rest/v1.0/projects/<project_id>/drawing_revisions/<id> Procore drawing revision
    GET /rest/v1.0/change_events/<id>?project_id=<project_id>   Procore change event
    GET /project/v1/hubs                                        ACC hubs (health)
    GET /data/v1/projects/b.<project>/versions/<version urn>    ACC document version
    GET /sim/stats                                              GET counts by route and status
    POST /sim/faults {"error_rate": 0.2, "latency_ms": 30}      inject faults (loopback only);
                                                                `{}` clears

A resource of another project (or an unknown id) is a 404 like the vendors answer it. Any bearer
token is accepted: the simulator checks shapes, not OAuth.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from apps.simulators.platforms.payloads import acc_version_resource
from apps.simulators.platforms.world import PlatformWorld

ROUTES = [
    ("procore_me", re.compile(r"^/rest/v1\.0/me$")),
    (
        "procore_submittal",
        re.compile(r"^/rest/v1\.0/projects/(?P<project>\d+)/submittals/(?P<id>\d+)$"),
    ),
    (
        "procore_drawing_revision",
        re.compile(r"^/rest/v1\.0/projects/(?P<project>\d+)/drawing_revisions/(?P<id>\d+)$"),
    ),
    ("procore_change_event", re.compile(r"^/rest/v1\.0/change_events/(?P<id>\d+)$")),
    ("acc_hubs", re.compile(r"^/project/v1/hubs$")),
    (
        "acc_version",
        re.compile(r"^/data/v1/projects/b\.(?P<project>[^/]+)/versions/(?P<urn>[^/]+)$"),
    ),
    ("sim_stats", re.compile(r"^/sim/stats$")),
]


class PlatformServer:
    """A threaded HTTP/1.1 server over a PlatformWorld; `start()` / `stop()`."""

    def __init__(self, world: PlatformWorld, *, host: str = "127.0.0.1", port: int = 0):
        self.world = world
        self.stats: Counter[str] = Counter()
        self.faults: dict = {}
        self._fault_rng = random.Random(0)  # not the world's: faults never change the traffic
        self._lock = threading.Lock()
        handler = _handler_class(self)
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.httpd.server_address[0]}:{self.port}"

    def start(self) -> PlatformServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def count(self, route: str, status: int) -> None:
        with self._lock:
            self.stats[f"{route} {status}"] += 1

    def fault_for_request(self) -> tuple[float, bool]:
        """(latency seconds, answer 503?) for this request, per the injected faults."""
        with self._lock:
            latency = float(self.faults.get("latency_ms", 0)) / 1000
            failing = self._fault_rng.random() < float(self.faults.get("error_rate", 0))
        return latency, failing

    # --- resources -----------------------------------------------------------------------------
    def resource(self, route: str, params: dict, query: dict) -> tuple[int, dict]:
        world = self.world
        with world.lock:
            world.gets += 1
            if route == "procore_me":
                return 200, {"id": 5447, "login": "integration@procore.example", "name": "Hub"}
            if route == "acc_hubs":
                return 200, {"data": [{"type": "hubs", "id": world.acc_hub}]}
            if route == "procore_submittal":
                item = world.submittals.get(int(params["id"]))
                if item and str(item["project"]["id"]) == params["project"]:
                    return 200, item
            elif route == "procore_drawing_revision":
                item = world.drawing_revisions.get(int(params["id"]))
                if item and str(item["project"]["id"]) == params["project"]:
                    return 200, item
            elif route == "procore_change_event":
                item = world.change_events.get(int(params["id"]))
                project = (query.get("project_id") or [""])[0]
                if item and str(item["project"]["id"]) == project:
                    return 200, item
                if item and not project:
                    return 400, {"errors": "project_id is required"}
            elif route == "acc_version":
                version = world.acc_versions.get(unquote(params["urn"]))
                if version and version["project_guid"] == params["project"]:
                    return 200, acc_version_resource(version, base_url=self.url)
            elif route == "sim_stats":
                return 200, {
                    "gets": dict(self.stats),
                    "resources": {
                        "submittals": len(world.submittals),
                        "drawing_revisions": len(world.drawing_revisions),
                        "change_events": len(world.change_events),
                        "acc_versions": len(world.acc_versions),
                    },
                }
        return 404, {"errors": "Not Found", "message": f"No such resource ({route})."}


def _route_match(path: str):
    for route, pattern in ROUTES:
        match = pattern.match(path)
        if match:
            return route, match
    return "", None


def _handler_class(server: PlatformServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive for the hub's pooled client
        server_version = "PlatformSimulator/1.0"

        def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
            return  # one line per GET would drown the emitter's summary

        def _send(self, status: int, body: dict) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self):  # noqa: N802 - the stdlib's name
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            route, match = _route_match(parts.path)
            if match is None:
                server.count("unknown", 404)
                return self._send(404, {"errors": "Not Found", "message": "No such route."})
            latency, failing = server.fault_for_request()
            if latency:
                time.sleep(latency)  # an injected fault, not synchronisation
            if failing and route != "sim_stats":
                server.count(route, 503)
                return self._send(503, {"errors": "Service Unavailable (injected fault)"})
            status, body = server.resource(route, match.groupdict(), query)
            server.count(route, status)
            return self._send(status, body)

        def do_POST(self):  # noqa: N802
            if urlsplit(self.path).path != "/sim/faults":
                return self._send(404, {"errors": "Not Found"})
            if self.client_address[0] not in ("127.0.0.1", "::1"):
                return self._send(403, {"errors": "faults can only be set from loopback"})
            length = int(self.headers.get("Content-Length") or 0)
            try:
                faults = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                return self._send(400, {"errors": "the body must be JSON"})
            if not isinstance(faults, dict):
                return self._send(400, {"errors": "the body must be a JSON object"})
            with server._lock:
                server.faults = faults
            return self._send(200, {"faults": faults})

    return Handler
