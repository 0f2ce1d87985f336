"""Reporting feeds: the cursor returns every change exactly once across pages while writes
happen; permissions and project scoping; formats; the export command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.feeds.selectors import feed_page
from apps.projects.models import Project

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_lag(settings):
    settings.FEEDS_SAFETY_LAG_SECONDS = 0


def _drain(user, entity, cursor="", limit=3, now=None):
    rows, pages = [], 0
    while True:
        page = feed_page(user=user, entity=entity, cursor=cursor, limit=limit, now=now)
        rows.extend(page.rows)
        cursor = page.next_cursor
        pages += 1
        if page.complete:
            return rows, cursor, pages


def _future():
    # "now" for the reader, a moment ahead so the rows just written are below the mark.
    return timezone.now() + timedelta(seconds=1)


def test_feed_cursor_returns_every_change_exactly_once_while_writes_happen(ada, no_lag):
    for n in range(7):
        Project.objects.create(code=f"P-{n:02d}", name=f"Project {n}")
    seen: list[tuple[int, str]] = []
    cursor = ""
    written = 7
    # Read page by page; between pages, create new projects and update ones already served
    # and ones not served yet.
    for step in range(20):
        page = feed_page(user=ada, entity="projects", cursor=cursor, limit=3, now=_future())
        seen.extend((row["id"], row["updated_at"]) for row in page.rows)
        cursor = page.next_cursor
        if step < 4:
            Project.objects.create(code=f"N-{step:02d}", name=f"New {step}")
            written += 1
            served = Project.objects.get(id=page.rows[0]["id"]) if page.rows else None
            if served is not None:
                served.name = f"{served.name} (renamed)"
                served.save()
            unserved = Project.objects.order_by("-id").last()
            unserved.status = "complete"
            unserved.save()
        elif page.complete and not page.rows:
            break
    # No version of a row twice; every row present in its latest version.
    assert len(seen) == len(set(seen))
    latest = {row.id: row.updated_at for row in Project.objects.all()}
    assert len(latest) == written
    seen_latest = {}
    for project_id, updated_at in seen:
        seen_latest[project_id] = max(seen_latest.get(project_id, ""), updated_at)
    assert set(seen_latest) == set(latest)
    for project_id, updated_at in latest.items():
        expected = updated_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        assert seen_latest[project_id] == expected


def test_feed_does_not_pass_changes_younger_than_the_safety_lag(ada, settings):
    settings.FEEDS_SAFETY_LAG_SECONDS = 60
    Project.objects.create(code="P-LAG", name="Too recent")
    page = feed_page(user=ada, entity="projects")
    assert page.rows == []
    # The same cursor finds the row once the lag has passed.
    later = feed_page(
        user=ada,
        entity="projects",
        cursor=page.next_cursor,
        now=timezone.now() + timedelta(seconds=61),
    )
    assert [row["code"] for row in later.rows] == ["P-LAG"]


def test_feed_api_jsonl_pages_with_cursor_header(api_client_for, fiona, school, no_lag):
    client = api_client_for(fiona)
    first = client.get("/api/v1/feeds/projects/", {"format": "jsonl", "limit": 1})
    assert first.status_code == 200, first.content
    assert first["Content-Type"].startswith("application/jsonl")
    assert first["X-Feed-Version"] == "v1"
    rows = [json.loads(line) for line in first.content.decode().splitlines()]
    assert [row["code"] for row in rows] == ["SCH-001"]
    assert set(rows[0]) == {"id", "code", "name", "status", "currency", "created_at", "updated_at"}
    second = client.get(
        "/api/v1/feeds/projects/", {"format": "jsonl", "cursor": first["X-Next-Cursor"]}
    )
    assert second.status_code == 200 and second.content == b""
    assert second["X-Feed-Complete"] == "true"


def test_feed_api_csv_has_the_v1_header(api_client_for, pat, school, no_lag):
    response = api_client_for(pat).get("/api/v1/feeds/projects/", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table[0] == ["id", "code", "name", "status", "currency", "created_at", "updated_at"]
    assert [row[1] for row in table[1:]] == ["SCH-001"]


def test_feed_is_scoped_to_the_readers_projects(api_client_for, fiona, school, bridge, no_lag):
    body = api_client_for(fiona).get("/api/v1/feeds/projects/").content.decode()
    codes = [json.loads(line)["code"] for line in body.splitlines()]
    assert codes == ["SCH-001"]


def test_feed_admin_sees_every_project(api_client_for, ada, school, bridge, no_lag):
    body = api_client_for(ada).get("/api/v1/feeds/projects/").content.decode()
    assert sorted(json.loads(line)["code"] for line in body.splitlines()) == [
        "BRG-003",
        "SCH-001",
    ]


@pytest.mark.parametrize("persona", ["rob", "alice"])
def test_feed_refuses_roles_without_read_access(api_client_for, request, persona, school):
    user = request.getfixturevalue(persona)
    response = api_client_for(user).get("/api/v1/feeds/projects/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_feed_refuses_anonymous(client):
    assert client.get("/api/v1/feeds/projects/").status_code in (401, 403)


def test_feed_refuses_a_tampered_or_foreign_cursor(api_client_for, ada, school, no_lag):
    client = api_client_for(ada)
    cursor = client.get("/api/v1/feeds/projects/")["X-Next-Cursor"]
    foreign = client.get("/api/v1/feeds/documents/", {"cursor": cursor})
    assert foreign.status_code == 400 and b"bad_cursor" in foreign.content
    tampered = client.get("/api/v1/feeds/projects/", {"cursor": cursor[:-2] + "xx"})
    assert tampered.status_code == 400 and b"bad_cursor" in tampered.content


def test_unknown_feed_is_404(api_client_for, ada):
    assert api_client_for(ada).get("/api/v1/feeds/nope/").status_code == 404


def test_every_feed_answers(api_client_for, ada, school, no_lag):
    client = api_client_for(ada)
    from apps.feeds.fieldsets import ENTITIES

    for entity in ENTITIES:
        for fmt in ("jsonl", "csv"):
            response = client.get(f"/api/v1/feeds/{entity}/", {"format": fmt})
            assert response.status_code == 200, (entity, fmt, response.content)


def test_export_feed_command_writes_a_file_and_prints_the_next_cursor(
    school, bridge, tmp_path, no_lag
):
    out = tmp_path / "projects.csv"
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(
        "export_feed",
        "projects",
        "--out",
        str(out),
        "--format",
        "csv",
        "--page-size",
        "1",
        stdout=stdout,
        stderr=stderr,
    )
    table = list(csv.reader(out.open()))
    assert table[0][:2] == ["id", "code"]
    assert sorted(row[1] for row in table[1:]) == ["BRG-003", "SCH-001"]
    assert "2 projects rows written" in stdout.getvalue()
    assert "2/2" in stderr.getvalue()
    cursor = stdout.getvalue().split("next cursor: ")[1].strip()
    Project.objects.create(code="NEW-001", name="After the export")
    again = tmp_path / "more.jsonl"
    call_command(
        "export_feed",
        "projects",
        "--out",
        str(again),
        "--cursor",
        cursor,
        "--no-progress",
        stdout=io.StringIO(),
    )
    assert [json.loads(line)["code"] for line in again.read_text().splitlines()] == ["NEW-001"]


def test_budget_figures_moving_bring_the_line_back_into_the_feed(ada, school_budget, no_lag):
    from apps.projects.services import budget_line_adjust

    rows, cursor, _ = _drain(ada, "budget_lines", limit=100, now=_future())
    assert len(rows) == len(school_budget.lines)
    line = school_budget.line("P1", "03 31 13")
    budget_line_adjust(budget_line_id=line.id, committed="1500")
    rows, _, _ = _drain(ada, "budget_lines", cursor=cursor, limit=100, now=_future())
    assert [(row["id"], row["committed"]) for row in rows] == [(line.id, "1500.00")]
