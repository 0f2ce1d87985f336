from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from apps.exceptions.models import ExceptionItem
from apps.ledger.models import Transaction, TransactionEvent
from apps.procurement.models import Vendor
from apps.projects.models import CostCode, Project
from apps.sync.errors import ControlHold, TransientProcessingError
from apps.sync.handlers import ApplyResult, DomainHandler, register_control, register_handler
from apps.sync.models import CanonicalRecord, TransactionOverride
from apps.sync.services import mapping_save, sor_rule_save, sync_policy_save

pytestmark = pytest.mark.django_db


def _transitions(tx):
    return list(
        TransactionEvent.objects.filter(transaction_id=tx.pk, kind="transition")
        .order_by("id")
        .values_list("to_status", flat=True)
    )


def test_vendor_from_its_system_of_record_is_applied_with_every_stage_recorded(
    sync_systems, make_inbound, run_pipeline
):
    tx = make_inbound(
        sync_systems.odoo,
        "vendor",
        {"ref": "V-ACME", "name": "Acme Concrete", "vat": "NL123", "phone": "+31 20 1"},
        external_id="42",
    )
    (tx,) = run_pipeline(tx)
    assert tx.status == "delivered"
    assert _transitions(tx) == ["validated", "mapped", "applied", "delivered"]
    vendor = Vendor.objects.get(code="V-ACME")
    assert (vendor.name, vendor.vat, vendor.external_ref) == ("Acme Concrete", "NL123", "42")
    record = CanonicalRecord.objects.get(domain="vendor", canonical_id="V-ACME")
    assert record.data["phone"] == "+31 20 1"
    assert tx.subject_id == "V-ACME" and tx.canonical_payload["name"] == "Acme Concrete"


def test_generic_envelope_data_is_unwrapped_and_project_resolved(
    sync_systems, make_inbound, run_pipeline, school
):
    tx = make_inbound(
        sync_systems.p6,
        "site_diary",
        {
            "type": "site_diary.updated",
            "project": "SCH-001",
            "data": {"id": "A100", "text": "Pour"},
        },
    )
    (tx,) = run_pipeline(tx)
    assert tx.status == "delivered"
    assert tx.project_id == school.pk
    assert CanonicalRecord.objects.get(domain="site_diary", canonical_id="A100").project == school


def test_invalid_message_fails_with_a_schema_exception_naming_the_fields(
    sync_systems, make_inbound, run_pipeline
):
    tx = make_inbound(sync_systems.odoo, "vendor", {"ref": "V1", "vat": 12.5})
    (tx,) = run_pipeline(tx)
    assert tx.status == "failed"
    item = ExceptionItem.objects.get()
    assert item.category == "schema_invalid"
    assert "name: required" in item.reason
    assert item.trace_key == "schema:odoo:vendor:name,vat"
    assert tx.last_error_code == "schema_invalid"


def test_unsupported_schema_version_is_refused(sync_systems, make_inbound, run_pipeline):
    tx = make_inbound(sync_systems.odoo, "vendor", {"ref": "V1", "name": "A"}, schema_version="7")
    (tx,) = run_pipeline(tx)
    assert tx.status == "failed"
    assert "schema version '7' is not supported" in ExceptionItem.objects.get().reason


def test_sor_ignore_records_the_write_as_ignored_without_an_item(
    sync_systems, make_inbound, run_pipeline, ada
):
    sor_rule_save(
        actor=ada, domain="lookahead", authority_kind="scheduling", conflict_policy="ignore"
    )
    tx = make_inbound(sync_systems.odoo, "lookahead", {"id": "M1", "finish": "2026-05-01"})
    (tx,) = run_pipeline(tx)
    assert tx.status == "ignored"
    assert "not the system of record" in tx.last_error_message
    assert not ExceptionItem.objects.exists()
    assert not CanonicalRecord.objects.filter(domain="lookahead").exists()
    from_owner = make_inbound(sync_systems.p6, "lookahead", {"id": "M1", "finish": "2026-05-02"})
    (from_owner,) = run_pipeline(from_owner)
    assert from_owner.status == "delivered"


def test_sor_flag_holds_and_an_accepted_override_lets_it_through(
    sync_systems, make_inbound, run_pipeline, ada
):
    tx = make_inbound(sync_systems.procore, "vendor", {"ref": "V9", "name": "Changed Name"})
    (tx,) = run_pipeline(tx)
    assert tx.status == "held"
    item = ExceptionItem.objects.get()
    assert item.category == "sor_conflict"
    assert item.trace_key == "sor:procore:vendor:V9"
    assert not Vendor.objects.filter(code="V9").exists()

    from apps.sync.replay import transaction_override_accept

    transaction_override_accept(
        transaction=tx, actor=ada, stage="sor", reason="vendor renamed, confirmed by phone"
    )
    (tx,) = run_pipeline(tx)
    assert tx.status == "delivered"
    assert Vendor.objects.get(code="V9").name == "Changed Name"
    assert TransactionOverride.objects.filter(transaction_id=tx.pk, stage="sor").exists()
    item.refresh_from_db()
    assert item.status == "resolved"


