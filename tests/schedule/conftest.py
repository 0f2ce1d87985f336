"""Fixtures for the schedule tests: the fixture files and independent counts of their rows."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from apps.projects.models import Project

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "schedules"
SHARED_FILES = [
    "TwentyFourHourCalendar.xer",
    "percent-complete-8.4.xer",
    "resource-rates-test.xer",
    "percent-complete-8.4.pmxml",
    "sample.xml",
    "baselines.xml",
    "mspdirelations.xml",
    "task-baselines-project2019-mspdi.xml",
]


def _load_derive():
    """tests/fixtures/schedules/derive.py, the script that wrote the slip fixtures."""
    spec = importlib.util.spec_from_file_location(
        "schedule_fixtures_derive", FIXTURES / "derive.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


derive = _load_derive()
SLIP_FILES = ["slip-baseline.xer", "slip-update-1.xer", "slip-update-2.xer", "slip-update-3.xer"]


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def xer_table_rows(data: bytes) -> dict[str, int]:
    """%R lines per %T table, counted here without the hub's parser."""
    counts: dict[str, int] = {}
    table = None
    for line in data.splitlines():
        if line.startswith(b"%T\t"):
            table = line.split(b"\t")[1].strip().decode("ascii")
            counts.setdefault(table, 0)
        elif line.startswith(b"%R") and table is not None:
            counts[table] += 1
    return counts


def xml_elements(data: bytes, name: str) -> list[bytes]:
    """The text of every <name>…</name> element (not nested in itself), found by regex."""
    return re.findall(rb"<" + name.encode() + rb">(.*?)</" + name.encode() + rb">", data, re.S)


def xml_field(element: bytes, name: str) -> str:
    match = re.search(rb"<" + name.encode() + rb">([^<]*)</" + name.encode() + rb">", element)
    return match.group(1).decode() if match else ""


@pytest.fixture
def hospital(db) -> Project:
    return Project.objects.create(code="HOS-002", name="St. Mary's Hospital — East Wing")
