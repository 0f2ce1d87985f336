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

from apps.core.demo_processes import DEMO_PROCESSES

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

    def handle(self, *args, **options):
        available = get_commands()
        processes: list[tuple[str, subprocess.Popen]] = []
        stopping = threading.Event()

        def stop(*_):
            stopping.set()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        started = time.monotonic()
        for spec in DEMO_PROCESSES:
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
            self.style.SUCCESS("\nintegrationhub demo is running: http://127.0.0.1:8000")
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
