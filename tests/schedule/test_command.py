"""manage.py import_schedule: progress, report, refusals with their line, exit status."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from apps.schedule.models import ScheduleVersion
from tests.schedule.conftest import FIXTURES, SLIP_FILES, xer_table_rows

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = io.StringIO()
    call_command("import_schedule", *args, stdout=out)
    return out.getvalue()


def test_command_imports_with_progress_and_report(school):
    path = FIXTURES / "percent-complete-8.4.xer"
    output = _run(str(path), "--project", "SCH-001", "--kind", "baseline")
    rows = sum(xer_table_rows(path.read_bytes()).values())
    assert f"100%  {rows:,} rows" in output
    version = ScheduleVersion.objects.get()
    assert f"version #{version.pk}: baseline of SCH-001" in output
    assert "activities 12" in output and "encoding cp1252" in output
    assert "TASK 12" in output


def test_command_reports_slip_and_events_for_an_update(school):
    _run(str(FIXTURES / SLIP_FILES[0]), "--project", "SCH-001", "--kind", "baseline")
    output = _run(str(FIXTURES / SLIP_FILES[2]), "--project", "SCH-001")
    assert "milestone M2000: baseline 2024-03-15 → 2024-03-29, slip 10 working days" in output
    assert output.count("EVENT milestone.slipped") == 2


def test_command_refuses_a_bad_file_naming_the_line(school, tmp_path):
    data = (FIXTURES / "percent-complete-8.4.xer").read_bytes()
    bad = tmp_path / "cut.xer"
    bad.write_bytes(data[: data.index(b"%T\tTASK")])
    with pytest.raises(CommandError) as caught:
        _run(str(bad), "--project", "SCH-001")
    message = str(caught.value)
    assert message.startswith("refused: cut.xer: line ") and "no %E" not in message
    assert "%E end marker" in message
    assert not ScheduleVersion.objects.exists()


def test_command_checks_its_arguments(school, tmp_path):
    with pytest.raises(CommandError, match="no project with code 'NOPE'"):
        _run(str(FIXTURES / "sample.xml"), "--project", "NOPE")
    with pytest.raises(CommandError, match="no such file"):
        _run(str(tmp_path / "missing.xer"), "--project", "SCH-001")


def test_reimporting_the_same_file_says_so(school):
    path = str(FIXTURES / "sample.xml")
    _run(path, "--project", "SCH-001", "--kind", "baseline")
    assert "already imported as version" in _run(path, "--project", "SCH-001")
    assert ScheduleVersion.objects.count() == 1
