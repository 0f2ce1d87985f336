"""Run the Odoo simulator: `manage.py run_odoo_simulator --port 8069 [--host 127.0.0.1]
[--state FILE] [--faults JSON] [--db NAME]`. SIGINT/SIGTERM stop it cleanly (state saved)."""

from __future__ import annotations

import json
import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from apps.simulators.odoo.app import VERSION, OdooSimulator
from apps.simulators.odoo.faults import FaultConfigError
from apps.simulators.odoo.seed import DATABASE, USERS
from apps.simulators.odoo.server import SimulatorServer


class Command(BaseCommand):
    help = "Serve a simulated Odoo (JSON-RPC, XML-RPC, web session routes, JSON-2) on loopback."
    requires_system_checks = []  # no ORM here: start fast even if another app is mid-change

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8069, help="0 picks a free port")
        parser.add_argument("--db", default=DATABASE, help="the database name clients log in to")
        parser.add_argument(
            "--state", help="JSON file: loaded at start if it exists, saved on exit"
        )
        parser.add_argument(
            "--autosave",
            type=float,
            default=2.0,
            help="with --state: seconds between saves of changed data (0 = only on exit)",
        )
        parser.add_argument("--faults", help="fault injection JSON, e.g. '{\"latency_ms\": 50}'")

    def handle(self, *args, **options):
        try:
            faults = json.loads(options["faults"]) if options.get("faults") else None
        except ValueError as exc:
            raise CommandError(f"--faults is not valid JSON: {exc}") from exc
        try:
            app = OdooSimulator(db=options["db"], state_file=options.get("state"), faults=faults)
        except FaultConfigError as exc:
            raise CommandError(f"--faults: {exc}") from exc
        except ValueError as exc:
            raise CommandError(f"--state: {exc}") from exc
        if options["verbosity"] >= 2:  # -v 2: one line per request and per ORM call
            handler = logging.StreamHandler(self.stdout)
            handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
            sim_logger = logging.getLogger("integrationhub.odoo_sim")
            sim_logger.addHandler(handler)
            sim_logger.setLevel(logging.DEBUG)
            sim_logger.propagate = False
        server = SimulatorServer(app, host=options["host"], port=options["port"])
        try:
            server.start()
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {options['host']}:{options['port']}: {exc}"
            ) from exc

        stopping = threading.Event()

        def stop(*_):
            stopping.set()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)

        self.stdout.write(
            f"Odoo simulator {VERSION} listening on {server.url} (database {app.db!r})"
        )
        self.stdout.write("Users (login / password / API key):")
        for login, _name, password, api_key, _groups in USERS:
            self.stdout.write(f"  {login:9} {password:9} {api_key}")
        if app.state_file:
            self.stdout.write(f"State file: {app.state_file}")
        self.stdout.flush()

        autosave = options["autosave"] if app.state_file else 0
        while not stopping.is_set():
            stopping.wait(autosave or 0.5)
            if autosave and app.store.dirty:
                app.save_state()
        server.stop()
        if app.state_file:
            app.save_state()
            self.stdout.write(f"state saved to {app.state_file}")
        self.stdout.write("Odoo simulator stopped")
