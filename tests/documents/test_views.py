"""Document register pages: role checks, project scoping, filters, htmx partial, detail,
transmittals (admins create and move them; audited) and per-project status sets."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditEntry
from apps.connectors.models import System
from apps.documents.models import ProjectDocumentSettings, StatusSet, Transmittal
from apps.documents.presets import NA_2018
from apps.documents.services import document_apply_resource

pytestmark = pytest.mark.django_db


@pytest.fixture
def procore(db):
    return System.objects.create(code="procore", name="Procore", kind="document_control")


def _doc(project, system, key: str, **resource):
    return document_apply_resource(
        project=project,
        system=system,
        resource={
            "kind": "submittal",
            "external_id": key,
            "document_external_id": key,
            "number": f"SUB-{key}",
            "title": f"Submittal {key}",
            "status": "Open",
            "received_at": "2025-01-06",
            "due_date": "2025-01-10",
            "updated_at": "2025-01-06T08:00:00Z",
            **resource,
        },
    ).document


def test_register_is_for_pmo_and_admins_only(client_for, fiona, rob, pat, ada):
    assert client_for(fiona).get("/documents/").status_code == 403
    assert client_for(rob).get("/documents/").status_code == 403
    assert client_for(pat).get("/documents/").status_code == 200
    assert client_for(ada).get("/documents/").status_code == 200


def test_anonymous_visitors_go_to_the_login_page(client):
    response = client.get("/documents/")
    assert response.status_code == 302 and "/accounts/login" in response["Location"]


def test_pmo_sees_only_documents_of_their_projects(client_for, pat, school, bridge, procore):
    mine = _doc(school, procore, "1")
    theirs = _doc(bridge, procore, "2")
    page = client_for(pat).get("/documents/").content.decode()
    assert mine.number in page and theirs.number not in page
    assert client_for(pat).get(f"/documents/{theirs.pk}/").status_code == 404
    assert client_for(pat).get(f"/documents/{mine.pk}/").status_code == 200


def test_register_shows_overdue_reviews_and_filters(client_for, ada, school, procore):
    overdue = _doc(school, procore, "1")
    approved = _doc(school, procore, "2", response="Approved", status="Closed")
    client = client_for(ada)
    page = client.get("/documents/").content.decode()
    assert "Overdue reviews" in page and overdue.number in page
    filtered = client.get("/documents/", {"meaning": "approved"}).context["page"].rows
    assert filtered == [approved]
    only_overdue = client.get("/documents/", {"overdue": "on"}).context["page"].rows
    assert only_overdue == [overdue]


def test_htmx_filter_request_renders_only_the_register_partial(client_for, ada, school, procore):
    _doc(school, procore, "1")
    response = client_for(ada).get("/documents/", {"q": "SUB-1"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="register">')
    assert "<html" not in body


def test_detail_shows_revisions_history_and_ledger_links(client_for, ada, school, procore):
    document = _doc(school, procore, "1")
    document_apply_resource(
        project=school,
        system=procore,
        resource={
            "kind": "submittal",
            "external_id": "1",
            "document_external_id": "1",
            "revision": "1",
            "response": "R&R",
            "updated_at": "2025-01-08T08:00:00Z",
        },
        transaction_id=4242,
    )
    page = client_for(ada).get(f"/documents/{document.pk}/").content.decode()
    assert "REVISE_AND_RESUBMIT" in page
    assert "/ledger/4242/" in page
    assert "Submittal: revise and resubmit" in page


def test_admin_creates_and_sends_a_transmittal_audited(client_for, ada, pat, school, procore):
    document = _doc(school, procore, "1", revision="0")
    client = client_for(ada)
    response = client.post(
        "/documents/transmittals/new/",
        {
            "project": school.pk,
            "number": "TR-001",
            "subject": "Submittals for review",
            "purpose": "for_review",
            "to_party": "Design team",
            "documents": [document.pk],
        },
    )
    transmittal = Transmittal.objects.get()
    assert response.status_code == 302
    assert transmittal.items.get().revision.code == "0"
    client.post(f"/documents/transmittals/{transmittal.pk}/status/", {"status": "sent"})
    transmittal.refresh_from_db()
    assert transmittal.status == "sent"
    assert AuditEntry.objects.filter(action__startswith="documents.transmittal").count() == 2
    # PMO reads transmittals but cannot create or move them.
    pmo = client_for(pat)
    assert pmo.get(f"/documents/transmittals/{transmittal.pk}/").status_code == 200
    assert pmo.get("/documents/transmittals/new/").status_code == 403
    assert (
        pmo.post(
            f"/documents/transmittals/{transmittal.pk}/status/", {"status": "closed"}
        ).status_code
        == 403
    )


def test_admin_chooses_a_projects_status_set_and_pmo_cannot(client_for, ada, pat, school):
    na2018 = StatusSet.objects.get(code=NA_2018)
    client_for(pat).get("/documents/settings/")  # creates the defaults on first view
    current = ProjectDocumentSettings.objects.get(project=school)
    data = {
        "project": school.pk,
        f"p{school.pk}-status_set": na2018.pk,
        f"p{school.pk}-response_set": current.response_set_id,
        f"p{school.pk}-review_days": 14,
    }
    assert client_for(pat).post("/documents/settings/", data).status_code == 403
    assert client_for(ada).post("/documents/settings/", data).status_code == 302
    current.refresh_from_db()
    assert (current.status_set, current.review_days) == (na2018, 14)
    page = client_for(ada).get("/documents/settings/").content.decode()
    assert "ISO 19650 UK National Annex 2021" in page and "withdrawn" in page