def test_sor_accept_policy_applies_writes_from_other_systems(
    sync_systems, make_inbound, run_pipeline, ada
):
    sor_rule_save(
        actor=ada,
        domain="vendor",
        authority_kind="odoo",
        conflict_policy="accept",
        rule=handlers_rule("vendor"),
    )
    tx = make_inbound(sync_systems.procore, "vendor", {"ref": "V10", "name": "Field Vendor"})
    (tx,) = run_pipeline(tx)
    assert tx.status == "delivered"


def handlers_rule(domain):
    from apps.sync.models import SystemOfRecordRule

    return SystemOfRecordRule.objects.get(domain=domain, field="")


def test_field_rule_drops_fields_owned_elsewhere(sync_systems, make_inbound, run_pipeline, ada):
    sor_rule_save(
        actor=ada,
        domain="drawing",
        field="status",
        authority_kind="document_control",
        conflict_policy="ignore",
    )
    tx = make_inbound(
        sync_systems.odoo, "drawing", {"id": "DOC-1", "title": "GA plan", "status": "S4"}
    )
    (tx,) = run_pipeline(tx)
    assert tx.status == "delivered"
    record = CanonicalRecord.objects.get(domain="drawing", canonical_id="DOC-1")
    assert "status" not in record.data and record.data["title"] == "GA plan"
    mapped = TransactionEvent.objects.get(transaction_id=tx.pk, to_status="mapped")
    assert mapped.detail["sor_ignored_fields"] == ["status"]


def test_unknown_project_reference_holds_and_groups_repeats(
    sync_systems, make_inbound, run_pipeline
):
    first = make_inbound(
        sync_systems.estimating,
        "cost_code",
        {"code": "03 30 00", "name": "Cast-in-place concrete", "project_ref": "EST-RIV"},
    )
    second = make_inbound(
        sync_systems.estimating,
        "cost_code",
        {"code": "03 31 00", "name": "Structural concrete", "project_ref": "EST-RIV"},
    )
    first, second = run_pipeline(first, second)
    assert (first.status, second.status) == ("held", "held")
    item = ExceptionItem.objects.get()
    assert item.category == "invalid_project_reference"
    assert item.trace_key == "project:estimating:EST-RIV"
    assert item.occurrences == 2
    assert item.details["value"] == "EST-RIV"


def test_mapped_project_reference_and_cost_code_route_to_the_target(
    sync_systems, make_inbound, run_pipeline, ada, school
):
    mapping_save(
        actor=ada,
        kind="project",
        system=sync_systems.estimating,
        external_value="EST-RIV",
        canonical_value="SCH-001",
    )
    mapping_save(
        actor=ada,
        kind="cost_code",
        system=sync_systems.odoo,
        external_value="CONC",
        canonical_value="03 30 00",
    )
    sync_policy_save(
        actor=ada,
        domain="cost_code",
        source_system=sync_systems.estimating,
        target_system=sync_systems.odoo,
    )
    tx = make_inbound(
        sync_systems.estimating,
        "cost_code",
        {"code": "03 30 00", "name": "Cast-in-place concrete", "project_ref": "EST-RIV"},
    )
    (tx,) = run_pipeline(tx)
    assert tx.status == "delivered"
    assert tx.project_id == school.pk
    assert CostCode.objects.get(code="03 30 00").title == "Cast-in-place concrete"
    child = Transaction.objects.get(parent=tx)
    assert (child.direction, child.status, child.system_id) == (
        "outbound",
        "pending",
        sync_systems.odoo.pk,
    )
    assert child.payload == {"code": "CONC", "name": "Cast-in-place concrete"}
    assert (child.subject_domain, child.subject_id, child.project_id) == (
        "cost_code",
        "03 30 00",
        school.pk,
    )
    # Re-running the route (a crash after routing) never makes a second child.
    assert child.idempotency_key == f"route:{tx.pk}:odoo:cost_code"


def test_out_of_order_update_is_recorded_and_skipped(sync_systems, make_inbound, run_pipeline):
    early = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    late = early + timedelta(hours=2)
    newer = make_inbound(
        sync_systems.odoo, "project", {"code": "NEW-1", "name": "Newer name"}, occurred_at=late
    )
    older = make_inbound(
        sync_systems.odoo, "project", {"code": "NEW-1", "name": "Older name"}, occurred_at=early
    )
    newer, older = run_pipeline(newer, older)
    assert newer.status == "delivered"
    assert older.status == "ignored"
    assert "before the one already applied" in older.last_error_message
    assert Project.objects.get(code="NEW-1").name == "Newer name"
    assert not ExceptionItem.objects.exists()


