from datetime import date

from django.core.management.base import BaseCommand, CommandError

from apps.connectors.models import System
from apps.entities.services import fx_rates_pull


class Command(BaseCommand):
    help = "Pull dated FX rates (res.currency.rate) from Odoo Systems in one batch call each."

    def add_arguments(self, parser):
        parser.add_argument("--system", help="Odoo System code (default: every enabled one)")
        parser.add_argument("--since", help="Only rates dated on or after YYYY-MM-DD")

    def handle(self, *args, **options):
        systems = System.objects.filter(kind="odoo", enabled=True)
        if options["system"]:
            systems = systems.filter(code=options["system"])
            if not systems.exists():
                raise CommandError(f"No enabled Odoo System {options['system']!r}.")
        since = date.fromisoformat(options["since"]) if options["since"] else None
        for system in systems:
            counts = fx_rates_pull(system=system, since=since)
            self.stdout.write(
                f"{system.code}: {counts['created']} new, {counts['updated']} updated, "
                f"{counts['skipped']} skipped"
            )
