"""Resolution actions end to end: cost-code remap releases every held transaction and they reach
the Odoo simulator; overrides of financial items need a second person; payload corrections keep
their diff; retry releases held transactions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.exceptions.models import ExceptionItem, OverrideRequest
from apps.ledger.models import Transaction
from apps.sync.services import sync_policy_save

pytestmark = pytest.mark.django_db


def _site_cost(make_inbound, system, n, code="03-300"):
    """A cost report line from the field platform (generic domain handler): its cost code needs
    a mapping, so an unknown code holds it."""
    return make_inbound(
        system,
        "site_cost",
        {"id": f"SC-{n}", "cost_code": code, "amount": f"{100 + n}.00", "currency": "EUR"},
    )


def test_cost_code_remap_releases_every_held_transaction_and_they_complete(
    sync_systems, make_inbound, run_pipeline, fiona, client_for
):
    held = run_pipeline(*[_site_cost(make_inbound, sync_systems.p6, n) for n in range(3)])
    assert {t.status for t in held} == {"held"}
    item = ExceptionItem.objects.get(category="cost_code_error")
    assert item.occurrences == 3 and item.links.count() == 3  # one item, not three

    client = client_for(fiona)
    page = client.get(reverse("exceptions:detail", args=[item.pk])).content.decode()
    assert "Map the platform cost code" in page
    response = client.post(
        reverse("exceptions:fix_mapping", args=[item.pk]), {"canonical_value": "03 30 00"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "resolved" and item.resolution_action == "mapping_fixed"
    done = run_pipeline(*held)
    assert {t.status for t in done} == {"delivered"}
    assert {t.canonical_payload["cost_code"] for t in done} == {"03 30 00"}
    partial = client.get(reverse("exceptions:transactions", args=[item.pk])).content.decode()
    assert partial.count("status-delivered") == 3


def test_linking_a_project_reference_releases_held_records_and_they_reach_odoo(
    odoo_sim, odoo_target, sync_systems, make_inbound, drain, ada, fiona, school, client_for
):
    sync_policy_save(
        actor=ada,
        domain="cost_code",
        source_system=sync_systems.estimating,
        target_system=odoo_target,
    )
    held = [
        make_inbound(
            sync_systems.estimating,
            "cost_code",
            {"code": f"03 3{n} 13", "name": f"Finishing {n}", "project_ref": "EST-RIV"},
        )
        for n in range(3)
    ]
    drain()
    item = ExceptionItem.objects.get(category="invalid_project_reference")
    assert item.links.count() == 3
    client_for(ada).post(
        reverse("exceptions:fix_mapping", args=[item.pk]), {"canonical_value": school.code}
    )
    drain()
    ids = [t.pk for t in held]
    assert set(Transaction.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        "delivered"
    }
    outbound = Transaction.objects.filter(parent_id__in=ids, direction="outbound")
    assert set(outbound.values_list("status", flat=True)) == {"delivered"}
    for n in range(3):
        code = f"03 3{n} 13"
        assert odoo_sim.records("account.analytic.account", domain=[("code", "=", code)])


def _held_commitment(make_inbound, sync_systems, number):
    """A commitment from P6 held at the SoR check with its sor_conflict item (as the pipeline
    leaves it), built directly so the test does not depend on other pipeline stages."""
    from apps.exceptions.services import exception_open
    from apps.ledger.services import transaction_transition

    tx = make_inbound(sync_systems.p6, "commitment", {"number": number, "vendor_ref": "V1"})
    for status in ("validated", "held"):
        tx = transaction_transition(transaction=tx, to_status=status, actor=None, detail={})
    item = exception_open(
        category="sor_conflict",
        title=f"P6 changed {number}",
        reason="Odoo is the system of record for commitments.",
        trace_key=f"sor:p6:commitment:{number}",
        transaction=tx,
    )
    return Transaction.objects.get(pk=tx.pk), item


def test_override_of_a_financial_item_needs_a_second_person(
    sync_systems, make_inbound, fiona, ada, client_for
):
    tx, item = _held_commitment(make_inbound, sync_systems, "PO-9")
    assert tx.status == "held"
    client_for(fiona).post(
        reverse("exceptions:override", args=[item.pk]),
        {"transaction_id": tx.pk, "stage": "sor", "reason": "P6 is right this time"},
    )
    request = OverrideRequest.objects.get()
    assert request.status == "pending"
    tx.refresh_from_db()
    assert tx.status == "held"  # nothing happens on one person's word
    client_for(fiona).post(
        reverse("exceptions:override_decide", args=[item.pk, request.pk]), {"decision": "approve"}
    )
    request.refresh_from_db()
    tx.refresh_from_db()
    assert request.status == "pending" and tx.status == "held"  # the requester cannot approve
    client_for(ada).post(
        reverse("exceptions:override_decide", args=[item.pk, request.pk]), {"decision": "approve"}
    )
    request.refresh_from_db()
    tx.refresh_from_db()
    assert request.status == "approved" and request.decided_by == ada
    assert tx.status != "held"


def test_override_rejection_needs_a_reason(sync_systems, make_inbound, fiona, ada, client_for):
    tx, item = _held_commitment(make_inbound, sync_systems, "PO-8")
    client_for(fiona).post(
        reverse("exceptions:override", args=[item.pk]),
        {"transaction_id": tx.pk, "stage": "sor", "reason": "needed"},
    )
    request = OverrideRequest.objects.get()
    url = reverse("exceptions:override_decide", args=[item.pk, request.pk])
    client_for(ada).post(url, {"decision": "reject", "note": ""})
    request.refresh_from_db()
    assert request.status == "pending"
    client_for(ada).post(url, {"decision": "reject", "note": "Odoo is the record"})
    request.refresh_from_db()
    assert request.status == "rejected"


def test_edit_payload_records_the_diff_and_replays_the_correction(
    sync_systems, make_inbound, run_pipeline, ada, client_for
):
    (tx,) = run_pipeline(_site_cost(make_inbound, sync_systems.p6, 1))
    item = ExceptionItem.objects.get(category="cost_code_error")
    corrected = dict(tx.payload, cost_code="03 30 00")
    import json

    client = client_for(ada)
    client.post(
        reverse("exceptions:edit_payload", args=[item.pk]),
        {"transaction_id": tx.pk, "payload": json.dumps(corrected), "reason": ""},
    )
    assert not Transaction.objects.filter(parent=tx).exists()  # no reason: refused
    client.post(
        reverse("exceptions:edit_payload", args=[item.pk]),
        {"transaction_id": tx.pk, "payload": json.dumps(corrected), "reason": "typo in code"},
    )
    child = Transaction.objects.get(parent=tx)
    assert child.payload["cost_code"] == "03 30 00"
    assert item.links.filter(transaction_id=child.pk, role="replay").exists()
    note = item.comments.filter(body__contains="corrected").get().body
    assert '-  "cost_code": "03-300"' in note and '+  "cost_code": "03 30 00"' in note


def test_retry_releases_held_transactions(
    sync_systems, make_inbound, run_pipeline, ada, client_for
):
    (tx,) = run_pipeline(_site_cost(make_inbound, sync_systems.p6, 1))
    item = ExceptionItem.objects.get(category="cost_code_error")
    client_for(ada).post(reverse("exceptions:retry", args=[item.pk]), {"reason": "try again"})
    tx.refresh_from_db()
    assert tx.status == "received"
    assert item.comments.filter(body__startswith="Retried").exists()


def test_cost_code_remap_replays_held_budget_lines_and_they_reach_odoo(
    odoo_sim, odoo_target, sync_systems, make_inbound, drain, school_budget, ada, fiona, client_for
):
    """Estimating sends budget versions with its own cost code 03-300: every one is held on one
    cost_code_error item; fiona maps 03-300 to 03 31 13, the held versions replay, and each
    applied cost code is revised in Odoo's budget (budget.line on Odoo's analytic account for
    that code, which Odoo calls 03 30 00)."""
    from apps.sync.services import mapping_save

    mapping_save(
        actor=ada,
        kind="cost_code",
        system=odoo_target,
        external_value="03 30 00",
        canonical_value="03 31 13",
    )
    sync_policy_save(
        actor=ada,
        domain="budget_line",
        source_system=sync_systems.estimating,
        target_system=odoo_target,
    )
    held = [
        make_inbound(
            sync_systems.estimating,
            "budget_line",
            {
                "budget_id": "EST-SCH-001",
                "version": version,
                "project": "SCH-001",
                "currency": "EUR",
                "lines": [
                    {
                        "phase": "P1",
                        "cost_code": "03-300",
                        "description": "Concrete",
                        "amount": f"{amount}.00",
                    }
                ],
            },
            operation="import",
        )
        for version, amount in ((1, 210000), (2, 215000), (3, 220000))
    ]
    drain()
    ids = [t.pk for t in held]
    assert set(Transaction.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"held"}
    item = ExceptionItem.objects.get(category="cost_code_error")
    assert item.links.count() == 3 and item.project == school_budget.project
    assert not Transaction.objects.filter(parent_id__in=ids, direction="outbound").exists()

    response = client_for(fiona).post(
        reverse("exceptions:fix_mapping", args=[item.pk]), {"canonical_value": "03 31 13"}
    )
    assert response.status_code == 302
    drain()
    assert set(Transaction.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        "delivered"
    }
    outbound = Transaction.objects.filter(
        parent_id__in=ids, direction="outbound", domain="budget_line"
    )
    # The three revisions of the same Odoo budget line go one after the other (per-subject
    # order): each waits a second behind the previous one; bring them due instead of waiting.
    for _ in range(3):
        outbound.filter(status="pending").update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )
        drain()
    assert outbound.count() == 3
    assert set(outbound.values_list("status", flat=True)) == {"delivered"}
    assert {t.payload["cost_code"] for t in outbound} == {"03 30 00"}
    item.refresh_from_db()
    assert item.status == "resolved" and item.resolution_action == "mapping_fixed"

    # In Odoo: the school's budget has a line on the 03 30 00 analytic account with the
    # revised amount of 03 31 13 (P1 from the last version replayed + P2's 150,000).
    cost_account = odoo_sim.records(
        "account.analytic.account", ["id"], [("code", "=", "03 30 00")]
    )[0]
    (budget,) = odoo_sim.records(
        "budget.analytic", ["id"], [("name", "=", "SCH-001 Construction budget")]
    )
    rows = odoo_sim.records("budget.line", None, [("budget_analytic_id", "=", budget["id"])])
    on_account = [
        Decimal(str(row["budget_amount"]))
        for row in rows
        if any(
            key.startswith("x_plan") and value and value[0] == cost_account["id"]
            for key, value in row.items()
        )
    ]
    revised = sum(
        (
            line.revised
            for line in school_budget.project.budget_lines.filter(cost_code__code="03 31 13")
        ),
        Decimal("0"),
    )
    assert revised in on_account
