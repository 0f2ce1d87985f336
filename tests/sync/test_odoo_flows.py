"""The pipeline and delivery end to end against the Odoo simulator over loopback."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.exceptions.models import ExceptionItem
from apps.ledger.models import Transaction, TransactionEvent
from apps.sync.breaker import breaker_get
from apps.sync.models import Binding, CircuitBreaker, DeliverySettings
from apps.sync.replay import mapping_fix_and_replay
from apps.sync.services import job_run_create, sync_policy_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def cost_code_route(sync_systems, odoo_target, ada):
    return sync_policy_save(
        actor=ada,
        domain="cost_code",
        source_system=sync_systems.estimating,
        target_system=odoo_target,
    )


def _cost_code(make_inbound, sync_systems, code, name, **extra):
    return make_inbound(sync_systems.estimating, "cost_code", {"code": code, "name": name, **extra})


def _outbound(**filters):
    return Transaction.objects.filter(direction="outbound", **filters)


def _analytic(odoo_sim, code):
    return odoo_sim.records("account.analytic.account", domain=[("code", "=", code)])


def _due_now():
    Transaction.objects.filter(status__in=["retrying", "pending"]).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_cost_codes_reach_odoo_in_one_create_with_bindings(
    odoo_sim, odoo_target, cost_code_route, sync_systems, make_inbound, drain
):
    codes = [f"26 0{i} 00" for i in range(1, 6)]
    for code in codes:
        _cost_code(make_inbound, sync_systems, code, f"Electrical {code}")
    drain()
    assert set(_outbound().values_list("status", flat=True)) == {"delivered"}
    stats = odoo_sim.stats()
    assert stats["methods"].get("account.analytic.account.create") == 1  # one call, five records
    assert stats["created"]["account.analytic.account"] == 5
    for code in codes:
        (row,) = _analytic(odoo_sim, code)
        binding = Binding.objects.get(system=odoo_target, domain="cost_code", canonical_id=code)
        assert binding.external_id == str(row["id"])
    attempt = TransactionEvent.objects.filter(kind="attempt").first()
    methods = [c["method"] for c in attempt.detail["calls"]]
    assert "create" in methods and all("duration_ms" in c for c in attempt.detail["calls"])


def test_mapping_miss_holds_then_fix_and_replay_delivers_to_odoo(
    odoo_sim, odoo_target, cost_code_route, sync_systems, make_inbound, drain, ada, school
):
    tx = _cost_code(
        make_inbound, sync_systems, "03 35 13", "Concrete finishing", project_ref="EST-RIV"
    )
    drain()
    tx.refresh_from_db()
    assert tx.status == "held"
    item = ExceptionItem.objects.get(status="open")
    assert item.category == "invalid_project_reference"
    assert not _analytic(odoo_sim, "03 35 13")

    mapping_fix_and_replay(item=item, actor=ada, canonical_value=school.code)
    drain()
    tx.refresh_from_db()
    assert tx.status == "delivered" and tx.project_id == school.pk
    assert _outbound(parent=tx).get().status == "delivered"
    assert len(_analytic(odoo_sim, "03 35 13")) == 1


def test_transient_errors_then_success_create_the_record_once(
    odoo_sim, odoo_target, cost_code_route, sync_systems, make_inbound, drain
):
    odoo_sim.set_faults(error_rate=1.0, error="http_503", match={"methods": ["create"]}, count=2)
    _cost_code(make_inbound, sync_systems, "31 00 00", "Earthwork")
    drain()
    out = _outbound().get()
    assert out.status == "retrying"
    for _ in range(3):
        _due_now()
        drain()
    out.refresh_from_db()
    assert out.status == "delivered" and out.attempts == 3
    assert len(_analytic(odoo_sim, "31 00 00")) == 1
    assert odoo_sim.stats()["created"]["account.analytic.account"] == 1


def test_timeout_after_commit_is_retried_without_a_duplicate(
    odoo_sim, odoo_target, cost_code_route, sync_systems, make_inbound, drain
):
    odoo_sim.set_faults(
        slow_commit={"delay_ms": 3000, "drop": True},
        match={"methods": ["create"], "models": ["account.analytic.account"]},
        count=1,
    )
    _cost_code(make_inbound, sync_systems, "32 00 00", "Exterior improvements")
    drain()
    out = _outbound().get()
    assert out.status == "retrying"  # the response never came; the record exists already
    _due_now()
    drain()
    out.refresh_from_db()
    assert out.status == "delivered"
    assert len(_analytic(odoo_sim, "32 00 00")) == 1
    assert odoo_sim.stats()["created"]["account.analytic.account"] == 1


def test_exhausted_attempts_dead_letter_with_an_exception(
    odoo_sim, odoo_target, cost_code_route, sync_systems, make_inbound, drain
):
    DeliverySettings.objects.create(
        system=odoo_target, max_attempts=2, breaker_failure_threshold=100
    )
    odoo_sim.set_faults(
        error_rate=1.0, error="http_502", match={"models": ["account.analytic.account"]}
    )
    _cost_code(make_inbound, sync_systems, "33 00 00", "Utilities")
    drain()
    _due_now()
    drain()
    out = _outbound().get()
    assert out.status == "dead"
    item = ExceptionItem.objects.get(category="delivery_failed")
    assert item.trace_key == "delivery:odoo-sim:cost_code:33 00 00"
    assert not _analytic(odoo_sim, "33 00 00")


def test_permanent_error_fails_at_once(
    odoo_sim, odoo_target, sync_systems, make_inbound, drain, ada
):
    sync_policy_save(
        actor=ada, domain="vendor", source_system=sync_systems.p6, target_system=odoo_target
    )
    from apps.sync.models import SystemOfRecordRule
    from apps.sync.services import sor_rule_save

    sor_rule_save(
        actor=ada,
        rule=SystemOfRecordRule.objects.get(domain="vendor", field=""),
        domain="vendor",
        authority_kind="odoo",
        conflict_policy="accept",
    )
    odoo_sim.set_faults(
        error_rate=1.0,
        error="odoo",
        error_name="odoo.exceptions.ValidationError",
        error_message="The VAT number is not valid",
        match={"models": ["res.partner"], "methods": ["create"]},
    )
    make_inbound(sync_systems.p6, "vendor", {"ref": "V-BAD", "name": "Bad VAT Ltd", "vat": "X"})
    drain()
    out = _outbound().get()
    assert out.status == "failed" and out.attempts == 1
    item = ExceptionItem.objects.get(category="permanent_target_error")
    assert "ValidationError" in item.reason


def test_breaker_opens_on_an_outage_and_recovers(
    odoo_sim, odoo_target, cost_code_route, sync_systems, make_inbound, drain
):
    DeliverySettings.objects.create(
        system=odoo_target, breaker_failure_threshold=2, breaker_cooldown_seconds=60, batch_size=1
    )
    odoo_sim.set_faults(outage={"mode": "503"})
    for i in range(4):
        _cost_code(make_inbound, sync_systems, f"34 0{i} 00", f"Transport {i}")
    drain()
    breaker = breaker_get(system=odoo_target)
    assert breaker.state == "open"
    requests_when_open = odoo_sim.stats()["requests"]
    _due_now()
    drain()
    assert odoo_sim.stats()["requests"] == requests_when_open  # nothing sent while open
    assert set(_outbound().values_list("status", flat=True)) <= {"retrying", "pending"}

    odoo_sim.clear_faults()
    CircuitBreaker.objects.filter(pk=breaker.pk).update(
        retry_at=timezone.now() - timedelta(seconds=1)
    )
    for _ in range(4):
        _due_now()
        drain()
    assert breaker_get(system=odoo_target).state == "closed"
    assert set(_outbound().values_list("status", flat=True)) == {"delivered"}
    assert odoo_sim.stats()["created"]["account.analytic.account"] == 4


def test_reconciliation_finds_a_record_changed_behind_the_hubs_back(
    odoo_sim, odoo_target, cost_code_route, sync_systems, make_inbound, drain
):
    from apps.sync.reconciliation import reconciliation_execute

    for code, name in (("35 00 00", "Waterway"), ("35 10 00", "Dredging")):
        _cost_code(make_inbound, sync_systems, code, name)
    drain()
    (row,) = _analytic(odoo_sim, "35 10 00")
    odoo_sim.call("account.analytic.account", "write", [row["id"]], {"name": "Dredging (edited)"})

    job = job_run_create(kind="reconcile", name="reconcile", system=odoo_target, domain="cost_code")
    job = reconciliation_execute(job=job)
    assert job.status == "partial"
    item = ExceptionItem.objects.get(category="reconciliation_difference")
    assert item.trace_key == "recon:odoo-sim:cost_code:35 10 00"
    assert item.details["differences"] == {
        "name": {"hub": "Dredging", "system": "Dredging (edited)"}
    }
    assert "behind the hub's back" in item.reason


@pytest.fixture
def vendor_pull_policy(sync_systems, odoo_target, ada):
    return sync_policy_save(
        actor=ada,
        domain="vendor",
        source_system=odoo_target,
        target_system=sync_systems.p6,
        mode="interval",
        interval_minutes=15,
        batch_size=50,
    )


def test_batch_sync_pulls_changes_incrementally_as_a_job(
    odoo_sim, odoo_target, vendor_pull_policy, drain
):
    from apps.procurement.models import Vendor
    from apps.sync.runs import sync_pull_execute

    seeded = odoo_sim.records("res.partner", domain=[("supplier_rank", ">", 0)])
    job = sync_pull_execute(job=job_run_create(kind="sync", name="pull", policy=vendor_pull_policy))
    assert job.status == "succeeded", job.outcome
    assert (job.read_count, job.created_count) == (len(seeded), len(seeded))
    assert job.log_lines.count() >= 2
    drain()
    assert Vendor.objects.filter(external_ref__in=[str(p["id"]) for p in seeded]).count() == len(
        seeded
    )
    again = sync_pull_execute(
        job=job_run_create(kind="sync", name="pull", policy=vendor_pull_policy)
    )
    assert again.created_count == 0 and again.updated_count == 0

    partner = seeded[0]
    odoo_sim.call("res.partner", "write", [partner["id"]], {"email": "ap@changed.example"})
    third = sync_pull_execute(
        job=job_run_create(kind="sync", name="pull", policy=vendor_pull_policy)
    )
    assert third.updated_count == 1 and third.created_count == 0
    drain()
    assert Vendor.objects.get(external_ref=str(partner["id"])).email == "ap@changed.example"


def test_a_page_with_a_failed_record_stops_the_run_before_the_mark_passes_it(
    odoo_sim, odoo_target, vendor_pull_policy, monkeypatch
):
    from apps.sync import runs

    vendor_pull_policy.batch_size = 2
    vendor_pull_policy.save(update_fields=["batch_size"])
    seeded = odoo_sim.records("res.partner", domain=[("supplier_rank", ">", 0)])
    seeded.sort(key=lambda p: (p["write_date"], p["id"]))  # the pull's order
    assert len(seeded) > 4
    broken = str(seeded[2]["id"])  # on the second page of two
    real_record = runs.transaction_record_inbound

    def record_failing_once(**kwargs):
        if kwargs["external_id"] == broken:
            raise RuntimeError("disk full")
        return real_record(**kwargs)

    monkeypatch.setattr(runs, "transaction_record_inbound", record_failing_once)
    first = runs.sync_pull_execute(
        job=job_run_create(kind="sync", name="pull", policy=vendor_pull_policy)
    )
    assert first.failed_count == 1
    assert first.read_count < len(seeded)  # it stopped at the failed page
    inbound = Transaction.objects.filter(direction="inbound", domain="vendor")
    assert not inbound.filter(external_id=broken).exists()

    monkeypatch.setattr(runs, "transaction_record_inbound", real_record)
    second = runs.sync_pull_execute(
        job=job_run_create(kind="sync", name="pull", policy=vendor_pull_policy)
    )
    assert second.failed_count == 0
    # The failed record is pulled again, and every vendor is recorded exactly once.
    assert inbound.filter(external_id=broken).count() == 1
    assert inbound.count() == len(seeded)


def test_reconciliation_backfills_missed_records_and_reports_orphans(
    odoo_sim, odoo_target, vendor_pull_policy, drain
):
    from apps.sync.reconciliation import reconciliation_execute
    from apps.sync.runs import sync_pull_execute

    sync_pull_execute(job=job_run_create(kind="sync", name="pull", policy=vendor_pull_policy))
    drain()
    Binding.objects.create(
        system=odoo_target, domain="vendor", canonical_id="GHOST", external_id="99999"
    )
    new_id = odoo_sim.call(
        "res.partner", "create", {"name": "Missed Vendor BV", "ref": "V-MISSED", "supplier_rank": 1}
    )
    job = reconciliation_execute(
        job=job_run_create(kind="reconcile", name="r", system=odoo_target, domain="vendor")
    )
    assert job.created_count == 1  # the missed vendor, backfilled
    missed = ExceptionItem.objects.get(category="missed_events")
    assert missed.trace_key == "missed:odoo-sim:vendor"
    orphans = ExceptionItem.objects.get(trace_key="orphans:odoo-sim:vendor")
    assert orphans.details["canonical_ids"] == ["GHOST"]
    assert Binding.objects.get(canonical_id="GHOST").orphaned_at is not None
    drain()
    assert Binding.objects.get(system=odoo_target, domain="vendor", external_id=str(new_id))
    assert "summary" in job.params


def test_sync_run_command_reconciles_and_prints_the_log(odoo_sim, odoo_target, capsys):
    from django.core.management import call_command

    call_command("sync_run", "--reconcile", "odoo-sim", "cost_code")
    out = capsys.readouterr().out
    assert "succeeded" in out and "first load" in out
