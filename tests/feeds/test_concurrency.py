"""Out-of-order commits (PostgreSQL): a transaction that took its change time early but commits
after later changes were read must still reach the feed — the high-water mark waits for it."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from apps.feeds.selectors import feed_page
from apps.projects.models import Project


@pytest.mark.django_db(transaction=True)
def test_a_slow_transaction_committing_late_is_not_skipped(django_user_model, settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs two concurrent writers (PostgreSQL)")
    from apps.accounts import roles
    from apps.accounts.services import user_create

    settings.FEEDS_SAFETY_LAG_SECONDS = 1
    reader = user_create(username="ada", password="x-pass-12345", roles=[roles.INTEGRATION_ADMIN])
    old = Project.objects.create(code="OLD-001", name="Committed before")
    Project.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(minutes=1))
    written, release, failed = threading.Event(), threading.Event(), []

    def slow_writer():
        try:
            with transaction.atomic():
                Project.objects.create(code="SLOW-01", name="Committed late")
                written.set()
                assert release.wait(30)
        except Exception as exc:  # pragma: no cover - reported below
            failed.append(exc)
            written.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    try:
        assert written.wait(30)
        Project.objects.create(code="FAST-01", name="Committed early")
        # Read "an hour later" so only the running transaction can hold the mark back.
        later = timezone.now() + timedelta(hours=1)
        first = feed_page(user=reader, entity="projects", limit=100, now=later)
        codes = [row["code"] for row in first.rows]
        assert codes == ["OLD-001"], codes  # FAST-01 is younger than the slow transaction
    finally:
        release.set()
        thread.join(30)
    assert not failed, failed
    second = feed_page(
        user=reader, entity="projects", cursor=first.next_cursor, limit=100, now=later
    )
    assert [row["code"] for row in second.rows] == ["SLOW-01", "FAST-01"]
    third = feed_page(
        user=reader, entity="projects", cursor=second.next_cursor, limit=100, now=later
    )
    assert third.rows == []