def test_in_order_updates_are_all_applied(sync_systems, make_inbound, run_pipeline):
    t0 = timezone.now()
    first = make_inbound(
        sync_systems.odoo, "project", {"code": "P-2", "name": "One"}, occurred_at=t0
    )
    second = make_inbound(
        sync_systems.odoo,
        "project",
        {"code": "P-2", "name": "Two"},
        occurred_at=t0 + timedelta(seconds=1),
    )
    assert [t.status for t in run_pipeline(first, second)] == ["delivered", "delivered"]
    assert Project.objects.get(code="P-2").name == "Two"


def test_control_hook_holds_with_its_category(
    sync_systems, make_inbound, run_pipeline, temporary_registry
):
    @register_control("claimlet")
    def budget_check(ctx):
        if ctx.canonical.get("amount") and int(ctx.canonical["amount"]) > 1000:
            raise ControlHold(
                "Over the available budget by 500.00",
                category="budget_exceeded",
                trace_key=f"budget:{ctx.subject_id}",
            )

    tx = make_inbound(
        sync_systems.estimating,
        "claimlet",
        {"number": "INV-1", "amount": "1500", "currency": "EUR"},
    )
    (tx,) = run_pipeline(tx)
    assert tx.status == "held"
    item = ExceptionItem.objects.get()
    assert (item.category, item.trace_key) == ("budget_exceeded", "budget:INV-1")
    assert str(item.amount_at_risk) == "1500.00" and item.currency == "EUR"
    assert not CanonicalRecord.objects.filter(domain="claimlet").exists()


def test_registered_handler_replaces_generic(
    sync_systems, make_inbound, run_pipeline, temporary_registry
):
    applied = []

    @register_handler("widget")
    class WidgetHandler(DomainHandler):
        keep_canonical_record = False

        def apply(self, ctx):
            applied.append(ctx.canonical["id"])
            return ApplyResult(subject_id=f"W{ctx.canonical['id']}", created=True)

    (tx,) = run_pipeline(make_inbound(sync_systems.p6, "widget", {"id": 7}))
    assert tx.status == "delivered" and applied == [7]
    assert tx.subject_id == "W7"
    assert not CanonicalRecord.objects.filter(domain="widget").exists()


def test_unexpected_error_fails_with_processing_error_item(
    sync_systems, make_inbound, run_pipeline, temporary_registry
):
    @register_handler("gadget")
    class BrokenHandler(DomainHandler):
        def apply(self, ctx):
            raise ZeroDivisionError("division by zero")

    (tx,) = run_pipeline(make_inbound(sync_systems.p6, "gadget", {"id": 1}))
    assert tx.status == "failed"
    item = ExceptionItem.objects.get()
    assert item.category == "processing_error"
    assert "ZeroDivisionError" in item.reason
    # Nothing half-applied: the apply stage rolled back as a whole.
    assert not CanonicalRecord.objects.filter(domain="gadget").exists()


def test_transient_error_retries_then_fails_when_exhausted(
    sync_systems, make_inbound, run_pipeline, temporary_registry
):
    @register_handler("flaky")
    class FlakyHandler(DomainHandler):
        def apply(self, ctx):
            raise TransientProcessingError("platform follow-up timed out")

    tx = make_inbound(sync_systems.p6, "flaky", {"id": 1})
    Transaction.objects.filter(pk=tx.pk).update(attempts=1, max_attempts=2)
    (tx,) = run_pipeline(tx)
    assert tx.status == "retrying"
    assert tx.next_attempt_at > timezone.now()
    Transaction.objects.filter(pk=tx.pk).update(attempts=2)
    (tx,) = run_pipeline(tx)
    assert tx.status == "failed"
    assert ExceptionItem.objects.get().trace_key == "processing:p6:flaky:exhausted"


def test_transaction_left_mapped_by_a_crash_is_resumed(sync_systems, make_inbound, run_pipeline):
    tx = make_inbound(sync_systems.odoo, "project", {"code": "RES-1", "name": "Resumed"})
    from apps.sync.pipeline import BatchState, _context, _stage_map, _stage_validate

    batch = BatchState()
    ctx = _context(tx, batch)
    _stage_validate(ctx)
    _stage_map(ctx)
    assert Transaction.objects.get(pk=tx.pk).status == "mapped"
    (tx,) = run_pipeline(tx)
    assert tx.status == "delivered"
    assert Project.objects.filter(code="RES-1").exists()
