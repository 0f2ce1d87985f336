"""Run a batch sync or a reconciliation now, in this process (ops and cron use; the same job run
as "Run now" on /jobs/, visible there)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.connectors.models import System
from apps.sync.choices import JobKind, JobTrigger
from apps.sync.models import SyncPolicy
from apps.sync.services import job_run_create


class Command(BaseCommand):
    help = "Run a batch pull (--policy ID) or a reconciliation (--reconcile SYSTEM DOMAIN)."

    def add_arguments(self, parser):
        parser.add_argument("--policy", type=int, help="sync policy id")
        parser.add_argument("--reconcile", nargs=2, metavar=("SYSTEM", "DOMAIN"))

    def handle(self, *args, **options):
        from apps.sync.reconciliation import reconciliation_execute
        from apps.sync.runs import sync_pull_execute

        if options["policy"]:
            policy = SyncPolicy.objects.filter(pk=options["policy"], enabled=True).first()
            if policy is None:
                raise CommandError(f"No enabled sync policy {options['policy']}.")
            job = job_run_create(
                kind=JobKind.SYNC, name=f"Sync {policy}", trigger=JobTrigger.MANUAL, policy=policy
            )
            job = sync_pull_execute(job=job)
        elif options["reconcile"]:
            code, domain = options["reconcile"]
            system = System.objects.filter(code=code).first()
            if system is None:
                raise CommandError(f"No system {code}.")
            job = job_run_create(
                kind=JobKind.RECONCILE,
                name=f"Reconcile {domain} with {code}",
                trigger=JobTrigger.MANUAL,
                system=system,
                domain=domain,
            )
            job = reconciliation_execute(job=job)
        else:
            raise CommandError("Give --policy ID or --reconcile SYSTEM DOMAIN.")
        for line in job.log_lines.all():
            self.stdout.write(f"{line.at:%H:%M:%S} {line.level:7} {line.message}")
        self.stdout.write(f"job {job.pk}: {job.status} — {job.outcome}")
        if job.status == "failed":
            raise CommandError(job.outcome or "the job failed")
