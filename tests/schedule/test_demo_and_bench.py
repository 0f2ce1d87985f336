"""The demo seed (idempotent, gives the slip chart content) and the benchmark's synthetic XER."""

from __future__ import annotations

import io

import pytest

from apps.ledger.models import Transaction
from apps.projects import demo as projects_demo
from apps.schedule import demo, services
from apps.schedule.models import MilestoneSlip, ScheduleVersion
from benchmarks.bench_xer_import import synthetic_xer
from tests.schedule.conftest import xer_table_rows

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent_and_fills_the_slip_views():
    out = io.StringIO()
    projects_demo.seed(out)
    demo.seed(out)
    versions = ScheduleVersion.objects.count()
    events = Transaction.objects.filter(domain="milestone", operation="slipped").count()
    assert versions == len(demo.DEMO_IMPORTS)
    assert events == 5
    assert MilestoneSlip.objects.filter(project__code="SCH-001").count() == 12
    demo.seed(out)
    assert ScheduleVersion.objects.count() == versions
    assert Transaction.objects.filter(domain="milestone").count() == events
    assert "0 files imported, 6 already there" in out.getvalue()


def test_benchmark_xer_imports_completely_across_many_batches(school, monkeypatch):
    monkeypatch.setattr(services, "ACTIVITY_BATCH_SIZE", 100)
    data = synthetic_xer(activities=600, target_bytes=400_000)
    counts = xer_table_rows(data)
    version = services.schedule_import_file(
        project=school, file_bytes=data, file_name="synthetic.xer", kind="baseline"
    )
    assert version.counts["tables"] == counts
    assert version.activities.count() == counts["TASK"] == 600
    assert version.wbs_nodes.count() == counts["PROJWBS"]
    assert version.activities.filter(wbs__isnull=True).count() == 0
    assert version.counts["milestones"] == 30
    assert version.activities.get(task_code="A10050").wbs.path == "EC00640.A6.T1"
    assert version.activities.get(task_code="A10010").name == "Façade – lot 1 niveau 1"
