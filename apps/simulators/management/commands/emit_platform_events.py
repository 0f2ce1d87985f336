"""Send realistic, signed platform traffic to the hub and serve the follow-up GET endpoints:

    manage.py emit_platform_events --target http://127.0.0.1:8000 --rate 50 --duration 60 \\
        --bad-share 0.05 --systems scheduling,documents,estimating,field --seed 1

`--duration 0` runs until Ctrl-C / SIGTERM (the demo). The follow-up GET server listens on
`--serve-port` (default 8070: the demo systems' base URL) in the same process. At the end a
summary table says what was sent and what the hub answered (accepted, duplicates, refused).
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from apps.simulators.platforms.emitter import Emitter, EmitterConfig
from apps.simulators.platforms.server import PlatformServer
from apps.simulators.platforms.world import (
    DEMO_PROJECTS,
    FAMILIES,
    FAMILY_SYSTEMS,
    SYSTEM_CODES,
    PlatformWorld,
)


def secrets_from_database(codes: list[str]) -> dict[str, str]:
    """The newest active signing secret of each system (same database as the hub)."""
    from datetime import UTC, datetime

    from apps.connectors.models import System

    found: dict[str, str] = {}
    now = datetime.now(UTC)
    for system in System.objects.filter(code__in=codes):
        for entry in reversed(system.webhook_secrets or []):
            expires = entry.get("expires_at")
            if expires:
                try:
                    if datetime.fromisoformat(str(expires)) <= now:
                        continue
                except ValueError:
                    pass
            if entry.get("secret"):
                found[system.code] = entry["secret"]
                break
    return found


def demo_secrets() -> dict[str, str]:
    """The fixed demo secrets apps/connectors/demo.py documents, when that module has them."""
    try:
        from apps.connectors import demo
    except ImportError:
        return {}
    for name in ("DEMO_WEBHOOK_SECRETS", "DEMO_SECRETS", "WEBHOOK_SECRETS"):
        value = getattr(demo, name, None)
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
    return {}


def phases_and_commitments() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Phase codes and commitment numbers per project code, when those models exist."""
    from django.apps import apps as django_apps

    phases: dict[str, list[str]] = {}
    commitments: dict[str, list[str]] = {}
    try:
        phase_model = django_apps.get_model("projects", "Phase")
    except LookupError:
        phase_model = None
    if phase_model is not None:
        for project_code, code in phase_model.objects.values_list("project__code", "code"):
            phases.setdefault(project_code, []).append(code)
    try:
        commitment_model = django_apps.get_model("procurement", "Commitment")
    except LookupError:
        commitment_model = None
    if commitment_model is not None:
        rows = commitment_model.objects.values_list("project__code", "number").order_by("id")
        for project_code, number in rows[:5000]:
            commitments.setdefault(project_code, []).append(number)
    return phases, commitments


def projects_and_cost_codes() -> tuple[list[tuple[str, str]], list[str]]:
    """The hub's projects and cost codes when the database is reachable (the demo)."""
    from apps.projects.models import Project

    projects = list(Project.objects.order_by("code").values_list("code", "name"))
    cost_codes: list[str] = []
    try:
        from apps.projects.models import CostCode
    except ImportError:
        CostCode = None  # noqa: N806 - a model class
    if CostCode is not None:
        queryset = CostCode.objects.all()
        if hasattr(CostCode, "is_active"):
            queryset = queryset.filter(is_active=True)
        codes = list(queryset.values_list("code", "level"))
        deepest = max((level for _, level in codes), default=0)
        cost_codes = sorted(code for code, level in codes if level == deepest)
    return projects, cost_codes


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while number:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
    return text or "0"


