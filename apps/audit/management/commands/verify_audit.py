from django.core.management.base import BaseCommand, CommandError

from apps.audit.services import audit_verify


class Command(BaseCommand):
    help = "Verify the hash chain of the audit log; exit non-zero if it was tampered with."

    def handle(self, *args, **options):
        problems = audit_verify()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"audit log verification failed: {len(problems)} problem(s)")
        self.stdout.write(self.style.SUCCESS("audit log intact"))
