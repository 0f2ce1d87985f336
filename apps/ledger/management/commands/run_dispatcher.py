"""Long-running dispatcher: claim → process → short idle wait when there is no work."""

from __future__ import annotations

import signal
import threading
import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections, connection

from apps.ledger.dispatch import dispatch_once, ledger_sweep, worker_name


class Command(BaseCommand):
    help = "Dispatch due ledger transactions to the pipeline and delivery (Ctrl-C/SIGTERM stops)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one round, then exit")
        parser.add_argument("--limit", type=int, default=200, help="rows per claim")
        parser.add_argument("--idle", type=float, default=0.5, help="seconds to wait when idle")
        parser.add_argument(
            "--max-seconds",
            type=float,
            default=0,
            help="stop after this long (0 = run until stopped)",
        )
        parser.add_argument(
            "--sweep-every", type=float, default=30, help="seconds between lease sweeps"
        )

    def handle(self, *args, **options):
        stop = threading.Event()
        worker = worker_name()

        def request_stop(signum, _frame):
            self.stdout.write(f"dispatcher {worker}: signal {signum}, stopping after this round")
            stop.set()

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, request_stop)
            signal.signal(signal.SIGINT, request_stop)

        if options["once"]:
            handled = dispatch_once(limit=options["limit"], worker=worker)
            self.stdout.write(f"dispatcher {worker}: dispatched {handled} transaction(s)")
            return

        started = time.monotonic()
        last_sweep = 0.0
        last_report = started
        handled_since_report = 0
        total = 0
        backoff = options["idle"]
        self.stdout.write(f"dispatcher {worker}: started (limit {options['limit']})")
        while not stop.is_set():
            if options["max_seconds"] and time.monotonic() - started >= options["max_seconds"]:
                break
            if not connection.in_atomic_block:  # (tests run the loop inside a transaction)
                close_old_connections()
            try:
                if time.monotonic() - last_sweep >= options["sweep_every"]:
                    ledger_sweep()
                    last_sweep = time.monotonic()
                handled = dispatch_once(limit=options["limit"], worker=worker)
                backoff = options["idle"]
            except DatabaseError as exc:
                # The database restarted or is unreachable: wait and retry; rows are safe there.
                self.stderr.write(f"dispatcher {worker}: database error ({exc}); retrying")
                if not connection.in_atomic_block:
                    close_old_connections()
                handled = 0
                backoff = min(max(backoff * 2, 1.0), 30.0)
            total += handled
            handled_since_report += handled
            now = time.monotonic()
            if handled_since_report and now - last_report >= 5:
                rate = handled_since_report / (now - last_report)
                self.stdout.write(
                    f"dispatcher {worker}: {handled_since_report} dispatched ({rate:.0f}/s), "
                    f"{total} in total"
                )
                handled_since_report = 0
                last_report = now
            if handled == 0:
                stop.wait(backoff)
        self.stdout.write(f"dispatcher {worker}: stopped, {total} transaction(s) dispatched")