class Command(BaseCommand):
    help = "Emit signed platform webhooks (with a share of bad data) and serve follow-up GETs."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--target", default="http://127.0.0.1:8000", help="the hub's URL")
        parser.add_argument("--rate", type=float, default=50.0, help="deliveries per second")
        parser.add_argument(
            "--duration", type=float, default=60.0, help="seconds; 0 = until stopped"
        )
        parser.add_argument("--bad-share", type=float, default=0.05, help="0..1")
        parser.add_argument(
            "--systems",
            default=",".join(FAMILIES),
            help=f"comma-separated: {', '.join(FAMILIES)}",
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--run-tag",
            default="",
            help="prefix of this run's ids (default: from the clock, so a restart never repeats "
            "the previous run's ids); give one to reproduce a run exactly",
        )
        parser.add_argument("--concurrency", type=int, default=4, help="deliveries in flight")
        parser.add_argument("--max-events", type=int, default=None, help="stop after N")
        parser.add_argument("--serve-host", default="127.0.0.1")
        parser.add_argument(
            "--serve-port", type=int, default=8070, help="follow-up GET server port (0 = any)"
        )
        parser.add_argument("--no-serve", action="store_true", help="do not serve follow-up GETs")
        parser.add_argument(
            "--secret",
            action="append",
            default=[],
            metavar="CODE=SECRET",
            help="signing secret of a hub system (default: read from the hub's database)",
        )
        parser.add_argument(
            "--projects", default="", help="comma-separated project codes (default: the hub's)"
        )
        parser.add_argument("--report", type=Path, help="write every delivery's outcome as JSON")
        parser.add_argument("--progress", type=float, default=10.0, help="seconds; 0 = quiet")

    def handle(self, *args, **options):
        families = tuple(s.strip() for s in options["systems"].split(",") if s.strip())
        unknown = set(families) - set(FAMILIES)
        if unknown:
            raise CommandError(f"--systems: unknown {sorted(unknown)}; use {', '.join(FAMILIES)}")
        if options["rate"] <= 0:
            raise CommandError("--rate must be above 0")
        if not 0 <= options["bad_share"] <= 1:
            raise CommandError("--bad-share must be between 0 and 1")
        if options["duration"] < 0:
            raise CommandError("--duration must be 0 (until stopped) or more")

        codes = sorted({SYSTEM_CODES[p] for family in families for p in FAMILY_SYSTEMS[family]})
        secrets = self._secrets(codes, options["secret"])
        missing = [code for code in codes if code not in secrets]
        if missing:
            raise CommandError(
                f"no signing secret for {', '.join(missing)}: create the systems in the hub "
                "(manage.py seed_demo) or pass --secret CODE=SECRET"
            )

        projects, cost_codes = DEMO_PROJECTS, []
        phases, commitments = {}, {}
        try:
            db_projects, cost_codes = projects_and_cost_codes()
            projects = db_projects or projects
            phases, commitments = phases_and_commitments()
        except DatabaseError:
            self.stderr.write("hub database not reachable: using the demo projects")
        if options["projects"]:
            wanted = [c.strip() for c in options["projects"].split(",") if c.strip()]
            names = dict(projects)
            projects = [(code, names.get(code, code)) for code in wanted]

        run_tag = options["run_tag"] or _base36(int(time.time()))
        # Numeric ids (Procore) move on by the run tag's value so runs never reuse them.
        id_base = int(run_tag, 36) % 100_000 * 10_000 if run_tag.isalnum() else 0
        world = PlatformWorld(
            seed=options["seed"],
            projects=projects,
            cost_codes=cost_codes or None,
            phases=phases,
            commitments=commitments,
            run_tag=run_tag,
            id_base=id_base,
        )
        server = None
        if not options["no_serve"]:
            try:
                server = PlatformServer(
                    world, host=options["serve_host"], port=options["serve_port"]
                ).start()
            except OSError as exc:
                raise CommandError(
                    f"cannot serve follow-up GETs on {options['serve_host']}:"
                    f"{options['serve_port']}: {exc} (use --serve-port or --no-serve)"
                ) from exc
            self.stdout.write(f"follow-up GET server on {server.url}")

        config = EmitterConfig(
            target=options["target"].rstrip("/"),
            secrets=secrets,
            rate=options["rate"],
            duration=options["duration"],
            bad_share=options["bad_share"],
            families=families,
            seed=options["seed"],
            concurrency=max(1, options["concurrency"]),
            max_events=options["max_events"],
            progress_every=options["progress"],
        )
        emitter = Emitter(config, world, out=self.stdout)

        def stop(*_):
            emitter.stop()

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        self.stdout.write(
            f"emitting {config.rate:g}/s to {config.target} for "
            f"{'ever (Ctrl-C stops)' if config.duration == 0 else f'{config.duration:g} s'}, "
            f"bad share {config.bad_share:.0%}, systems {', '.join(families)}, seed {config.seed}, "
            f"run {run_tag}"
        )
        try:
            report = emitter.run()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if server is not None:
                server.stop()
        self.stdout.write("")
        self.stdout.write(report.render())
        if options["report"]:
            options["report"].write_text(json.dumps(report.as_dict(), indent=2, default=str))
            self.stdout.write(f"report written to {options['report']}")
        sys.stdout.flush()

    def _secrets(self, codes: list[str], overrides: list[str]) -> dict[str, str]:
        secrets = dict(demo_secrets())
        # A remote hub's database is not reachable: the demo secrets or --secret must do.
        with contextlib.suppress(DatabaseError):
            secrets.update(secrets_from_database(codes))
        for item in overrides:
            code, sep, secret = item.partition("=")
            if not sep or not code or not secret:
                raise CommandError(f"--secret {item!r}: expected CODE=SECRET")
            secrets[code.strip()] = secret.strip()
        return secrets
