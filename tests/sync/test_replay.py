import pytest

from apps.audit.models import AuditEntry
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.exceptions.models import ExceptionItem
from apps.ledger.models import Transaction, TransactionEvent
from apps.sync.choices import JobStatus, ReplayRequestStatus
from apps.sync.handlers import DomainHandler, register_handler
from apps.sync.models import JobLogLine, ReplayRequest
from apps.sync.replay import (
    mapping_fix_and_replay,
    replay_bulk_execute,
    replay_bulk_start,
    replay_request_approve,
    replay_request_reject,
    transaction_override_accept,
    transaction_replay_one,
)
from apps.sync.selectors import mapping_lookup
from apps.sync.services import sor_rule_save

pytestmark = pytest.mark.django_db


def _held_cost_codes(sync_systems, make_inbound, run_pipeline, n=2):
    transactions = [
        make_inbound(
            sync_systems.estimating,
            "cost_code",
            {"code": f"03 3{i} 00", "name": f"Concrete {i}", "project_ref": "EST-RIV"},
        )
        for i in range(n)
    ]
    return run_pipeline(*transactions)


def test_mapping_fix_releases_every_held_transaction_and_resolves_the_item(
    sync_systems, make_inbound, run_pipeline, ada, school
):
    held = _held_cost_codes(sync_systems, make_inbound, run_pipeline)
    item = ExceptionItem.objects.get()
    result = mapping_fix_and_replay(item=item, actor=ada, canonical_value="SCH-001")
    assert sorted(result.released) == sorted(t.pk for t in held)
    assert result.item.status == "resolved"
    assert result.item.resolution_action == "mapping_fixed"
    assert (
        mapping_lookup(kind="project", system=sync_systems.estimating, external_value="EST-RIV")
        == "SCH-001"
    )
    released = run_pipeline(*held)
    assert [t.status for t in released] == ["delivered", "delivered"]
    assert all(t.project_id == school.pk for t in released)
    # History kept: held → received (released by ada) → … → delivered, on the same row.
    events = list(
        TransactionEvent.objects.filter(transaction_id=held[0].pk, kind="transition")
        .order_by("id")
        .values_list("to_status", "actor_label")
    )
    assert ("held", "pipeline") in events and ("received", "ada") in events
    assert events[-1][0] == "delivered"


def test_mapping_fix_refuses_items_that_are_not_about_a_mapping(ada):
    from apps.exceptions.services import exception_open

    item = exception_open(category="budget_exceeded", title="t", reason="r", trace_key="b:1")
    with pytest.raises(ApplicationError) as err:
        mapping_fix_and_replay(item=item, actor=ada, canonical_value="x")
    assert err.value.code == "not_a_mapping_item"


def test_replay_creates_a_child_and_keeps_the_original(
    sync_systems, make_inbound, run_pipeline, ada
):
    (original,) = run_pipeline(
        make_inbound(sync_systems.odoo, "project", {"code": "R-1", "name": "X"})
    )
    child = transaction_replay_one(transaction=original, actor=ada, reason="re-send")
    assert child.parent_id == original.pk and child.trigger == "replay"
    original.refresh_from_db()
    assert original.status == "delivered"
    (child,) = run_pipeline(child)
    assert child.status == "delivered"
    assert TransactionEvent.objects.filter(
        transaction_id=original.pk, detail__replayed_as=child.pk
    ).exists()


def test_replaying_a_held_transaction_closes_the_original_as_superseded(
    sync_systems, make_inbound, run_pipeline, ada, school
):
    (held, _) = _held_cost_codes(sync_systems, make_inbound, run_pipeline)
    child = transaction_replay_one(
        transaction=held,
        actor=ada,
        reason="corrected project",
        payload_override={"code": "03 30 00", "name": "Concrete", "project_ref": "SCH-001"},
    )
    held.refresh_from_db()
    assert held.status == "ignored"
    (child,) = run_pipeline(child)
    assert child.status == "delivered"


def test_replay_needs_a_reason_and_a_transaction_at_rest(sync_systems, make_inbound, ada):
    tx = make_inbound(sync_systems.odoo, "project", {"code": "R-2", "name": "X"})
    with pytest.raises(ApplicationError):
        transaction_replay_one(transaction=tx, actor=ada, reason="")
    with pytest.raises(ApplicationError) as err:
        transaction_replay_one(transaction=tx, actor=ada, reason="why not")
    assert err.value.code == "not_replayable"


@pytest.fixture
def money_domain(temporary_registry):
    """A money domain owned by Odoo (flag writes from others), with a financial handler."""

    @register_handler("fee")
    class FeeHandler(DomainHandler):
        financial = True
        subject_keys = ("number",)

    sor_rule_save(actor=None, domain="fee", authority_kind="odoo", conflict_policy="flag")
    return "fee"


