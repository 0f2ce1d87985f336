from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.audit.models import AuditEntry
from apps.core.errors import ApplicationError
from apps.exceptions.choices import ExceptionStatus, LinkRole, ResolutionAction
from apps.exceptions.models import ExceptionCategoryConfig, ExceptionComment, ExceptionItem
from apps.exceptions.selectors import (
    exception_active_for_trace_key,
    exception_get,
    exception_list,
    exception_summary,
    exception_transaction_ids,
)
from apps.exceptions.services import (
    exception_assign,
    exception_auto_resolve,
    exception_category_config_update,
    exception_comment_add,
    exception_ignore,
    exception_open,
    exception_reopen,
    exception_resolve,
    exception_status_set,
)

pytestmark = pytest.mark.django_db


def _open(tx=None, trace_key="cost_code:p6:CC-0330", **kwargs):
    kwargs.setdefault("category", "cost_code_error")
    kwargs.setdefault("title", "Unknown cost code CC-0330 from p6")
    kwargs.setdefault("reason", "p6 sent cost code CC-0330, which has no mapping.")
    return exception_open(trace_key=trace_key, transaction=tx, **kwargs)


def test_open_uses_category_defaults_for_owner_severity_and_sla(sync_systems, make_inbound):
    tx = make_inbound(sync_systems.p6, "activity", {"code": "A1"})
    before = timezone.now()
    item = _open(tx)
    assert item.status == ExceptionStatus.OPEN
    assert item.owner_group == "integration_admin"
    assert item.severity == "medium"
    assert item.system == sync_systems.p6
    assert before + timedelta(hours=23) < item.sla_due_at <= timezone.now() + timedelta(hours=24)
    assert item.occurrences == 1
    assert exception_transaction_ids(item=item) == [tx.pk]


def test_repeat_with_same_trace_key_attaches_to_open_item(sync_systems, make_inbound):
    first = make_inbound(sync_systems.p6, "activity", {"n": 1})
    second = make_inbound(sync_systems.p6, "activity", {"n": 2})
    item = _open(first, amount=Decimal("100.00"), currency="EUR")
    again = _open(second, amount=Decimal("50.50"), currency="EUR")
    assert again.pk == item.pk
    assert ExceptionItem.objects.count() == 1
    item.refresh_from_db()
    assert item.occurrences == 2
    assert item.amount_at_risk == Decimal("150.50")
    assert exception_transaction_ids(item=item) == [first.pk, second.pk]
    assert exception_transaction_ids(item=item, role=LinkRole.REPEAT) == [second.pk]


def test_same_transaction_failing_again_is_not_a_new_occurrence(sync_systems, make_inbound):
    tx = make_inbound(sync_systems.p6, "activity", {"n": 1})
    _open(tx, amount=Decimal("10"), currency="EUR")
    item = _open(tx, amount=Decimal("10"), currency="EUR")
    item.refresh_from_db()
    assert item.occurrences == 1
    assert item.amount_at_risk == Decimal("10")


def test_after_resolution_a_repeat_opens_a_new_item(sync_systems, make_inbound, ada):
    item = _open(make_inbound(sync_systems.p6, "activity", {"n": 1}))
    exception_resolve(item=item, actor=ada, action=ResolutionAction.MAPPING_FIXED, note="mapped")
    new = _open(make_inbound(sync_systems.p6, "activity", {"n": 2}))
    assert new.pk != item.pk
    assert exception_active_for_trace_key(trace_key=item.trace_key).pk == new.pk


def test_auto_resolve_closes_the_item_and_links_the_successful_transaction(
    sync_systems, make_inbound
):
    failing = make_inbound(sync_systems.odoo, "vendor", {"n": 1})
    item = _open(failing, trace_key="delivery:odoo:vendor:V1", category="delivery_failed")
    later = make_inbound(sync_systems.odoo, "vendor", {"n": 2})
    resolved = exception_auto_resolve(
        trace_key="delivery:odoo:vendor:V1", transaction=later, reason="delivered on retry"
    )
    assert resolved.pk == item.pk
    assert resolved.status == ExceptionStatus.RESOLVED
    assert resolved.resolution_action == ResolutionAction.AUTO_RESOLVED
    assert exception_transaction_ids(item=item, role=LinkRole.RESOLUTION) == [later.pk]
    assert (
        exception_auto_resolve(
            trace_key="delivery:odoo:vendor:V1", transaction=later, reason="again"
        )
        is None
    )
    assert ExceptionComment.objects.filter(item=item, is_system=True).exists()


