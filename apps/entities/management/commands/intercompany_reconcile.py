"""Compare both sides of the group's intercompany commitments (purchase order at the buyer,
sales order at the seller) and open or resolve reconciliation items; a progress bar on stderr,
exit status 1 when an Odoo System could not be read."""

from django.core.management.base import BaseCommand, CommandError

from apps.entities.intercompany import intercompany_reconcile
from apps.entities.models import Entity


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = int(width * done / total) if total else width
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


class Command(BaseCommand):
    help = "Reconcile intercompany commitments: both sides read back from Odoo and compared."

    def add_arguments(self, parser):
        parser.add_argument("--entity", help="only commitments this entity buys or sells (code)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, entity=None, no_progress=False, **options):
        chosen = None
        if entity:
            chosen = Entity.objects.filter(code=entity).first()
            if chosen is None:
                raise CommandError(f"No entity with code {entity!r}.")

        def progress(done: int, total: int) -> None:
            if not no_progress:
                self.stderr.write(f"\rintercompany {_bar(done, total)}", ending="")

        result = intercompany_reconcile(entity=chosen, progress=progress)
        if not no_progress:
            self.stderr.write("")
        self.stdout.write(
            f"{result['checked']} compared: {result['agreed']} agree, "
            f"{result['differences']} differ, {result['in_flight']} still in delivery, "
            f"{result['unreachable']} not reachable"
        )
        for where, error in result["errors"].items():
            self.stderr.write(f"{where}: {error}")
        if result["errors"]:
            raise SystemExit(1)
