"""Schedule API: role-checked, project-scoped versions and milestones."""

from __future__ import annotations

import pytest

from apps.schedule.choices import ScheduleKind
from apps.schedule.services import schedule_import_file
from tests.schedule.conftest import SLIP_FILES, fixture_bytes

pytestmark = pytest.mark.django_db


def _series(project):
    return [
        schedule_import_file(
            project=project,
            file_bytes=fixture_bytes(name),
            file_name=name,
            kind=ScheduleKind.BASELINE if index == 0 else ScheduleKind.UPDATE,
        )
        for index, name in enumerate(SLIP_FILES)
    ]


def test_milestones_of_the_latest_update_with_slip_and_trend(api_client_for, pat, school):
    versions = _series(school)
    response = api_client_for(pat).get("/api/v1/schedule/milestones/", {"project": "SCH-001"})
    assert response.status_code == 200
    body = response.json()
    assert body["version_id"] == versions[-1].pk
    rows = {row["task_code"]: row for row in body["results"]}
    assert rows["M2000"]["slip_working_days"] == 15
    assert rows["M2000"]["baseline_date"] == "2024-03-15"
    assert rows["M2000"]["current_date"] == "2024-04-05"
    assert rows["M2000"]["over_threshold"] and rows["M2000"]["event_emitted"]
    assert rows["M1000"]["current_is_actual"] and not rows["M1000"]["over_threshold"]
    assert rows["M4000"]["event_transaction_id"] is not None
    assert body["trend"]["series"]["M3000"]["slips"] == [5, 7, 7]
    assert [u["data_date"] for u in body["trend"]["updates"]] == [
        "2024-02-05",
        "2024-02-26",
        "2024-03-25",
    ]


def test_milestones_of_a_chosen_update(api_client_for, pat, school):
    versions = _series(school)
    response = api_client_for(pat).get(
        "/api/v1/schedule/milestones/", {"project": "SCH-001", "version": versions[1].pk}
    )
    rows = {row["task_code"]: row for row in response.json()["results"]}
    assert rows["M1000"]["slip_working_days"] == 1
    refused = api_client_for(pat).get(
        "/api/v1/schedule/milestones/", {"project": "SCH-001", "version": versions[0].pk}
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_version"


def test_milestones_need_a_project(api_client_for, pat):
    response = api_client_for(pat).get("/api/v1/schedule/milestones/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "project" in response.json()["error"]["message"]


def test_projects_outside_membership_are_not_found(api_client_for, pat, bridge):
    _series(bridge)
    client = api_client_for(pat)
    response = client.get("/api/v1/schedule/milestones/", {"project": "BRG-003"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/schedule/versions/").json()["results"] == []
    version = bridge.schedule_versions.first()
    assert client.get(f"/api/v1/schedule/versions/{version.pk}/").status_code == 404


def test_versions_list_and_detail(api_client_for, ada, school, bridge):
    _series(school)
    bridge_versions = _series(bridge)
    client = api_client_for(ada)
    listed = client.get("/api/v1/schedule/versions/", {"project": "BRG-003", "kind": "update"})
    assert [v["id"] for v in listed.json()["results"]] == [v.pk for v in bridge_versions[:0:-1]]
    everything = client.get("/api/v1/schedule/versions/").json()["results"]
    assert len(everything) == 8
    detail = client.get(f"/api/v1/schedule/versions/{bridge_versions[0].pk}/").json()
    assert detail["kind"] == "baseline" and detail["source_format"] == "xer"
    assert detail["encoding"] == "cp1252"
    assert detail["counts"]["tables"]["TASK"] == 16
    assert detail["activities"] == 16 and detail["milestones"] == 4


def test_roles_are_checked(api_client_for, fiona, rob, client):
    for user in (fiona, rob):
        response = api_client_for(user).get("/api/v1/schedule/versions/")
        assert response.status_code == 403
    assert client.get("/api/v1/schedule/versions/").status_code in (401, 403)
