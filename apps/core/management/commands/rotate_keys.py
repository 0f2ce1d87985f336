from django.core.management.base import BaseCommand

from apps.core.crypto import generate_key
from apps.core.key_rotation import encrypted_fields, secrets_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret with the newest key in FIELD_ENCRYPTION_KEYS. "
        "Put the new key first, keep the old one after it, run this, then drop the old key."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--generate", action="store_true", help="only print a new Fernet key and exit"
        )

    def handle(self, *args, **options):
        if options["generate"]:
            self.stdout.write(generate_key())
            return
        tables = ", ".join(m._meta.label for m, _ in encrypted_fields()) or "none"
        self.stdout.write(f"rotating secrets in: {tables}")

        def progress(label: str, count: int) -> None:
            if count % 100 == 0:
                self.stdout.write(f"  {count} rows rotated ({label})")

        total = secrets_rotate(progress=progress)
        self.stdout.write(self.style.SUCCESS(f"{total} rows re-encrypted with the newest key"))
