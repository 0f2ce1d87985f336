"""The working-day rule (apps/schedule/calendars.py) and P6 calendar data."""

from __future__ import annotations

from datetime import date

import pytest

from apps.schedule.calendars import (
    STANDARD_CALENDAR,
    WorkCalendar,
    add_working_days,
    working_days_between,
)
from apps.schedule.parsers.p6_calendar import CalendarDataError, parse_clndr_data

FRIDAY = date(2024, 2, 9)
SATURDAY = date(2024, 2, 10)
MONDAY = date(2024, 2, 12)


def test_slip_from_friday_to_monday_is_one_working_day():
    assert working_days_between(FRIDAY, MONDAY) == 1


def test_a_weekend_day_is_not_a_working_day():
    assert working_days_between(FRIDAY, SATURDAY) == 0
    assert working_days_between(FRIDAY, date(2024, 2, 11)) == 0


def test_moving_earlier_is_negative_and_same_day_is_zero():
    assert working_days_between(MONDAY, FRIDAY) == -1
    assert working_days_between(FRIDAY, FRIDAY) == 0
    assert working_days_between(date(2024, 4, 26), date(2024, 4, 25)) == -1


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2024, 3, 15), date(2024, 3, 29), 10),  # two full weeks
        (date(2024, 3, 15), date(2024, 4, 5), 15),
        (date(2024, 2, 19), date(2024, 2, 28), 7),  # Mon → Wed of the next week
        (date(2024, 1, 1), date(2024, 12, 31), 261),  # 2024 has 262 weekdays; 1 Jan excluded
    ],
)
def test_standard_week_counts(start, end, expected):
    assert working_days_between(start, end) == expected
    assert working_days_between(end, start) == -expected


def test_counting_agrees_with_walking_day_by_day():
    """The arithmetic shortcut equals a naive walk for every pair in a six-week window."""
    calendar = WorkCalendar.from_lists(
        name="with exceptions",
        work_weekdays=[0, 1, 2, 3, 5],  # Friday off, Saturday worked
        holidays=["2024-03-05", "2024-03-09"],
        extra_workdays=["2024-03-15", "2024-03-17"],
    )
    days = [date(2024, 3, 1).fromordinal(date(2024, 3, 1).toordinal() + i) for i in range(42)]
    for start in days:
        for end in days:
            low, high = min(start, end), max(start, end)
            walked = sum(
                1
                for ordinal in range(low.toordinal() + 1, high.toordinal() + 1)
                if calendar.is_working_day(date.fromordinal(ordinal))
            )
            expected = walked if end >= start else -walked
            assert working_days_between(start, end, calendar) == expected, (start, end)


def test_holidays_of_a_file_calendar_are_not_counted():
    calendar = WorkCalendar.from_lists(
        name="Easter", work_weekdays=[0, 1, 2, 3, 4], holidays=["2024-03-29", "2024-04-01"]
    )
    assert working_days_between(date(2024, 3, 15), date(2024, 3, 29), calendar) == 9
    assert working_days_between(date(2024, 3, 15), date(2024, 4, 5), calendar) == 13
    assert working_days_between(date(2024, 3, 15), date(2024, 4, 5), STANDARD_CALENDAR) == 15


def test_add_working_days_skips_weekends():
    assert add_working_days(FRIDAY, 1) == MONDAY
    assert add_working_days(MONDAY, -1) == FRIDAY


def test_p6_calendar_data_weekdays_and_exceptions():
    data = (
        "(0||CalendarData()((0||DaysOfWeek()((0||1()())(0||2()((0||0(s|08:00|f|12:00)())))"
        "(0||3()((0||0(s|08:00|f|16:00)())))(0||4()((0||0(s|08:00|f|16:00)())))"
        "(0||5()((0||0(s|08:00|f|16:00)())))(0||6()((0||0(s|08:00|f|16:00)())))"
        "(0||7()((0||0(s|08:00|f|12:00)())))))(0||Exceptions()((0||0(d|45380)())"
        "(0||1(d|45381)((0||0(s|08:00|f|12:00)())))))))"
    )
    weekdays, holidays, worked = parse_clndr_data(data)
    assert weekdays == (0, 1, 2, 3, 4, 5)  # Monday to Saturday; P6 day 1 is Sunday
    assert holidays == (date(2024, 3, 29),)  # serial 45380 from 1899-12-30
    assert worked == (date(2024, 3, 30),)


def test_p6_calendar_data_with_spaces_is_read():
    """P6 20.x writes the same structure indented with spaces (resource-rates-test.xer)."""
    data = (
        "(0||CalendarData()(    (0||DaysOfWeek()(      (0||1()())      (0||2()(        "
        "(0||0(s|08:00|f|12:00)())))      (0||7()())))    (0||Exceptions()())))"
    )
    assert parse_clndr_data(data) == ((0,), (), ())


def test_unreadable_calendar_data_raises():
    with pytest.raises(CalendarDataError):
        parse_clndr_data("(0||CalendarData()((0||DaysOfWeek()(")
