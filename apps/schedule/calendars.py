"""Working days, the unit of milestone slip.

The rule (also in the README, "Schedules"):

- Slip is counted in whole working days between two calendar dates (times of day are ignored).
- `working_days_between(a, b)` counts the working days d with a < d <= b when b is later, and
  the negative of the working days with b < d <= a when b is earlier; 0 when the dates are equal.
  So a milestone that moves from Friday to the next Monday has slipped 1 working day (Saturday
  and Sunday are not counted, Monday is); one that moves from Monday to the Friday before has
  gained 1 (slip -1).
- The standard calendar is the 5-day week, Monday to Friday, with no holidays.
- With a project's calendar rule set to "file", the milestone's own calendar from the update file
  is used (P6 CALENDAR.clndr_data: working weekdays, holidays and worked exception days; MSPDI
  and PMXML calendars likewise); when the file has no usable calendar for it, the project's
  default calendar in the file, else the standard 5-day week (and the import report says so).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class WorkCalendar:
    name: str = "Standard 5-day week (Mon–Fri)"
    # Monday=0 … Sunday=6.
    work_weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() in self.work_weekdays

    @classmethod
    def from_lists(
        cls,
        *,
        name: str,
        work_weekdays: Iterable[int],
        holidays: Iterable[str | date] = (),
        extra_workdays: Iterable[str | date] = (),
    ) -> WorkCalendar:
        def as_dates(values) -> frozenset[date]:
            return frozenset(v if isinstance(v, date) else date.fromisoformat(v) for v in values)

        return cls(
            name=name,
            work_weekdays=frozenset(int(d) for d in work_weekdays),
            holidays=as_dates(holidays),
            extra_workdays=as_dates(extra_workdays),
        )


STANDARD_CALENDAR = WorkCalendar()


def _working_days_after_until(start: date, end: date, calendar: WorkCalendar) -> int:
    """Working days d with start < d <= end (end >= start), in O(weeks + exceptions)."""
    total_days = (end - start).days
    if total_days <= 0:
        return 0
    full_weeks, remainder = divmod(total_days, 7)
    count = full_weeks * len(calendar.work_weekdays)
    first_weekday = start.weekday()
    for offset in range(1, remainder + 1):
        if (first_weekday + offset) % 7 in calendar.work_weekdays:
            count += 1
    # Exceptions only matter inside the interval; they are few, so scan them, not the days.
    for holiday in calendar.holidays:
        if (
            start < holiday <= end
            and holiday.weekday() in calendar.work_weekdays
            and holiday not in calendar.extra_workdays
        ):
            count -= 1
    for extra in calendar.extra_workdays:
        if start < extra <= end and extra.weekday() not in calendar.work_weekdays:
            count += 1
    return count


def working_days_between(
    earlier_or_reference: date, later_or_current: date, calendar: WorkCalendar = STANDARD_CALENDAR
) -> int:
    """Signed working days from the reference date to the current date (see module docstring)."""
    reference, current = earlier_or_reference, later_or_current
    if current >= reference:
        return _working_days_after_until(reference, current, calendar)
    return -_working_days_after_until(current, reference, calendar)


def add_working_days(start: date, days: int, calendar: WorkCalendar = STANDARD_CALENDAR) -> date:
    """The date `days` working days after `start` (before, when negative); bounded loop."""
    step = 1 if days >= 0 else -1
    remaining = abs(days)
    current = start
    guard = 0
    while remaining and guard < 100_000:
        current += timedelta(days=step)
        guard += 1
        if calendar.is_working_day(current):
            remaining -= 1
    return current
