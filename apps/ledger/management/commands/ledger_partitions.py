"""Create the ledger's upcoming monthly partitions (PostgreSQL); list them with --list."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from apps.ledger.partitions import MONTHS_AHEAD, partitions_ensure, partitions_list


class Command(BaseCommand):
    help = (
        "Create this month's and the next N months' partitions of the ledger event table "
        "(PostgreSQL; scheduled daily as ledger-partitions). A no-op on SQLite."
    )

    def add_arguments(self, parser):
        parser.add_argument("--ahead", type=int, default=MONTHS_AHEAD, help="months ahead")
        parser.add_argument("--list", action="store_true", help="list the partitions")

    def handle(self, *args, **options):
        result = partitions_ensure(months_ahead=options["ahead"])
        if not result["partitioned"]:
            self.stdout.write("ledger events are not partitioned on this database: nothing to do")
            return
        for name in result["created"]:
            self.stdout.write(f"created {name}")
        if not result["created"]:
            self.stdout.write("partitions already in place")
        if options["list"]:
            for partition in partitions_list():
                self.stdout.write(f"{partition.name}\t{partition.label}")
