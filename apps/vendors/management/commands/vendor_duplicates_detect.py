from django.core.management.base import BaseCommand

from apps.vendors.services import vendor_duplicates_detect


class Command(BaseCommand):
    help = "Record suspected duplicate vendors (same tax id, bank account or a similar name)."

    def handle(self, *args, **options):
        found = vendor_duplicates_detect()
        self.stdout.write(f"{len(found)} suspected duplicate pair(s)")
