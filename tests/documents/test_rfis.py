"""RFIs in the register: Procore's RFI normalised, applied through the document pipeline with
ball in court, due date and impact flags; cost impact opens exactly one potential change (also
on resend), which becomes a draft owner change order linked both ways."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from apps.connectors.documents.procore import rfi_normalise
from apps.core.errors import ApplicationError
from apps.documents.models import Document, PotentialChange, Rfi
from apps.documents.rfis import potential_change_raise_change_order

pytestmark = pytest.mark.django_db

PROCORE_RFI = {
    "id": 9001,
    "number": "RFI-014",
    "subject": "Footing depth at grid C4 conflicts with the geotechnical report",
    "status": "open",
    "due_date": "2026-04-10",
    "ball_in_courts": [{"id": 77, "name": "Hanna Architect", "login": "hanna@example.com"}],
    "cost_impact": {"status": "yes_known", "value": 12500.5},
    "schedule_impact": {"status": "yes_unknown", "value": None},
    "updated_at": "2026-03-20T10:00:00Z",
    "project": {"id": 5501, "project_number": "SCH-001"},
}


def _delivery(raw: dict) -> dict:
    # What the Procore connector's event_details returns: the delivery plus the fetched resource.
    return {
        "platform": "procore",
        "event_type": "update",
        "resource_type": "RFIs",
        "resource_kind": "rfi",
        "resource_id": str(raw["id"]),
        "project_id": "5501",
        "project_ref": "5501",
        "resource": rfi_normalise(raw),
    }


def test_procore_rfi_is_normalised_with_flags_and_ball_in_court():
    resource = rfi_normalise(PROCORE_RFI)
    assert resource["kind"] == "rfi" and resource["number"] == "RFI-014"
    assert resource["project_number"] == "SCH-001"
    assert resource["rfi"]["ball_in_court"] == "Hanna Architect"
    assert resource["rfi"]["cost_impact"] == "yes_known"
    assert resource["rfi"]["cost_impact_amount"] == "12500.5"
    assert resource["rfi"]["schedule_impact"] == "yes_unknown"


def test_rfi_with_cost_impact_opens_exactly_one_potential_change(
    school, sync_systems, make_inbound, run_pipeline
):
    procore = sync_systems.procore
    (tx,) = run_pipeline(make_inbound(procore, "document", _delivery(PROCORE_RFI)))
    assert tx.status == "delivered", tx.last_error_message
    document = Document.objects.get(kind="rfi")
    assert document.project == school and document.number == "RFI-014"
    rfi = Rfi.objects.get(document=document)
    assert rfi.ball_in_court == "Hanna Architect"
    assert str(rfi.due_date) == "2026-04-10"
    assert rfi.cost_impact and rfi.cost_impact_amount == Decimal("12500.50")
    assert rfi.schedule_impact and rfi.schedule_impact_days is None
    change = PotentialChange.objects.get()
    assert change.rfi == rfi and change.project == school
    assert change.estimated_amount == Decimal("12500.50") and change.status == "open"

    # The same delivery again (a resend) and a later update: still one potential change.
    (resent,) = run_pipeline(make_inbound(procore, "document", _delivery(PROCORE_RFI)))
    assert resent.status in ("delivered", "ignored", "duplicate"), resent.last_error_message
    updated = copy.deepcopy(PROCORE_RFI)
    updated["cost_impact"]["value"] = 14000
    updated["ball_in_courts"] = [{"name": "Site Engineer"}]
    updated["updated_at"] = "2026-03-22T09:00:00Z"
    (later,) = run_pipeline(make_inbound(procore, "document", _delivery(updated)))
    assert later.status == "delivered", later.last_error_message
    assert PotentialChange.objects.count() == 1
    assert Document.objects.filter(kind="rfi").count() == 1
    rfi.refresh_from_db()
    assert rfi.ball_in_court == "Site Engineer"
    assert PotentialChange.objects.get().estimated_amount == Decimal("14000.00")


def test_rfi_without_cost_impact_opens_no_potential_change(
    school, sync_systems, make_inbound, run_pipeline
):
    raw = {**PROCORE_RFI, "id": 9002, "number": "RFI-015"}
    raw["cost_impact"] = {"status": "no_impact", "value": None}
    (tx,) = run_pipeline(make_inbound(sync_systems.procore, "document", _delivery(raw)))
    assert tx.status == "delivered", tx.last_error_message
    assert Rfi.objects.get(number="RFI-015").cost_impact is False
    assert not PotentialChange.objects.exists()


def test_potential_change_becomes_a_draft_owner_change_order_linked_both_ways(
    school_budget, sync_systems, make_inbound, run_pipeline, fiona
):
    run_pipeline(make_inbound(sync_systems.procore, "document", _delivery(PROCORE_RFI)))
    change = PotentialChange.objects.get()
    change_order = potential_change_raise_change_order(
        potential_change=change,
        actor=fiona,
        lines=[{"phase": "P1", "cost_code": "03 31 13", "amount_delta": "12500.50"}],
    )
    assert change_order.kind == "owner" and change_order.status == "draft"
    assert change_order.amount == Decimal("12500.50")
    assert list(change_order.potential_changes.all()) == [change]
    change.refresh_from_db()
    assert change.change_order == change_order and change.status == "change_order"
    with pytest.raises(ApplicationError) as again:
        potential_change_raise_change_order(
            potential_change=change,
            actor=fiona,
            lines=[{"phase": "P1", "cost_code": "03 31 13", "amount_delta": "1"}],
        )
    assert again.value.code == "change_order_exists"


def test_rfi_page_lists_flags_and_raises_the_change_order(
    school_budget, sync_systems, make_inbound, run_pipeline, client_for, fiona, pat
):
    run_pipeline(make_inbound(sync_systems.procore, "document", _delivery(PROCORE_RFI)))
    page = client_for(pat).get("/documents/rfis/?impact=cost")
    assert page.status_code == 200
    assert b"RFI-014" in page.content and b"Hanna Architect" in page.content
    assert b"Raise change order" not in page.content  # PMO reads only
    document = Document.objects.get(kind="rfi")
    assert client_for(pat).post(f"/documents/rfis/{document.id}/change-order/").status_code == 403
    response = client_for(fiona).post(
        f"/documents/rfis/{document.id}/change-order/",
        {"phase": "P1", "cost_code": "03 31 13", "amount": "12500.50"},
    )
    assert response.status_code == 302
    assert PotentialChange.objects.get().change_order is not None


def test_document_page_shows_the_rfi_fields(
    school, sync_systems, make_inbound, run_pipeline, client_for, pat
):
    run_pipeline(make_inbound(sync_systems.procore, "document", _delivery(PROCORE_RFI)))
    document = Document.objects.get(kind="rfi")
    page = client_for(pat).get(f"/documents/{document.id}/")
    assert page.status_code == 200
    assert b'id="rfi"' in page.content and b"Hanna Architect" in page.content
    assert b"12500.50" in page.content
