from django.core.management.base import BaseCommand

from apps.core.demo import demo_seeders


class Command(BaseCommand):
    help = "Seed the demo data of every app (idempotent)."

    def handle(self, *args, **options):
        seeders = demo_seeders()
        for index, (label, seed) in enumerate(seeders, start=1):
            self.stdout.write(f"[{index}/{len(seeders)}] {label}")
            seed(self.stdout)
        self.stdout.write(self.style.SUCCESS("demo data ready"))
