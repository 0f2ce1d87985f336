"""Milestone slip: baseline vs updates in working days, the threshold, exactly one event."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from apps.ledger.models import Transaction
from apps.schedule.choices import CalendarRule, ScheduleKind, SlipReference
from apps.schedule.models import MilestoneSlip
from apps.schedule.services import (
    milestone_slip_emit,
    milestone_slips_compute,
    project_schedule_settings_update,
    schedule_import_file,
)
from tests.schedule.conftest import FIXTURES, SLIP_FILES, derive, fixture_bytes

pytestmark = pytest.mark.django_db


def _import(project, name, kind=ScheduleKind.UPDATE):
    return schedule_import_file(
        project=project, file_bytes=fixture_bytes(name), file_name=name, kind=kind
    )


def _series(project):
    baseline = _import(project, SLIP_FILES[0], ScheduleKind.BASELINE)
    return baseline, [_import(project, name) for name in SLIP_FILES[1:]]


def _weekdays_between(start: date, end: date) -> int:
    """Mon–Fri days d with start < d <= end, walked one by one (independent of the hub)."""
    sign, low, high = (1, start, end) if end >= start else (-1, end, start)
    days = 0
    current = low
    while current < high:
        current += timedelta(days=1)
        days += current.weekday() < 5
    return sign * days


def _slip_events():
    return Transaction.objects.filter(domain="milestone", operation="slipped")


def test_derived_fixtures_are_what_the_derivation_script_writes():
    for name in derive.VERSIONS:
        assert (FIXTURES / name).read_bytes() == derive.derive(name), name


def test_slip_is_counted_in_working_days_against_the_baseline(school):
    baseline, updates = _series(school)
    baseline_dates = {code: date.fromisoformat(d) for code, (d, _) in derive.BASELINE_DATES.items()}
    for name, update in zip(SLIP_FILES[1:], updates, strict=True):
        slips = {s.task_code: s for s in MilestoneSlip.objects.filter(version=update)}
        assert set(slips) == set(baseline_dates)
        for code, (when, is_actual) in derive.VERSIONS[name][1].items():
            current = date.fromisoformat(when)
            slip = slips[code]
            assert slip.baseline_date == baseline_dates[code]
            assert slip.current_date == current
            assert slip.is_actual == is_actual
            assert slip.slip_days == _weekdays_between(baseline_dates[code], current), (name, code)
            assert slip.baseline_version == baseline


def test_a_slip_across_a_weekend_counts_only_the_working_day(school):
    _, updates = _series(school)
    slip = MilestoneSlip.objects.get(version=updates[0], task_code="M1000")
    assert slip.baseline_date.weekday() == 4 and slip.current_date.weekday() == 0  # Fri → Mon
    assert slip.slip_days == 1


def test_slip_past_threshold_emits_exactly_one_event_per_milestone_per_update(school):
    _, updates = _series(school)
    by_update = {
        update.pk: sorted(
            MilestoneSlip.objects.filter(version=update, event_emitted=True).values_list(
                "task_code", flat=True
            )
        )
        for update in updates
    }
    assert by_update == {
        updates[0].pk: [],
        updates[1].pk: ["M2000", "M3000"],
        updates[2].pk: ["M2000", "M3000", "M4000"],
    }
    events = _slip_events()
    assert events.count() == 5
    keys = set(events.values_list("idempotency_key", flat=True))
    assert len(keys) == 5
    assert f"milestone-slip:SCH-001:M2000:{updates[1].file_sha256}" in keys
    over = MilestoneSlip.objects.filter(over_threshold=True)
    assert all(s.slip_days > s.threshold_days == 5 for s in over)
    assert not MilestoneSlip.objects.filter(over_threshold=False, event_emitted=True).exists()


def test_event_payload_and_ledger_row(school):
    _, updates = _series(school)
    slip = MilestoneSlip.objects.get(version=updates[2], task_code="M4000")
    event = Transaction.objects.get(pk=slip.event_transaction_id)
    assert (event.domain, event.operation, event.direction) == ("milestone", "slipped", "inbound")
    assert event.project_id == school.pk and event.reference == "M4000"
    assert event.system.code == "schedule-imports"
    assert event.payload["event"] == "milestone.slipped"
    assert event.payload["slip_working_days"] == 10
    assert event.payload["baseline_date"] == "2024-04-26"
    assert event.payload["current_date"] == "2024-05-10"
    assert event.payload["name"] == "Façade closed – Block B"
    assert event.payload["threshold_working_days"] == 5
    assert event.occurred_at == updates[2].data_date


def test_reimport_recompute_and_repeat_emit_do_not_emit_again(school):
    _, updates = _series(school)
    assert _slip_events().count() == 5
    again = _import(school, SLIP_FILES[3])
    assert again.already_imported and again.pk == updates[2].pk
    milestone_slips_compute(version=updates[2], emit=True)
    slip = MilestoneSlip.objects.get(version=updates[2], task_code="M2000")
    milestone_slip_emit(slip=slip)
    assert _slip_events().count() == 5
    assert MilestoneSlip.objects.filter(version=updates[2]).count() == 4


def test_threshold_is_per_project(school, bridge, ada):
    project_schedule_settings_update(project=school, actor=ada, slip_threshold_days=0)
    _series(school)
    _series(bridge)
    school_events = _slip_events().filter(project_id=school.pk).count()
    bridge_events = _slip_events().filter(project_id=bridge.pk).count()
    # Threshold 0: every positive slip emits (U1: 2, U2: 3, U3: 4 milestones).
    positive = MilestoneSlip.objects.filter(project=school, slip_days__gt=0).count()
    assert school_events == positive == 9
    assert bridge_events == 5


def test_compare_with_previous_update(school, ada):
    project_schedule_settings_update(
        project=school, actor=ada, compare_with=SlipReference.PREVIOUS_UPDATE
    )
    _, updates = _series(school)
    second = {s.task_code: s for s in MilestoneSlip.objects.filter(version=updates[1])}
    assert second["M2000"].previous_date == date(2024, 3, 15)
    assert second["M2000"].change_days == 10 and second["M1000"].change_days == 4
    assert second["M2000"].previous_version == updates[0]
    emitted = sorted(
        MilestoneSlip.objects.filter(event_emitted=True).values_list("version_id", "task_code")
    )
    assert emitted == [(updates[1].pk, "M2000"), (updates[2].pk, "M4000")]


def test_file_calendar_rule_skips_the_files_holidays(school, ada):
    project_schedule_settings_update(project=school, actor=ada, calendar_rule=CalendarRule.FILE)
    _, updates = _series(school)
    # Good Friday (03-29) and Easter Monday (04-01) are holidays in the derived files' calendar.
    assert MilestoneSlip.objects.get(version=updates[1], task_code="M2000").slip_days == 9
    third = MilestoneSlip.objects.get(version=updates[2], task_code="M2000")
    assert third.slip_days == 13
    assert third.calendar_name == "Corporate - Standard Full Time"
    # Without the rule the same slip is 15 (standard Mon–Fri).
    project_schedule_settings_update(project=school, actor=ada, calendar_rule=CalendarRule.STANDARD)
    milestone_slips_compute(version=updates[2], emit=False)
    assert MilestoneSlip.objects.get(pk=third.pk).slip_days == 15


def test_chosen_baseline_overrides_the_latest(school, ada):
    first = _import(school, SLIP_FILES[0], ScheduleKind.BASELINE)
    rebaseline = _import(school, SLIP_FILES[1], ScheduleKind.BASELINE)  # U1's dates as baseline
    update = _import(school, SLIP_FILES[2])
    slip = MilestoneSlip.objects.get(version=update, task_code="M1000")
    assert slip.baseline_version == rebaseline  # the latest baseline by default
    assert (slip.baseline_date, slip.slip_days) == (date(2024, 2, 12), 4)
    project_schedule_settings_update(project=school, actor=ada, baseline_version=first)
    milestone_slips_compute(version=update, emit=False)
    slip.refresh_from_db()
    assert slip.baseline_version == first
    assert (slip.baseline_date, slip.slip_days) == (date(2024, 2, 9), 5)


def test_mspdi_baseline_inside_the_file_is_used_without_a_baseline_version(school):
    data = fixture_bytes("sample.xml")
    marker = b"<Milestone>1</Milestone>"
    tasks_end = data.index(b"</Tasks>")
    assert data.count(marker, 0, tasks_end) == 1
    # Give sample.xml's one milestone (finish Tue 2003-01-07) a baseline finish on Fri 2003-01-03.
    task_end = data.index(b"</Task>", data.index(marker))
    baseline = (
        b"<Baseline><Number>0</Number><Start>2003-01-03T08:00:00</Start>"
        b"<Finish>2003-01-03T08:00:00</Finish></Baseline>"
    )
    data = data[:task_end] + baseline + data[task_end:]
    version = schedule_import_file(
        project=school, file_bytes=data, file_name="sample-bl.xml", kind=ScheduleKind.UPDATE
    )
    slip = MilestoneSlip.objects.get(version=version)
    assert slip.baseline_version is None
    assert (slip.baseline_date, slip.current_date) == (date(2003, 1, 3), date(2003, 1, 7))
    assert slip.slip_days == 2


def test_baseline_import_computes_no_slip(school):
    _import(school, SLIP_FILES[0], ScheduleKind.BASELINE)
    assert MilestoneSlip.objects.count() == 0
    assert _slip_events().count() == 0


def test_a_baseline_milestone_missing_from_the_update_is_reported(school):
    _import(school, SLIP_FILES[0], ScheduleKind.BASELINE)
    lines = fixture_bytes(SLIP_FILES[1]).split(b"\n")
    lines = [line for line in lines if not line.startswith(b"%R\t101803\t")]  # drop M3000
    update = schedule_import_file(
        project=school, file_bytes=b"\n".join(lines), file_name="u1.xer", kind="update"
    )
    assert not MilestoneSlip.objects.filter(version=update, task_code="M3000").exists()
    assert any("M3000" in w["message"] for w in update.warnings)


def test_trend_labels_stay_apart_when_updates_share_a_data_date(school):
    from apps.schedule.selectors import milestone_slip_trend

    _import(school, SLIP_FILES[0], ScheduleKind.BASELINE)
    first = _import(school, SLIP_FILES[1])
    data = fixture_bytes(SLIP_FILES[2]).replace(b"2024-02-26 00:00", b"2024-02-05 00:00")
    second = schedule_import_file(project=school, file_bytes=data, file_name="x.xer", kind="update")
    labels = [u["label"] for u in milestone_slip_trend(project=school)["updates"]]
    assert labels == [f"2024-02-05 #{first.pk}", f"2024-02-05 #{second.pk}"]
