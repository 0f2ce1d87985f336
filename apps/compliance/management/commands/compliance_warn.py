from django.core.management.base import BaseCommand

from apps.compliance.services import compliance_expiry_warn


class Command(BaseCommand):
    help = "Warn vendors and their owners about compliance documents about to expire (daily)."

    def handle(self, *args, **options):
        sent = compliance_expiry_warn()
        self.stdout.write(f"{sent} expiry warning(s) sent")
