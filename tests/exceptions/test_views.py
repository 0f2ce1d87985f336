"""The workbench pages: queue views, filters, scoping, detail, actions, bulk, export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEntry
from apps.exceptions.models import ExceptionItem, SavedFilter
from apps.exceptions.services import exception_assign, exception_open

pytestmark = pytest.mark.django_db


def _item(n=0, *, category="unknown_vendor", project=None, amount=None, **kwargs):
    return exception_open(
        category=category,
        title=f"Problem {n}",
        reason=f"Reason {n} in plain words",
        trace_key=f"test:{category}:{n}",
        project=project,
        amount=amount,
        currency="EUR" if amount is not None else "",
        **kwargs,
    )


def test_queue_lists_items_of_my_projects_and_system_wide_but_not_other_projects(
    client_for, fiona, school, bridge
):
    mine = _item(1, project=school)
    system_wide = _item(2)
    other = _item(3, project=bridge)
    response = client_for(fiona).get(reverse("exceptions:queue"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>Exception queue" in body
    ids = {row.pk for row in response.context["page"].rows}
    assert ids == {mine.pk, system_wide.pk}
    assert other.pk not in ids


@pytest.mark.parametrize("persona", ["pat", "rob", "alice"])
def test_queue_refuses_roles_outside_finance_and_admin(client_for, persona, request):
    user = request.getfixturevalue(persona)
    assert client_for(user).get(reverse("exceptions:queue")).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("exceptions:queue"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_views_mine_unassigned_overdue(client_for, fiona, school):
    mine = _item(1, project=school)
    exception_assign(item=mine, actor=fiona, assignee=fiona)
    free = _item(2, project=school)
    late = _item(3, project=school)
    ExceptionItem.objects.filter(pk=late.pk).update(sla_due_at=timezone.now() - timedelta(hours=1))
    client = client_for(fiona)

    def ids(view):
        return {
            r.pk
            for r in client.get(reverse("exceptions:queue"), {"view": view}).context["page"].rows
        }

    assert ids("mine") == {mine.pk}
    assert ids("unassigned") == {free.pk, late.pk}
    assert ids("overdue") == {late.pk}


def test_filters_category_severity_amount_and_age(client_for, ada):
    cheap = _item(1, category="unmatched_invoice", amount=Decimal("10.00"))
    dear = _item(2, category="unmatched_invoice", amount=Decimal("5000.00"))
    _item(3, category="cost_code_error")
    old = _item(4, category="cost_code_error")
    ExceptionItem.objects.filter(pk=old.pk).update(
        first_seen_at=timezone.now() - timedelta(days=10)
    )
    client = client_for(ada)

    def ids(**params):
        response = client.get(reverse("exceptions:queue"), params)
        assert response.status_code == 200, response.content
        return {r.pk for r in response.context["page"].rows}

    assert ids(category="unmatched_invoice") == {cheap.pk, dear.pk}
    assert ids(category="unmatched_invoice", amount_min="100") == {dear.pk}
    assert ids(amount_max="100") == {cheap.pk}
    assert ids(age="gt7d") == {old.pk}
    assert client.get(reverse("exceptions:queue"), {"amount_min": "lots"}).status_code == 400


def test_counts_per_category_and_ageing_buckets(client_for, ada):
    _item(1, category="unmatched_invoice")
    _item(2, category="unmatched_invoice")
    old = _item(3, category="cost_code_error")
    ExceptionItem.objects.filter(pk=old.pk).update(first_seen_at=timezone.now() - timedelta(days=2))
    context = client_for(ada).get(reverse("exceptions:queue")).context
    counts = {value: n for value, _label, n in context["category_counts"]}
    assert counts == {"unmatched_invoice": 2, "cost_code_error": 1}
    ageing = {key: n for key, _label, n in context["ageing"]}
    assert ageing == {"lt1d": 2, "1to3d": 1, "3to7d": 0, "gt7d": 0}


def test_list_query_count_does_not_grow_with_page_size(client_for, ada, school):
    client = client_for(ada)
    _item(0, project=school)
    exception_assign(item=ExceptionItem.objects.get(), actor=ada, assignee=ada)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("exceptions:queue")).status_code == 200
    for n in range(1, 40):
        item = _item(n, project=school, amount=Decimal("1.00"))
        exception_assign(item=item, actor=ada, assignee=ada)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("exceptions:queue"))
    assert len(response.context["page"].rows) == 40
    assert len(many) == len(one)


def test_keyset_pages_do_not_repeat_rows(client_for, ada):
    for n in range(55):
        _item(n)
    client = client_for(ada)
    first = client.get(reverse("exceptions:queue")).context["page"]
    second = client.get(reverse("exceptions:queue"), {"after": first.next_after}).context["page"]
    assert len(first.rows) == 50 and len(second.rows) == 5
    assert not {r.pk for r in first.rows} & {r.pk for r in second.rows}


def test_saved_filters_are_per_user(client_for, fiona, ada):
    client_for(fiona).post(
        reverse("exceptions:filter_save"), {"name": "Big invoices", "query": "amount_min=1000"}
    )
    saved = SavedFilter.objects.get()
    assert saved.user == fiona and saved.query == "amount_min=1000"
    context = client_for(fiona).get(reverse("exceptions:queue")).context
    assert [s.name for s in context["saved_filters"]] == ["Big invoices"]
    assert list(client_for(ada).get(reverse("exceptions:queue")).context["saved_filters"]) == []
    client_for(ada).post(reverse("exceptions:filter_delete", args=[saved.pk]))
    assert SavedFilter.objects.filter(pk=saved.pk).exists()  # not ada's to delete


def test_dedicated_queues_show_only_their_categories(client_for, ada):
    invoice = _item(
        1, category="unmatched_invoice", details={"invoice": "INV-77", "vendor": "ACME"}
    )
    code = _item(
        2, category="cost_code_error", details={"value": "03-300", "suggested": "03 30 00"}
    )
    approval = _item(3, category="approval_overdue")
    client = client_for(ada)
    for name, expected, text in (
        ("exceptions:unmatched_invoices", invoice, "INV-77"),
        ("exceptions:cost_codes", code, "03 30 00"),
        ("exceptions:approvals", approval, "Problem 3"),
    ):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert [r.pk for r in response.context["page"].rows] == [expected.pk]
        assert text in response.content.decode()


def test_detail_shows_problem_and_hides_other_projects(client_for, fiona, school, bridge):
    mine = _item(1, project=school)
    other = _item(2, project=bridge)
    client = client_for(fiona)
    response = client.get(reverse("exceptions:detail", args=[mine.pk]))
    assert response.status_code == 200
    assert "Reason 1 in plain words" in response.content.decode()
    assert client.get(reverse("exceptions:detail", args=[other.pk])).status_code == 404
    assert (
        client.post(
            reverse("exceptions:ignore", args=[other.pk]), {"reason": "not mine"}
        ).status_code
        == 404
    )
    other.refresh_from_db()
    assert other.status == "open"


def test_ignore_needs_a_reason(client_for, fiona, school):
    item = _item(1, project=school)
    client = client_for(fiona)
    client.post(reverse("exceptions:ignore", args=[item.pk]), {"reason": ""})
    item.refresh_from_db()
    assert item.status == "open"
    client.post(reverse("exceptions:ignore", args=[item.pk]), {"reason": "Test vendor, no money"})
    item.refresh_from_db()
    assert item.status == "ignored" and item.resolution_note == "Test vendor, no money"
    assert AuditEntry.objects.filter(action="exception.ignore").count() == 1


def test_assign_comment_status_and_resolve(client_for, fiona, school):
    item = _item(1, project=school)
    client = client_for(fiona)
    client.post(reverse("exceptions:take", args=[item.pk]))
    client.post(reverse("exceptions:comment", args=[item.pk]), {"body": "Calling the vendor"})
    client.post(
        reverse("exceptions:status", args=[item.pk]), {"status": "waiting", "note": "vendor"}
    )
    item.refresh_from_db()
    assert item.assignee == fiona and item.status == "waiting"
    assert item.comments.filter(is_system=False, body="Calling the vendor").exists()
    client.post(
        reverse("exceptions:resolve", args=[item.pk]),
        {"action": "corrected_in_source", "note": "Vendor fixed it"},
    )
    item.refresh_from_db()
    assert item.status == "resolved" and item.resolved_by == fiona
    page = client.get(reverse("exceptions:detail", args=[item.pk])).content.decode()
    assert "Calling the vendor" in page and "Corrected in the source system" in page


def test_bulk_assign_tag_resolve_and_ignore(client_for, ada):
    items = [_item(n) for n in range(3)]
    ids = [str(i.pk) for i in items]
    client = client_for(ada)
    client.post(reverse("exceptions:bulk"), {"action": "assign", "ids": ids, "assignee": ada.pk})
    client.post(reverse("exceptions:bulk"), {"action": "tag", "ids": ids, "tags": "outage, q4"})
    assert all(
        i.assignee == ada and i.tags == ["outage", "q4"]
        for i in ExceptionItem.objects.filter(pk__in=ids)
    )
    client.post(reverse("exceptions:bulk"), {"action": "ignore", "ids": ids[:1], "note": ""})
    assert ExceptionItem.objects.get(pk=ids[0]).status == "in_progress"  # no reason: refused
    client.post(
        reverse("exceptions:bulk"), {"action": "ignore", "ids": ids[:1], "note": "test data"}
    )
    response = client.post(
        reverse("exceptions:bulk"),
        {"action": "resolve", "ids": ids, "resolution": "accepted", "note": "ok"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "2 updated, 1 refused" in response.content.decode()  # the ignored one is closed
    statuses = dict(ExceptionItem.objects.values_list("pk", "status"))
    assert [statuses[int(i)] for i in ids] == ["ignored", "resolved", "resolved"]


def test_bulk_large_selection_runs_in_chunks_with_progress(client_for, ada):
    for n in range(130):
        _item(n)
    client = client_for(ada)
    response = client.post(
        reverse("exceptions:bulk"),
        {"action": "tag", "all_matching": "1", "query": "view=all", "tags": "bulk"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "100 of 130" in body and 'hx-trigger="load"' in body
    assert sum("bulk" in i.tags for i in ExceptionItem.objects.all()) == 100
    rest = response.context["rest"]
    response = client.post(
        reverse("exceptions:bulk"),
        {
            "action": "tag",
            "ids": rest,
            "tags": "bulk",
            "done_before": "100",
            "total": "130",
            "succeeded_before": "100",
            "failed_before": "0",
        },
        HTTP_HX_REQUEST="true",
    )
    assert "130 of 130" in response.content.decode()
    assert sum("bulk" in i.tags for i in ExceptionItem.objects.all()) == 130


def test_bulk_never_touches_items_of_other_projects(client_for, fiona, school, bridge):
    other = _item(1, project=bridge)
    response = client_for(fiona).post(
        reverse("exceptions:bulk"),
        {"action": "ignore", "ids": [str(other.pk)], "note": "x"},
        HTTP_HX_REQUEST="true",
    )
    assert "not found" in response.content.decode()
    other.refresh_from_db()
    assert other.status == "open"


def test_export_csv_and_xlsx_follow_the_filter(client_for, ada):
    _item(1, category="unmatched_invoice", amount=Decimal("12.50"))
    _item(2, category="cost_code_error")
    client = client_for(ada)
    response = client.get(reverse("exceptions:export"), {"category": "unmatched_invoice"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "id" and len(rows) == 2
    assert rows[1][1] == "unmatched_invoice" and rows[1][7] == "12.50"
    response = client.get(reverse("exceptions:export"), {"format": "xlsx"})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 3
    assert AuditEntry.objects.filter(action="exception.export").count() == 2


def test_export_neutralises_spreadsheet_formulas(client_for, ada):
    exception_open(category="schema_invalid", title='=HYPERLINK("x")', reason="r", trace_key="f:1")
    rows = list(
        csv.reader(io.StringIO(client_for(ada).get(reverse("exceptions:export")).content.decode()))
    )
    assert rows[1][4].startswith("'=")
