"""The queue's counters (per category, per view, per ageing bucket) come from one grouped query
per scope part: they must equal a plain COUNT of the same items after every kind of change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.exceptions.models import ExceptionItem
from apps.exceptions.selectors import AGE_BUCKETS, exception_list, exception_queue_counts
from apps.exceptions.services import (
    exception_assign,
    exception_bulk_apply,
    exception_open,
    exception_reopen,
    exception_resolve,
)

pytestmark = pytest.mark.django_db


def _item(n, *, category="unknown_vendor", project=None):
    return exception_open(
        category=category,
        title=f"Problem {n}",
        reason=f"Reason {n}",
        trace_key=f"counts:{category}:{n}",
        project=project,
    )


def _fresh_counts(user) -> dict:
    """The same figures, one plain COUNT each, straight from the scoped list."""
    now = timezone.now()
    active = exception_list(user=user, active=True)
    categories = {
        value: active.filter(category=value).count()
        for value in set(active.values_list("category", flat=True))
    }
    views = {
        "all": active.count(),
        "mine": active.filter(assignee=user).count(),
        "unassigned": active.filter(assignee__isnull=True).count(),
        "overdue": active.filter(sla_due_at__lt=now).count(),
    }
    ageing = {}
    for key, _label, low, high in AGE_BUCKETS:
        bucket = active.filter(first_seen_at__lte=now - timedelta(hours=low))
        if high is not None:
            bucket = bucket.filter(first_seen_at__gt=now - timedelta(hours=high))
        ageing[key] = bucket.count()
    return {"categories": categories, "views": views, "ageing": ageing}


def _grouped_counts(user) -> dict:
    counts = exception_queue_counts(user=user)
    return {
        "categories": {value: n for value, _label, n in counts["categories"]},
        "views": counts["views"],
        "ageing": {key: n for key, _label, n in counts["ageing"]},
    }


@pytest.fixture
def mixed_items(school, bridge, fiona):
    """Items on fiona's project, on another project and system-wide, of several ages."""
    items = [
        _item(1, category="unmatched_invoice", project=school),
        _item(2, category="unmatched_invoice", project=school),
        _item(3, category="cost_code_error", project=school),
        _item(4, category="cost_code_error"),
        _item(5, category="unknown_vendor"),
        _item(6, category="unmatched_invoice", project=bridge),
        _item(7, category="budget_exceeded", project=bridge),
    ]
    now = timezone.now()
    ExceptionItem.objects.filter(pk=items[2].pk).update(first_seen_at=now - timedelta(days=2))
    ExceptionItem.objects.filter(pk=items[3].pk).update(first_seen_at=now - timedelta(days=5))
    ExceptionItem.objects.filter(pk=items[5].pk).update(first_seen_at=now - timedelta(days=9))
    ExceptionItem.objects.filter(pk__in=[items[1].pk, items[5].pk]).update(
        sla_due_at=now - timedelta(hours=1)
    )
    exception_assign(item=items[0], actor=fiona, assignee=fiona)
    return items


def test_scoped_counts_cover_my_projects_and_system_wide_items_only(fiona, mixed_items):
    counts = _grouped_counts(fiona)
    assert counts["categories"] == {
        "unmatched_invoice": 2,
        "cost_code_error": 2,
        "unknown_vendor": 1,
    }
    assert counts["views"] == {"all": 5, "mine": 1, "unassigned": 4, "overdue": 1}
    assert counts["ageing"] == {"lt1d": 3, "1to3d": 1, "3to7d": 1, "gt7d": 0}
    assert counts == _fresh_counts(fiona)


def test_admin_counts_see_every_project(ada, mixed_items):
    counts = _grouped_counts(ada)
    assert counts["views"]["all"] == 7
    assert counts["ageing"]["gt7d"] == 1
    assert counts == _fresh_counts(ada)


def test_counts_equal_a_fresh_count_after_resolve_reopen_and_bulk_actions(fiona, ada, mixed_items):
    exception_resolve(item=mixed_items[0], actor=fiona, action="accepted", note="fine")
    assert _grouped_counts(fiona) == _fresh_counts(fiona)
    assert _grouped_counts(fiona)["views"]["mine"] == 0

    exception_reopen(item=ExceptionItem.objects.get(pk=mixed_items[0].pk), actor=fiona, reason="no")
    assert _grouped_counts(fiona) == _fresh_counts(fiona)

    exception_bulk_apply(
        items=ExceptionItem.objects.filter(pk__in=[i.pk for i in mixed_items[1:4]]),
        actor=fiona,
        action="assign",
        assignee=fiona,
    )
    assert _grouped_counts(fiona) == _fresh_counts(fiona)
    assert _grouped_counts(fiona)["views"]["mine"] >= 3

    exception_bulk_apply(
        items=ExceptionItem.objects.filter(category="unmatched_invoice"),
        actor=ada,
        action="ignore",
        note="duplicates of a cancelled bill",
    )
    for user in (fiona, ada):
        assert _grouped_counts(user) == _fresh_counts(user)
        assert "unmatched_invoice" not in _grouped_counts(user)["categories"]


def test_queue_page_counters_take_one_query_per_scope_part(client_for, fiona, ada, mixed_items):
    for user, parts in ((fiona, 2), (ada, 1)):
        client = client_for(user)
        client.get(reverse("exceptions:queue"))
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("exceptions:queue"))
        counters = [q for q in captured.captured_queries if "GROUP BY" in q["sql"]]
        assert len(counters) == parts, [q["sql"] for q in counters]
        views = {key: count for key, _label, count in response.context["views"]}
        assert views["all"] == _fresh_counts(user)["views"]["all"]
        assert views["closed"] is None  # the closed view shows no count, as before
