"""The procurement demo seeds consistent figures and seeding again changes nothing."""

import io

from django.core.management import call_command

from apps.approvals import demo as approvals_demo
from apps.procurement import demo as procurement_demo
from apps.procurement.models import Commitment, Invoice, Payment
from apps.procurement.services import budget_lines_recompute
from apps.projects import demo as projects_demo
from apps.projects.models import Project


def seed_all():
    out = io.StringIO()
    projects_demo.seed(out)
    call_command("create_demo_users", stdout=out)
    approvals_demo.seed(out)
    procurement_demo.seed(out)
    return out.getvalue()


def test_demo_seed_is_consistent_and_idempotent(db):
    output = seed_all()
    assert "seeded SCH-001, HOS-002, BRG-003" in output
    counts = (Commitment.objects.count(), Invoice.objects.count(), Payment.objects.count())
    outcomes = dict(Invoice.objects.values_list("number", "match_status"))
    assert outcomes["HCS-88190"] == "matched"
    assert outcomes["HCS-88254"] == "matched_within_tolerance"
    assert outcomes["HCS-88302"] == "exception"
    assert Invoice.objects.get(number="NSF-2026-0117").payable_amount == 18450
    assert Payment.objects.get().reference == "HUB-PAY-0001"
    for project in Project.objects.all():
        assert budget_lines_recompute(project=project) == {}
    assert "seeded nothing new" in seed_all()
    assert (Commitment.objects.count(), Invoice.objects.count(), Payment.objects.count()) == counts
