from django.core.management.base import BaseCommand

from apps.core.schedules_apply import schedules_apply


class Command(BaseCommand):
    help = "Apply the schedules defined in code to django-q2 (idempotent)."

    def handle(self, *args, **options):
        result = schedules_apply()
        for action in ("created", "updated", "deleted", "unchanged"):
            for name in result[action]:
                self.stdout.write(f"{action:9} {name}")
        self.stdout.write(
            self.style.SUCCESS(
                "schedules: {} created, {} updated, {} deleted, {} unchanged".format(
                    *(len(result[k]) for k in ("created", "updated", "deleted", "unchanged"))
                )
            )
        )
