"""Bad files are refused with a reason that names the line, and nothing is half-imported."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditEntry
from apps.schedule.choices import ScheduleKind
from apps.schedule.errors import ScheduleImportRefused
from apps.schedule.models import Activity, ScheduleVersion, WbsNode
from apps.schedule.services import schedule_import_file
from tests.schedule.conftest import fixture_bytes

pytestmark = pytest.mark.django_db

REAL = "percent-complete-8.4.xer"


def _lines(name: str = REAL) -> list[bytes]:
    return fixture_bytes(name).split(b"\n")


def _line_number(lines: list[bytes], prefix: bytes) -> int:
    return next(i for i, line in enumerate(lines, start=1) if line.startswith(prefix))


def _refusal(project, data: bytes, *, name="bad.xer", **kwargs) -> ScheduleImportRefused:
    with pytest.raises(ScheduleImportRefused) as caught:
        schedule_import_file(
            project=project,
            file_bytes=data,
            file_name=name,
            kind=kwargs.pop("kind", ScheduleKind.UPDATE),
            **kwargs,
        )
    assert ScheduleVersion.objects.count() == 0, "nothing may be half-imported"
    assert Activity.objects.count() == 0 and WbsNode.objects.count() == 0
    return caught.value


def test_truncated_xer_is_refused_naming_its_last_line(school):
    lines = _lines()
    task_row = _line_number(lines, b"%R\t101722")  # a TASK row in the middle
    data = b"\n".join(lines[:task_row])  # cut after it: no further rows, no %E
    refusal = _refusal(school, data)
    assert refusal.code == "schedule_truncated"
    assert refusal.line == task_row
    assert f"line {task_row}" in refusal.message and "%E" in refusal.message
    assert refusal.status_code == 422


def test_missing_field_line_is_refused_naming_the_first_row(school):
    lines = _lines()
    task_fields = next(i for i, line in enumerate(lines) if line.startswith(b"%F\ttask_id"))
    data = b"\n".join(lines[:task_fields] + lines[task_fields + 1 :])
    refusal = _refusal(school, data)
    assert refusal.code == "schedule_missing_fields"
    assert refusal.line == task_fields + 1  # the first %R now sits where %F was
    assert "TASK" in refusal.message and "%F" in refusal.message


def test_utf16_resave_is_refused_as_wrong_encoding(school):
    text = fixture_bytes(REAL).decode("cp1252")
    refusal = _refusal(school, text.encode("utf-16"))
    assert refusal.code == "schedule_wrong_encoding"
    assert "UTF-16" in refusal.message and refusal.line == 1


def test_byte_valid_in_neither_utf8_nor_cp1252_is_refused_naming_the_line(school):
    lines = _lines()
    row = _line_number(lines, b"%R\t101719")
    lines[row - 1] = lines[row - 1].replace(b"Duration 75%", b"Duration \x81 75%")
    refusal = _refusal(school, b"\n".join(lines))
    assert refusal.code == "schedule_wrong_encoding"
    assert refusal.line == row and "0x81" in refusal.message


def test_unexpected_line_is_refused_naming_it(school):
    lines = _lines()
    row = _line_number(lines, b"%R\t101720")
    lines.insert(row, b"this line was pasted in by hand")
    refusal = _refusal(school, b"\n".join(lines))
    assert refusal.code == "schedule_malformed" and refusal.line == row + 1
    assert "pasted" in refusal.message


def test_file_without_task_table_is_refused(school):
    lines = _lines()
    start = _line_number(lines, b"%T\tTASK")
    end = _line_number(lines, b"%E")
    data = b"\n".join(lines[: start - 1] + lines[end - 1 :])
    refusal = _refusal(school, data)
    assert refusal.code == "schedule_no_activities"


def test_not_a_schedule_is_refused(school):
    refusal = _refusal(school, b"code;name\n03 30 00;Concrete\n", name="budget.csv")
    assert refusal.code == "schedule_unknown_format" and refusal.line == 1
    refusal = _refusal(school, b"<?xml version='1.0'?><invoice/>", name="x.xml")
    assert refusal.code == "schedule_unknown_format" and "invoice" in refusal.message
    refusal = _refusal(school, b"  \n", name="empty.xer")
    assert refusal.code == "schedule_empty"


def test_truncated_xml_is_refused_naming_the_line(school):
    data = fixture_bytes("mspdirelations.xml")
    cut = data[: len(data) // 2]
    refusal = _refusal(school, cut, name="mspdirelations.xml")
    assert refusal.code == "schedule_malformed"
    assert refusal.line == cut.count(b"\n") + 1


def test_xml_with_entity_declarations_is_refused_for_safety(school):
    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE Project [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        b'<Project xmlns="http://schemas.microsoft.com/project"><Name>&b;</Name></Project>'
    )
    refusal = _refusal(school, bomb, name="bomb.xml")
    assert refusal.code == "schedule_unsafe_xml"


def test_xer_with_several_projects_asks_which_one(school):
    lines = _lines()
    row = _line_number(lines, b"%R\t4507\t")
    second = lines[row - 1].replace(b"%R\t4507\t", b"%R\t4508\t").replace(b"EC00640", b"EC00641")
    lines.insert(row, second)
    data = b"\n".join(lines)
    refusal = _refusal(school, data)
    assert refusal.code == "schedule_several_projects"
    assert "EC00640" in refusal.message and "EC00641" in refusal.message
    version = schedule_import_file(
        project=school,
        file_bytes=data,
        file_name="two.xer",
        kind=ScheduleKind.BASELINE,
        source_project="EC00640",
    )
    assert version.source_project_code == "EC00640"
    assert version.activities.count() == 12


def test_bad_rows_are_refused_one_by_one_and_listed_with_their_line(school):
    lines = fixture_bytes("handmade-wbs.xer").split(b"\r\n")
    bad_date = _line_number(lines, b"%R\t102\t")
    lines[bad_date - 1] = lines[bad_date - 1].replace(b"29-FEB-24", b"31-FEB-24", 1)
    duplicate = lines[_line_number(lines, b"%R\t103\t") - 1].replace(b"%R\t103", b"%R\t104")
    lines.insert(len(lines) - 2, duplicate)  # before %E and the final empty line
    duplicate_line = len(lines) - 2
    version = schedule_import_file(
        project=school,
        file_bytes=b"\r\n".join(lines),
        file_name="handmade.xer",
        kind=ScheduleKind.BASELINE,
    )
    assert version.counts["refused"] == 2 and version.counts["activities"] == 3
    refused = {row["line"]: row for row in version.refused_rows}
    assert "31-FEB-24" in refused[bad_date]["reason"]
    assert "target_end_date" in refused[bad_date]["reason"]
    assert refused[bad_date]["key"] == "HM-200"
    assert "repeats" in refused[duplicate_line]["reason"]
    assert not version.activities.filter(task_code="HM-200").exists()


def test_strict_mode_refuses_a_file_with_bad_rows(school):
    lines = fixture_bytes("handmade-wbs.xer").split(b"\r\n")
    row = _line_number(lines, b"%R\t102\t")
    lines[row - 1] = lines[row - 1].replace(b"01-FEB-24", b"1st Feb", 1)
    refusal = _refusal(school, b"\r\n".join(lines), strict=True, kind=ScheduleKind.BASELINE)
    assert refusal.code == "schedule_rows_refused" and refusal.line == row


def test_row_with_more_values_than_fields_is_refused(school):
    lines = _lines()
    row = _line_number(lines, b"%R\t101725")
    lines[row - 1] = lines[row - 1] + b"\textra\tvalues"
    version = schedule_import_file(
        project=school, file_bytes=b"\n".join(lines), file_name="x.xer", kind="baseline"
    )
    assert version.refused_rows[0]["line"] == row
    assert "values for" in version.refused_rows[0]["reason"]
    assert version.counts["activities"] == 11


def test_refusal_is_audited_with_the_reason(school, ada):
    lines = _lines()
    _refusal(school, b"\n".join(lines[:-3]), actor=ada)
    entry = AuditEntry.objects.get(action="schedule.import_refused")
    assert entry.actor == ada
    assert entry.detail["code"] == "schedule_truncated"
    assert entry.detail["line"] is not None and "%E" in entry.detail["reason"]


def test_unknown_kind_is_refused(school):
    with pytest.raises(Exception) as caught:
        schedule_import_file(
            project=school, file_bytes=fixture_bytes(REAL), file_name="x.xer", kind="forecast"
        )
    assert getattr(caught.value, "code", "") == "invalid_kind"
