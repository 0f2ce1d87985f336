"""The exception queue API: same roles and project scoping as the pages; actions audited."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.audit.models import AuditEntry
from apps.exceptions.models import ExceptionItem
from apps.exceptions.services import exception_open

pytestmark = pytest.mark.django_db

URL = "/api/v1/exceptions/"


def _item(n, *, project=None, category="unknown_vendor", amount=None):
    return exception_open(
        category=category,
        title=f"Problem {n}",
        reason="why",
        trace_key=f"api:{n}",
        project=project,
        amount=amount,
        currency="EUR" if amount is not None else "",
    )


def test_list_is_project_scoped_and_filtered(api_client_for, fiona, school, bridge):
    mine = _item(1, project=school, category="unmatched_invoice", amount=Decimal("99.10"))
    _item(2, project=bridge, category="unmatched_invoice")
    _item(3, project=school, category="cost_code_error")
    client = api_client_for(fiona)
    response = client.get(URL, {"category": "unmatched_invoice"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["id"] for r in results] == [mine.pk]
    assert results[0]["amount_at_risk"] == "99.10" and results[0]["currency"] == "EUR"
    assert results[0]["project"] == "SCH-001"


def test_list_rejects_bad_filters_with_the_error_shape(api_client_for, fiona):
    response = api_client_for(fiona).get(URL, {"category": "nonsense"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("persona", ["pat", "rob", "alice"])
def test_other_roles_are_refused(api_client_for, persona, request):
    client = api_client_for(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403


def test_detail_of_another_project_is_not_found(api_client_for, fiona, bridge, school):
    other = _item(1, project=bridge)
    mine = _item(2, project=school)
    client = api_client_for(fiona)
    assert client.get(f"{URL}{other.pk}/").status_code == 404
    assert (
        client.post(
            f"{URL}{other.pk}/actions/", {"action": "ignore", "reason": "x"}, format="json"
        ).status_code
        == 404
    )
    body = client.get(f"{URL}{mine.pk}/").json()
    assert body["id"] == mine.pk and body["transactions"] == [] and body["comments"] == []


def test_actions_assign_comment_resolve(api_client_for, fiona, school):
    item = _item(1, project=school)
    client = api_client_for(fiona)
    url = f"{URL}{item.pk}/actions/"
    body = client.post(url, {"action": "assign", "assignee": "fiona"}, format="json").json()
    assert body["assignee"] == "fiona" and body["status"] == "in_progress"
    body = client.post(url, {"action": "comment", "body": "looking"}, format="json").json()
    assert any(c["body"] == "looking" and not c["is_system"] for c in body["comments"])
    response = client.post(url, {"action": "resolve", "resolution": "accepted"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "resolved"
    assert AuditEntry.objects.filter(action="exception.resolve").count() == 1
    again = client.post(url, {"action": "ignore", "reason": "x"}, format="json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "exception_closed"


def test_ignore_needs_a_reason(api_client_for, fiona, school):
    item = _item(1, project=school)
    response = api_client_for(fiona).post(
        f"{URL}{item.pk}/actions/", {"action": "ignore"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "reason_required"
    item.refresh_from_db()
    assert item.status == "open"


def test_assign_to_someone_who_cannot_work_the_queue_is_refused(api_client_for, fiona, pat, school):
    item = _item(1, project=school)
    response = api_client_for(fiona).post(
        f"{URL}{item.pk}/actions/", {"action": "assign", "assignee": "pat"}, format="json"
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_assignee"
    assert ExceptionItem.objects.get(pk=item.pk).assignee is None
