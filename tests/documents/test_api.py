"""Document register API: roles, project scoping, filters, detail with history, derived events
(released=false for the workflows), status sets; documented in the OpenAPI schema."""

from __future__ import annotations

import pytest

from apps.connectors.models import System
from apps.documents.services import document_apply_resource

pytestmark = pytest.mark.django_db


@pytest.fixture
def procore(db):
    return System.objects.create(code="procore", name="Procore", kind="document_control")


def _apply(project, system, key, **resource):
    return document_apply_resource(
        project=project,
        system=system,
        resource={
            "kind": "submittal",
            "external_id": key,
            "document_external_id": key,
            "number": f"SUB-{key}",
            "status": "Open",
            "received_at": "2025-01-06",
            "due_date": "2025-01-10",
            "updated_at": "2025-01-06T08:00:00Z",
            "procurement_refs": ["P00001/1"],
            **resource,
        },
    )


def test_list_is_scoped_filtered_and_paginated(api_client_for, pat, school, bridge, procore):
    _apply(school, procore, "1")
    _apply(school, procore, "2", response="Approved", updated_at="2025-01-08T00:00:00Z")
    _apply(bridge, procore, "3")
    client = api_client_for(pat)
    body = client.get("/api/v1/documents/").json()
    assert sorted(row["number"] for row in body["results"]) == ["SUB-1", "SUB-2"]
    approved = client.get("/api/v1/documents/", {"status": "approved"}).json()["results"]
    assert [row["number"] for row in approved] == ["SUB-2"]
    overdue = client.get("/api/v1/documents/", {"overdue": "true"}).json()["results"]
    assert [row["number"] for row in overdue] == ["SUB-1"] and overdue[0]["review_overdue"]
    assert client.get("/api/v1/documents/", {"page_size": 1}).json()["next"]
    # Another project's code is not one of pat's: a 404 in the one error shape.
    response = client.get("/api/v1/documents/", {"project": "BRG-003"})
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_detail_has_revisions_history_and_events(api_client_for, ada, school, procore):
    document = _apply(school, procore, "1").document
    _apply(school, procore, "1", response="AAN", updated_at="2025-01-09T00:00:00Z")
    body = api_client_for(ada).get(f"/api/v1/documents/{document.pk}/").json()
    assert body["status_code"] == "APPROVED_AS_NOTED"
    assert [h["to_code"] for h in body["status_history"]] == ["APPROVED_AS_NOTED", "OPEN"]
    assert [e["kind"] for e in body["events"]] == ["submittal.approved"]
    assert body["revisions"] == []


def test_other_projects_document_is_not_found(api_client_for, pat, bridge, procore):
    document = _apply(bridge, procore, "9").document
    response = api_client_for(pat).get(f"/api/v1/documents/{document.pk}/")
    assert response.status_code == 404


def test_unreleased_approvals_are_listed_for_the_workflows(api_client_for, ada, school, procore):
    _apply(school, procore, "1", response="Approved")
    _apply(school, procore, "2", response="Rejected")
    client = api_client_for(ada)
    rows = client.get(
        "/api/v1/document-events/", {"kind": "submittal.approved", "released": "false"}
    ).json()["results"]
    assert [(r["document_number"], r["procurement_refs"]) for r in rows] == [
        ("SUB-1", ["P00001/1"])
    ]
    assert client.get("/api/v1/document-events/", {"released": "true"}).json()["results"] == []


def test_roles_and_anonymous(api_client_for, fiona, client):
    assert api_client_for(fiona).get("/api/v1/documents/").status_code == 403
    assert client.get("/api/v1/documents/").status_code in (401, 403)


def test_status_sets_api_lists_presets_with_codes(api_client_for, pat):
    sets = {s["code"]: s for s in api_client_for(pat).get("/api/v1/document-status-sets/").json()}
    na2021 = {c["code"]: c for c in sets["iso19650-uk-na-2021"]["codes"]}
    assert na2021["S5"]["meaning"] == "in_review" and na2021["CR"]["withdrawn"]
    assert sets["procore-submittal-responses"]["kind"] == "response"


def test_openapi_schema_documents_the_register(api_client_for, ada):
    schema = api_client_for(ada).get("/api/schema/", {"format": "json"}).json()
    for path in (
        "/api/v1/documents/",
        "/api/v1/documents/{document_id}/",
        "/api/v1/document-events/",
        "/api/v1/document-status-sets/",
    ):
        assert path in schema["paths"]
