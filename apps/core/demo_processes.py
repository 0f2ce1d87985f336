"""The processes `manage.py run_demo` supervises. Apps add theirs to DEMO_PROCESSES (a simulator,
an emitter) when they land; a process whose management command does not exist is skipped."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoProcess:
    name: str
    command: str  # management command name
    args: tuple[str, ...] = ()
    start_delay: float = 0.0  # seconds to wait before starting (e.g. emitters wait for the web)


DEMO_PROCESSES: list[DemoProcess] = [
    DemoProcess("odoo-sim", "run_odoo_simulator", ("--port", "8069")),
    DemoProcess("web", "runserver", ("127.0.0.1:8000", "--noreload")),
    DemoProcess("worker", "qcluster"),
    DemoProcess("dispatcher", "run_dispatcher"),
    DemoProcess(
        "platforms",
        "emit_platform_events",
        (
            "--target",
            "http://127.0.0.1:8000",
            "--rate",
            "1",
            "--duration",
            "0",
            "--bad-share",
            "0.05",
            "--progress",
            "60",
        ),
        start_delay=5.0,
    ),
]
