"""Screenshots of the role tours (docs/notes/tours.md) from a running demo:

    manage.py capture_tours --url http://127.0.0.1:8000 --out docs/screenshots [--only rob alice]

Playwright (test extra) drives Debian's chromium; the demo must be seeded and running
(`make demo`). Object ids come from this database (the demo's), so run it with the demo's
DATABASE_URL.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

PASSWORD = "demo-pass-2026"
VIEWPORT = {"width": 1280, "height": 800}


def _ids() -> dict:
    from apps.procurement.models import Commitment, Invoice
    from apps.projects.models import BudgetLine

    def first_id(queryset):
        row = queryset.values_list("id", flat=True).first()
        return row if row is not None else 0

    return {
        "steel": first_id(Commitment.objects.filter(milestone_code="M3000")),
        # Exists once alice approved rob's waiting requisition (the tour's step).
        "level2_po": first_id(
            Commitment.objects.filter(requisition__title="Ready-mix for the level 2 slab")
        ),
        "held_bill": first_id(Invoice.objects.filter(number="HCS-88302")),
        # The hospital's site offices: committed 9.7 % over the line under the warn policy.
        "overrun_line": first_id(
            BudgetLine.objects.filter(
                project__code="HOS-002", phase__code="E1", cost_code__code="01 52 13"
            )
        ),
        "gypsum_line": first_id(
            BudgetLine.objects.filter(
                project__code="SCH-001", phase__code="P4", cost_code__code="09 21 16"
            )
        ),
    }


def _rob_over_budget(page, ids):
    """The live budget check of a requisition that does not fit (nothing is submitted)."""
    page.fill("#id_req-title", "Gypsum board, all classrooms")
    page.select_option("#id_line-0-budget_line", str(ids["gypsum_line"]))
    page.fill("#id_line-0-quantity", "1000")
    page.fill("#id_line-0-unit_price", "135")
    page.locator("#budget-check .badge", has_text="block").first.wait_for()


def tours(ids: dict) -> dict:
    """user → [(file name, path, action before the screenshot or None)]."""
    return {
        "fiona": [
            ("fiona-1-exception-queue", "/exceptions/", None),
            ("fiona-2-unmatched-invoices", "/exceptions/unmatched-invoices/", None),
            ("fiona-3-held-bill", f"/procurement/invoices/{ids['held_bill']}/", None),
            ("fiona-4-bank-statements", "/banking/", None),
        ],
        "pat": [
            ("pat-1-executive-dashboard", "/reports/", None),
            ("pat-2-budget-line-drill-down", f"/reports/budget-lines/{ids['overrun_line']}/", None),
            ("pat-3-schedule-slips", "/schedule/", None),
            ("pat-4-cash-flow", "/reports/cash-flow/", None),
        ],
        "ada": [
            ("ada-1-integration-health", "/monitoring/", None),
            ("ada-2-system-odoo", "/systems/odoo/", None),
            ("ada-3-sor-rules", "/config/sor/", None),
            ("ada-4-ledger", "/ledger/", None),
            ("ada-5-jobs", "/jobs/", None),
        ],
        "rob": [
            (
                "rob-1-requisition-over-budget",
                "/procurement/requisitions/new/?project=SCH-001",
                _rob_over_budget,
            ),
            ("rob-2-requisitions", "/procurement/requisitions/", None),
        ],
        "alice": [
            ("alice-1-approvals", "/approvals/", None),
            ("alice-2-commitment-under-review", f"/procurement/commitments/{ids['steel']}/", None),
        ]
        + (
            [("alice-3-po-in-odoo", f"/procurement/commitments/{ids['level2_po']}/", None)]
            if ids["level2_po"]
            else []
        ),
    }


class Command(BaseCommand):
    help = "Take the role tours' screenshots from a running demo."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--out", default="docs/screenshots")
        parser.add_argument("--only", nargs="*", help="users to capture (default: all)")
        parser.add_argument(
            "--chromium", default=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
        )

    def handle(self, *args, **options):
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as exc:
            raise CommandError("playwright is in the test extra: make install-test") from exc
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        base = options["url"].rstrip("/")
        only = set(options["only"] or [])
        ids = _ids()  # before Playwright starts its event loop in this thread
        plan = tours(ids)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=options["chromium"],
                args=["--headless", "--no-sandbox", "--disable-gpu"],
            )
            try:
                for user, pages in plan.items():
                    if only and user not in only:
                        continue
                    context = browser.new_context(viewport=VIEWPORT)
                    page = context.new_page()
                    page.set_default_timeout(15_000)
                    page.goto(f"{base}/accounts/login/")
                    page.fill("#id_username", user)
                    page.fill("#id_password", PASSWORD)
                    page.click("button[type=submit]")
                    page.wait_for_load_state("networkidle")
                    for name, path, action in pages:
                        response = page.goto(base + path)
                        page.wait_for_load_state("networkidle")
                        if action:
                            action(page, ids)
                        page.screenshot(path=str(out / f"{name}.png"))
                        status = response.status if response else "?"
                        self.stdout.write(f"{name}: {path} ({status})")
                    context.close()
            finally:
                browser.close()
