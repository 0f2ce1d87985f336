"""Run every demo process (web, worker, simulators) in one terminal; Ctrl-C stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from django.core.management import get_commands
from django.core.management.base import BaseCommand

from apps.core.demo_processes import demo_processes

LOGINS = [
    ("fiona", "finance reviewer"),
    ("pat", "PMO / executive"),
    ("ada", "integration admin"),
    ("rob", "requester"),
    ("alice", "approver"),
]


def _pump(name: str, stream, out) -> None:
    for line in iter(stream.readline, ""):
        out.write(f"{name:>10} | {line}")
        out.flush()


class Command(BaseCommand):
    help = "Start the demo: web, worker and the simulators. Ctrl-C stops everything cleanly."

    def add_arguments(self, parser):
        parser.add_argument("--web-port", type=int, default=8000)
        parser.add_argument("--odoo-port", type=int, default=8069, help="Odoo simulator")
        parser.add_argument(
            "--platform-port", type=int, default=8070, help="platform simulator's GET server"
        )

    def handle(self, *args, **options):
        web_port = options["web_port"]
        self._point_systems_at(options["odoo_port"], options["platform_port"])
        specs = demo_processes(
            web_port=web_port,
            odoo_port=options["odoo_port"],
            platform_port=options["platform_port"],
        )
        available = get_commands()
        processes: list[tuple[str, subprocess.Popen]] = []
        stopping = threading.Event()

        def stop(*_):
            stopping.set()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        started = time.monotonic()
        for spec in specs:
            if spec.command not in available:
                continue
            while time.monotonic() - started < spec.start_delay and not stopping.is_set():
                time.sleep(0.1)
            if stopping.is_set():
                break
            proc = subprocess.Popen(
                [sys.executable, "manage.py", spec.command, *spec.args],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                env=env,
                start_new_session=True,  # our Ctrl-C handling stops them in order
            )
            threading.Thread(
                target=_pump, args=(spec.name, proc.stdout, sys.stdout), daemon=True
            ).start()
            processes.append((spec.name, proc))
            self.stdout.write(f"started {spec.name} (pid {proc.pid})")

        self.stdout.write(
            self.style.SUCCESS(f"\nintegrationhub demo is running: http://127.0.0.1:{web_port}")
        )
        self.stdout.write("Logins (password demo-pass-2026):")
        for user, role in LOGINS:
            self.stdout.write(f"  {user:6} {role}")
        self.stdout.write("Press Ctrl-C to stop.\n")

        while not stopping.is_set():
            for name, proc in processes:
                if proc.poll() is not None:
                    self.stderr.write(
                        f"{name} exited with code {proc.returncode}; stopping the demo"
                    )
                    stopping.set()
            stopping.wait(0.5)

        self.stdout.write("\nstopping…")
        for _, proc in reversed(processes):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for name, proc in reversed(processes):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            self.stdout.write(f"stopped {name}")

    def _point_systems_at(self, odoo_port: int, platform_port: int) -> None:
        """The demo systems call the local simulators: point them at this run's ports. A system
        someone pointed elsewhere (not 127.0.0.1) is left alone."""
        from apps.connectors.models import System

        local = "http://127.0.0.1:"
        for system in System.objects.filter(base_url__startswith=local):
            port = odoo_port if system.kind == "odoo" else platform_port
            url = f"{local}{port}"
            if system.base_url != url:
                system.base_url = url
                system.save(update_fields=["base_url", "updated_at"])
                self.stdout.write(f"{system.code}: base URL {url}")
