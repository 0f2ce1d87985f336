import pytest

from apps.exceptions.models import ExceptionItem
from apps.sync.models import JobRun, Mapping, ReplayRequest, SyncPolicy

pytestmark = pytest.mark.django_db


def test_api_requires_the_admin_role(client, api_client_for, fiona, ada):
    assert client.get("/api/v1/sync/policies/").status_code in (401, 403)
    response = api_client_for(fiona).get("/api/v1/sync/policies/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert api_client_for(ada).get("/api/v1/sync/policies/").status_code == 200


def test_policy_create_and_update_by_system_codes(api_client_for, ada, sync_systems):
    api = api_client_for(ada)
    response = api.post(
        "/api/v1/sync/policies/",
        {
            "domain": "vendor",
            "source_system": "odoo",
            "target_system": "procore",
            "mode": "interval",
            "interval_minutes": 60,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    policy_id = response.json()["id"]
    response = api.put(
        f"/api/v1/sync/policies/{policy_id}/",
        {"domain": "vendor", "source_system": "odoo", "target_system": "procore", "mode": "manual"},
        format="json",
    )
    assert response.json()["mode"] == "manual" and response.json()["version"] == 2
    bad = api.post(
        "/api/v1/sync/policies/",
        {"domain": "vendor", "source_system": "odoo", "target_system": "odoo"},
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "same_system"
    assert SyncPolicy.objects.count() == 1


def test_mapping_api_versions_and_retires(api_client_for, ada, sync_systems):
    api = api_client_for(ada)
    created = api.post(
        "/api/v1/sync/mappings/",
        {
            "kind": "cost_code",
            "system": "p6",
            "external_value": "CC-1",
            "canonical_value": "03 30 00",
        },
        format="json",
    ).json()
    updated = api.put(
        f"/api/v1/sync/mappings/{created['id']}/", {"canonical_value": "03 31 00"}, format="json"
    ).json()
    assert (updated["version"], updated["canonical_value"]) == (2, "03 31 00")
    listing = api.get("/api/v1/sync/mappings/?system=p6&kind=cost_code").json()
    assert [m["external_value"] for m in listing["results"]] == ["CC-1"]
    retired = api.delete(f"/api/v1/sync/mappings/{created['id']}/").json()
    assert retired["active"] is False
    assert Mapping.objects.filter(pk=created["id"]).exists()


def test_mapping_fix_api_releases_held_transactions(
    api_client_for, ada, sync_systems, make_inbound, run_pipeline, school
):
    (tx,) = run_pipeline(
        make_inbound(
            sync_systems.estimating,
            "cost_code",
            {"code": "03 30 00", "name": "C", "project_ref": "EST-9"},
        )
    )
    item = ExceptionItem.objects.get()
    response = api_client_for(ada).post(
        "/api/v1/sync/mapping-fixes/",
        {"exception_item_id": item.pk, "canonical_value": "SCH-001"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["released"] == [tx.pk]
    assert response.json()["exception_item_status"] == "resolved"


def test_jobs_api_runs_now_and_shows_the_log(api_client_for, ada, sync_systems):
    api = api_client_for(ada)
    response = api.post("/api/v1/jobs/", {"system": "odoo", "domain": "vendor"}, format="json")
    assert response.status_code == 202
    job = JobRun.objects.get()
    assert job.kind == "reconcile" and job.status == "queued"
    detail = api.get(f"/api/v1/jobs/{job.pk}/").json()
    assert detail["log"] == [] and detail["status"] == "queued"
    missing = api.post("/api/v1/jobs/", {}, format="json")
    assert missing.status_code == 400


def test_bulk_replay_api_needs_a_filter(api_client_for, ada):
    response = api_client_for(ada).post(
        "/api/v1/replays/", {"filters": {}, "reason": "x"}, format="json"
    )
    assert response.status_code == 400
    assert "at least one filter" in response.json()["error"]["message"]


def test_replay_request_decision_api_enforces_a_second_person(
    api_client_for, ada, sync_systems, make_inbound, run_pipeline
):
    from apps.accounts import roles
    from apps.accounts.services import user_create

    (tx,) = run_pipeline(make_inbound(sync_systems.odoo, "project", {"code": "Q1", "name": "Q"}))
    request = ReplayRequest.objects.create(
        transaction_id=tx.pk, requested_by=ada, reason="fix", payload_override={"code": "Q1"}
    )
    own = api_client_for(ada).post(f"/api/v1/replay-requests/{request.pk}/approve/", {})
    assert own.status_code == 403
    bob = user_create(username="bob", password="x-pass-123", roles=[roles.INTEGRATION_ADMIN])
    approved = api_client_for(bob).post(f"/api/v1/replay-requests/{request.pk}/approve/", {})
    assert approved.status_code == 200 and approved.json()["status"] == "executed"
    assert approved.json()["child_id"]


def test_breakers_api_lists_every_system(api_client_for, ada, sync_systems):
    body = api_client_for(ada).get("/api/v1/sync/breakers/").json()
    assert {b["system"] for b in body} == {"odoo", "p6", "estimating", "procore"}
    assert {b["state"] for b in body} == {"closed"}


def test_openapi_schema_documents_sync_endpoints(client_for, ada):
    body = client_for(ada).get("/api/schema/", headers={"Accept": "application/json"})
    text = body.content.decode()
    for path in ("/api/v1/sync/policies/", "/api/v1/jobs/", "/api/v1/sync/mapping-fixes/"):
        assert path in text
