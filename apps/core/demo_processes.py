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


def demo_processes(
    *, web_port: int = 8000, odoo_port: int = 8069, platform_port: int = 8070
) -> list[DemoProcess]:
    """The demo's processes on the given ports (the defaults are the README's)."""
    return [
        DemoProcess("odoo-sim", "run_odoo_simulator", ("--port", str(odoo_port))),
        DemoProcess("web", "runserver", (f"127.0.0.1:{web_port}", "--noreload")),
        DemoProcess("worker", "qcluster"),
        DemoProcess("dispatcher", "run_dispatcher"),
        DemoProcess(
            "platforms",
            "emit_platform_events",
            (
                "--target",
                f"http://127.0.0.1:{web_port}",
                "--serve-port",
                str(platform_port),
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


DEMO_PROCESSES: list[DemoProcess] = demo_processes()