def test_resolve_records_who_what_and_audits(ada):
    item = _open()
    exception_resolve(item=item, actor=ada, action="corrected_in_source", note="fixed in P6")
    item.refresh_from_db()
    assert item.status == ExceptionStatus.RESOLVED
    assert item.resolved_by == ada and item.resolved_at is not None
    assert item.resolution_note == "fixed in P6"
    assert AuditEntry.objects.filter(action="exception.resolve", target_id=str(item.pk)).exists()
    with pytest.raises(ApplicationError):
        exception_resolve(item=item, actor=ada, action="accepted", note="twice")


def test_resolve_rejects_unknown_or_automatic_action(ada):
    item = _open()
    for action in ("shrug", ResolutionAction.AUTO_RESOLVED):
        with pytest.raises(ApplicationError) as err:
            exception_resolve(item=item, actor=ada, action=action, note="")
        assert err.value.code == "bad_action"


def test_ignore_requires_a_reason(ada):
    item = _open()
    with pytest.raises(ApplicationError) as err:
        exception_ignore(item=item, actor=ada, reason="  ")
    assert err.value.code == "reason_required"
    exception_ignore(item=item, actor=ada, reason="test data from a sandbox project")
    item.refresh_from_db()
    assert item.status == ExceptionStatus.IGNORED
    assert item.resolution_note == "test data from a sandbox project"


def test_assign_moves_open_item_in_progress_and_can_change_group(ada, fiona):
    item = _open()
    exception_assign(item=item, actor=ada, assignee=fiona, owner_group="finance")
    item.refresh_from_db()
    assert item.assignee == fiona
    assert item.owner_group == "finance"
    assert item.status == ExceptionStatus.IN_PROGRESS
    with pytest.raises(ApplicationError):
        exception_assign(item=item, actor=ada, assignee=None, owner_group="nobody")


def test_status_set_only_between_active_statuses(ada):
    item = _open()
    exception_status_set(item=item, actor=ada, status="waiting", note="asked the vendor")
    item.refresh_from_db()
    assert item.status == ExceptionStatus.WAITING
    with pytest.raises(ApplicationError):
        exception_status_set(item=item, actor=ada, status="resolved")


def test_reopen_refused_when_same_problem_is_open_again(ada):
    item = _open()
    exception_resolve(item=item, actor=ada, action="accepted", note="")
    newer = _open()
    with pytest.raises(ApplicationError) as err:
        exception_reopen(item=item, actor=ada, reason="not fixed")
    assert err.value.details == {"item_id": newer.pk}
    exception_ignore(item=newer, actor=ada, reason="duplicate of the first")
    reopened = exception_reopen(item=item, actor=ada, reason="not fixed")
    assert reopened.status == ExceptionStatus.OPEN and reopened.resolved_by is None


def test_comment_needs_a_body(ada):
    item = _open()
    with pytest.raises(ApplicationError):
        exception_comment_add(item=item, author=ada, body="")
    comment = exception_comment_add(item=item, author=ada, body="Looking at it")
    assert comment.is_system is False


def test_category_config_change_applies_to_new_items(ada):
    exception_category_config_update(
        category="cost_code_error", actor=ada, owner_group="finance", severity="high", sla_hours=4
    )
    item = _open()
    assert item.owner_group == "finance" and item.severity == "high"
    assert item.sla_due_at <= timezone.now() + timedelta(hours=4)
    assert ExceptionCategoryConfig.objects.count() >= 20  # seeded by the data migration


def test_open_refuses_unknown_category_and_empty_trace_key():
    with pytest.raises(ApplicationError):
        _open(category="weather")
    with pytest.raises(ApplicationError):
        _open(trace_key="")


def test_list_is_scoped_to_the_users_projects(fiona, ada, school, bridge):
    mine = _open(trace_key="a", project=school)
    theirs = _open(trace_key="b", project=bridge)
    system_wide = _open(trace_key="c")
    visible = set(exception_list(user=fiona).values_list("pk", flat=True))
    assert visible == {mine.pk, system_wide.pk}
    assert set(exception_list(user=ada).values_list("pk", flat=True)) == {
        mine.pk,
        theirs.pk,
        system_wide.pk,
    }
    with pytest.raises(ApplicationError):
        exception_get(user=fiona, item_id=theirs.pk)


def test_summary_counts_overdue_and_money_at_risk(ada):
    _open(trace_key="a", amount=Decimal("1000"), currency="EUR", severity="high")
    overdue = _open(trace_key="b", amount=Decimal("5"), currency="EUR")
    ExceptionItem.objects.filter(pk=overdue.pk).update(
        sla_due_at=timezone.now() - timedelta(hours=1)
    )
    summary = exception_summary(user=ada)
    assert summary["active"] == 2
    assert summary["overdue"] == 1
    assert summary["amount_at_risk"] == {"EUR": Decimal("1005.00")}
    assert summary["by_severity"] == {"high": 1, "medium": 1}
