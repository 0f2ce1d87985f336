"""`manage.py seed_demo`: three projects with content in every area, history over several months,
delivery dates tied to a slipped milestone, and a second run that adds nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Max, Min

from apps.approvals.models import ApprovalRequest
from apps.procurement.models import Commitment, Invoice, Requisition, Vendor
from apps.projects.models import BudgetLine, Project
from apps.schedule.models import MilestoneSlip, ScheduleVersion

pytestmark = pytest.mark.django_db


def _counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (
            Project,
            BudgetLine,
            Vendor,
            Commitment,
            Requisition,
            Invoice,
            ApprovalRequest,
            ScheduleVersion,
            MilestoneSlip,
        )
    }


def test_seed_demo_fills_every_area_once_with_months_of_history():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "demo data ready" in out.getvalue()
    first = _counts()

    assert set(Project.objects.values_list("code", flat=True)) >= {"SCH-001", "HOS-002", "BRG-003"}
    for code in ("SCH-001", "HOS-002", "BRG-003"):
        assert BudgetLine.objects.filter(project__code=code).exists()
        assert Commitment.objects.filter(project__code=code).exists()
        assert ScheduleVersion.objects.filter(project__code=code).exists()
    # History spans months, not the seconds the seeding took.
    span = Commitment.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
    assert (span["last"] - span["first"]).days >= 60
    # Some bills did not match (held for fiona), some requests wait for alice.
    assert Invoice.objects.filter(status="held").exists()
    assert Invoice.objects.filter(status="paid").exists()
    assert ApprovalRequest.objects.filter(status="pending").exists()
    # The school's schedule: a baseline and updates, one milestone slipped past its threshold,
    # and the steel frame tied to it waits for review with its expected delivery moved.
    assert ScheduleVersion.objects.filter(project__code="SCH-001", kind="baseline").exists()
    assert ScheduleVersion.objects.filter(project__code="SCH-001", kind="update").exists()
    assert MilestoneSlip.objects.filter(task_code="M3000", over_threshold=True).exists()
    steel = Commitment.objects.get(milestone_code="M3000")
    assert steel.expected_delivery_date > steel.planned_delivery_date
    assert "M3000" in steel.review_flag
    assert Commitment.objects.filter(planned_delivery_date__isnull=False).count() >= 4
    # The group: two entities, one Odoo company each, and an intercompany order between them
    # waiting for the worker to send both sides.
    from apps.entities.models import IntercompanyCommitment

    assert Project.objects.get(code="BRG-003").entity.code == "nbl"
    assert Project.objects.get(code="SCH-001").entity.code == "nbg"
    intercompany = IntercompanyCommitment.objects.get()
    assert (intercompany.buyer.code, intercompany.seller.code) == ("nbg", "nbl")
    assert intercompany.seller_transaction.domain == "sale_order"
    assert intercompany.seller_transaction.payload["company_id"] == 2

    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert IntercompanyCommitment.objects.count() == 1
    assert _counts() == first
    assert "seeded nothing new" in again.getvalue()


def test_reseeding_disables_the_demo_routes_the_targets_cannot_take():
    from apps.connectors.demo import seed as seed_systems
    from apps.connectors.models import System
    from apps.sync.demo import seed as seed_sync
    from apps.sync.models import SyncPolicy
    from apps.sync.services import sync_policy_save

    seed_systems(StringIO())
    systems = {s.code: s for s in System.objects.all()}
    # What an older demo database has: Odoo cannot take milestones.
    old = sync_policy_save(
        actor=None,
        domain="milestone",
        source_system=systems["p6"],
        target_system=systems["odoo"],
        note="demo",
    )
    kept = sync_policy_save(
        actor=None,
        domain="milestone",
        source_system=systems["p6"],
        target_system=systems["procore"],
        note="someone's own route",
    )
    seed_sync(StringIO())
    seed_sync(StringIO())
    old.refresh_from_db()
    kept.refresh_from_db()
    assert old.enabled is False and old.version == 2
    assert kept.enabled is True
    assert SyncPolicy.objects.filter(domain="cost_code", target_system__code="odoo").exists()


def test_run_demo_ports_reach_the_processes_and_the_demo_systems():
    from apps.connectors.demo import seed as seed_systems
    from apps.connectors.models import System
    from apps.core.demo_processes import demo_processes
    from apps.core.management.commands.run_demo import Command

    specs = {
        spec.name: spec.args
        for spec in demo_processes(web_port=8180, odoo_port=8169, platform_port=8170)
    }
    assert specs["odoo-sim"] == ("--port", "8169")
    assert specs["web"][0] == "127.0.0.1:8180"
    assert "http://127.0.0.1:8180" in specs["platforms"]
    assert specs["platforms"][specs["platforms"].index("--serve-port") + 1] == "8170"

    seed_systems(StringIO())
    System.objects.filter(code="procore").update(base_url="https://procore.example.com")
    Command(stdout=StringIO())._point_systems_at(8169, 8170)
    urls = dict(System.objects.values_list("code", "base_url"))
    assert urls["odoo"] == "http://127.0.0.1:8169"
    assert urls["acc"] == "http://127.0.0.1:8170"
    assert urls["procore"] == "https://procore.example.com"  # not a local simulator: kept
    assert urls["p6"] == ""