def test_overridden_financial_transaction_needs_a_second_person_to_replay(
    sync_systems, make_inbound, run_pipeline, ada, fiona, alice, money_domain
):
    (tx,) = run_pipeline(
        make_inbound(sync_systems.procore, money_domain, {"number": "F-9", "amount": "100.00"})
    )
    assert tx.status == "held"  # Odoo owns fees: flagged
    transaction_override_accept(transaction=tx, actor=fiona, stage="sor", reason="checked")
    (tx,) = run_pipeline(tx)
    assert tx.status == "delivered"

    request = transaction_replay_one(transaction=tx, actor=fiona, reason="resend to Odoo")
    assert isinstance(request, ReplayRequest)
    assert request.status == ReplayRequestStatus.PENDING
    assert not Transaction.objects.filter(parent=tx).exists()
    with pytest.raises(PermissionDeniedError):
        replay_request_approve(request=request, actor=fiona)
    child = replay_request_approve(request=request, actor=alice, note="ok")
    assert child.parent_id == tx.pk
    request.refresh_from_db()
    assert request.status == ReplayRequestStatus.EXECUTED and request.child_id == child.pk
    (child,) = run_pipeline(child)
    assert child.status == "delivered"  # the approved replay carries the SoR override
    assert AuditEntry.objects.filter(action="sync.replay.approved").exists()


def test_payload_correction_of_money_transaction_needs_second_person(
    sync_systems, make_inbound, run_pipeline, fiona, alice, money_domain
):
    (tx,) = run_pipeline(make_inbound(sync_systems.odoo, money_domain, {"number": "F-1"}))
    assert tx.status == "delivered"
    request = transaction_replay_one(
        transaction=tx, actor=fiona, reason="fix amount", payload_override={"number": "F-1"}
    )
    assert isinstance(request, ReplayRequest)
    with pytest.raises(ApplicationError):
        replay_request_reject(request=request, actor=alice, note="")
    rejected = replay_request_reject(request=request, actor=alice, note="amount is right")
    assert rejected.status == ReplayRequestStatus.REJECTED


def test_non_financial_replay_with_override_needs_no_second_person(
    sync_systems, make_inbound, run_pipeline, ada
):
    (tx,) = run_pipeline(make_inbound(sync_systems.odoo, "project", {"code": "R-3", "name": "X"}))
    child = transaction_replay_one(
        transaction=tx, actor=ada, reason="rename", payload_override={"code": "R-3", "name": "Y"}
    )
    assert isinstance(child, Transaction)


def test_bulk_replay_runs_as_a_job_with_progress_and_log(
    sync_systems, make_inbound, run_pipeline, ada
):
    done = run_pipeline(
        *[
            make_inbound(sync_systems.odoo, "project", {"code": f"B-{i}", "name": "X"})
            for i in range(5)
        ]
    )
    with pytest.raises(ApplicationError):
        replay_bulk_start(actor=ada, filters={}, reason="everything")
    job = replay_bulk_start(
        actor=ada, filters={"ids": [t.pk for t in done[:4]], "domain": "project"}, reason="resend"
    )
    assert job.status == JobStatus.QUEUED and job.total == 4
    job = replay_bulk_execute(job=job)
    assert job.status == JobStatus.SUCCEEDED
    assert (job.created_count, job.done, job.progress_percent) == (4, 4, 100)
    assert Transaction.objects.filter(trigger="replay").count() == 4
    assert JobLogLine.objects.filter(job=job).exists()


def test_ledger_replay_page_and_api_keep_the_second_person_rule(
    sync_systems, make_inbound, run_pipeline, ada, fiona, money_domain, client_for, api_client_for
):
    (tx,) = run_pipeline(
        make_inbound(sync_systems.procore, money_domain, {"number": "F-10", "amount": "90.00"})
    )
    transaction_override_accept(transaction=tx, actor=fiona, stage="sor", reason="checked")
    (tx,) = run_pipeline(tx)
    assert tx.status == "delivered"

    response = api_client_for(ada).post(
        f"/api/v1/transactions/{tx.id}/replay/", {"reason": "resend"}, format="json"
    )
    assert response.status_code == 202, response.content
    request = ReplayRequest.objects.get(pk=response.json()["replay_request"])
    assert (request.transaction_id, request.requested_by) == (tx.pk, ada)

    page = client_for(ada).post(f"/ledger/{tx.id}/replay/", {"reason": "resend again"})
    assert page.status_code == 302
    assert ReplayRequest.objects.filter(transaction_id=tx.pk).count() == 2
    assert not Transaction.objects.filter(parent=tx).exists()  # nothing replayed by one person
