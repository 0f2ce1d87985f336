"""P6's CALENDAR.clndr_data: a nested `(0||Name(params)(children))` text.

    (0||CalendarData()(
      (0||DaysOfWeek()( (0||1()()) (0||2()((0||0(s|08:00|f|12:00)())…)) … (0||7()()) ))
      (0||Exceptions()( (0||0(d|41519)()) (0||1(d|41520)((0||0(s|08:00|f|12:00)()))) ))))

Days of week are numbered 1 = Sunday … 7 = Saturday; a day with no time period is not worked.
Exception dates are day serials from 1899-12-30 (the spreadsheet epoch); an exception without
time periods is a holiday, one with time periods is a worked day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

SERIAL_EPOCH = date(1899, 12, 30)
_MAX_DEPTH = 12


class CalendarDataError(ValueError):
    pass


@dataclass
class _Node:
    label: str
    params: str
    children: list[_Node] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.label.rsplit("||", 1)[-1].strip()


def _parse_nodes(text: str) -> list[_Node]:
    position = 0
    length = len(text)

    def skip_space() -> None:
        nonlocal position
        while position < length and text[position] in " \t\r\n\x7f":
            position += 1

    def expect(char: str) -> None:
        nonlocal position
        skip_space()
        if position >= length or text[position] != char:
            raise CalendarDataError(f"expected '{char}' at character {position + 1}")
        position += 1

    def read_until(char: str) -> str:
        nonlocal position
        end = text.find(char, position)
        if end < 0:
            raise CalendarDataError(f"missing '{char}' after character {position + 1}")
        value = text[position:end]
        position = end
        return value

    def node(depth: int) -> _Node:
        nonlocal position
        if depth > _MAX_DEPTH:
            raise CalendarDataError("nested too deeply")
        expect("(")
        label = read_until("(")
        expect("(")
        params = read_until(")")
        expect(")")
        expect("(")
        children = []
        skip_space()
        while position < length and text[position] == "(":
            children.append(node(depth + 1))
            skip_space()
        expect(")")
        expect(")")
        return _Node(label=label, params=params, children=children)

    nodes = []
    skip_space()
    while position < length:
        nodes.append(node(0))
        skip_space()
    return nodes


def _find(nodes: list[_Node], name: str) -> _Node | None:
    for item in nodes:
        if item.name == name:
            return item
        found = _find(item.children, name)
        if found is not None:
            return found
    return None


def _has_work(node: _Node) -> bool:
    return any("s|" in child.params or "f|" in child.params for child in node.children)


def parse_clndr_data(text: str) -> tuple[tuple[int, ...], tuple[date, ...], tuple[date, ...]]:
    """(work weekdays Monday=0…, holidays, worked exception days) from a clndr_data value."""
    nodes = _parse_nodes(text)
    days = _find(nodes, "DaysOfWeek")
    if days is None:
        raise CalendarDataError("no DaysOfWeek section")
    weekdays = []
    for day in days.children:
        try:
            p6_day = int(day.name)
        except ValueError:
            continue
        if 1 <= p6_day <= 7 and _has_work(day):
            weekdays.append((p6_day + 5) % 7)  # 1=Sunday→6, 2=Monday→0 … 7=Saturday→5
    holidays, worked = [], []
    exceptions = _find(nodes, "Exceptions")
    for item in exceptions.children if exceptions is not None else []:
        params = item.params.split("|")
        if len(params) < 2 or params[0].strip() != "d":
            continue
        try:
            day_value = SERIAL_EPOCH + timedelta(days=int(params[1]))
        except (ValueError, OverflowError):
            raise CalendarDataError(f"exception date '{params[1]}' is not a day number") from None
        (worked if _has_work(item) else holidays).append(day_value)
    return tuple(sorted(weekdays)), tuple(sorted(holidays)), tuple(sorted(worked))
