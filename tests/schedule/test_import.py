"""Importing schedule files: every shared file, counts from the file itself, encodings, variants."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from apps.audit.models import AuditEntry
from apps.schedule.choices import ActivityStatus, ActivityType, ScheduleKind, SourceFormat
from apps.schedule.errors import ScheduleImportRefused
from apps.schedule.models import Activity, ScheduleCalendar, ScheduleVersion, WbsNode
from apps.schedule.services import schedule_import_file
from tests.schedule.conftest import (
    SHARED_FILES,
    fixture_bytes,
    xer_table_rows,
    xml_elements,
    xml_field,
)

pytestmark = pytest.mark.django_db


def _import(project, name, kind=ScheduleKind.BASELINE, **kwargs) -> ScheduleVersion:
    return schedule_import_file(
        project=project, file_bytes=fixture_bytes(name), file_name=name, kind=kind, **kwargs
    )


@pytest.mark.parametrize("name", [n for n in SHARED_FILES if n.endswith(".xer")])
def test_every_shared_xer_imports_with_the_files_own_counts(school, name):
    data = fixture_bytes(name)
    version = _import(school, name)

    assert version.source_format == SourceFormat.XER
    assert version.counts["tables"] == xer_table_rows(data)
    task_rows = xer_table_rows(data)["TASK"]
    assert version.counts["activities"] + version.counts["refused"] == task_rows
    assert version.activities.count() == version.counts["activities"] == task_rows
    assert version.wbs_nodes.count() == xer_table_rows(data).get("PROJWBS", 0)
    codes_in_file = set(re.findall(rb"^%R\t(?:[^\t]*\t){12,13}(A\d{4})\t", data, re.M))
    assert {c.decode() for c in codes_in_file} <= set(
        version.activities.values_list("task_code", flat=True)
    )


@pytest.mark.parametrize(
    "name",
    [n for n in SHARED_FILES if n.endswith(".xml") and "project2019" not in n]
    + ["task-baselines-project2019-mspdi.xml"],
)
def test_every_shared_mspdi_file_imports_with_the_files_own_counts(school, name):
    data = fixture_bytes(name)
    tasks = xml_elements(data, "Task")
    summaries = [
        t for t in tasks if xml_field(t, "Summary") == "1" or xml_field(t, "OutlineLevel") == "0"
    ]
    blanks = [t for t in tasks if xml_field(t, "IsNull") == "1"]
    milestones = [t for t in tasks if xml_field(t, "Milestone") == "1" and t not in summaries]

    version = _import(school, name)

    assert version.source_format == SourceFormat.MSPDI
    assert version.counts["tables"]["Task"] == len(tasks)
    assert version.activities.count() == len(tasks) - len(summaries) - len(blanks)
    assert version.wbs_nodes.count() == len(summaries)
    assert version.counts["milestones"] == len(milestones)
    assert version.calendars.count() == len(xml_elements(data, "Calendar"))
    uids = {xml_field(t, "UID") for t in tasks if t not in summaries and t not in blanks}
    assert set(version.activities.values_list("task_code", flat=True)) == uids


def test_shared_pmxml_imports_with_the_files_own_counts(school):
    data = fixture_bytes("percent-complete-8.4.pmxml")
    activities = xml_elements(data, "Activity")

    version = _import(school, "percent-complete-8.4.pmxml")

    assert version.source_format == SourceFormat.PMXML
    assert version.activities.count() == len(activities) == version.counts["tables"]["Activity"]
    assert set(version.activities.values_list("task_code", flat=True)) == {
        xml_field(a, "Id") for a in activities
    }
    assert version.source_project_code == "EC00640"
    assert version.source_project_name == "Percent Complete Test"
    assert version.data_date.isoformat().startswith("2015-02-24")


def test_percent_complete_follows_p6_rules_and_matches_pmxml(school, bridge):
    """The activity names say the expected percent ("Units 25%"); the PMXML export agrees."""
    xer = _import(school, "percent-complete-8.4.xer")
    pmxml = _import(bridge, "percent-complete-8.4.pmxml")
    for activity in xer.activities.all():
        expected = Decimal(re.search(r"(\d+)%", activity.name).group(1))
        assert activity.percent_complete == expected, activity.name
        twin = pmxml.activities.get(task_code=activity.task_code)
        assert twin.percent_complete == expected
        assert twin.status == activity.status
    assert xer.activities.get(task_code="A1000").status == ActivityStatus.NOT_STARTED
    assert xer.activities.get(task_code="A1010").status == ActivityStatus.IN_PROGRESS


def test_encoding_is_detected_and_recorded(school, bridge, hospital):
    assert _import(school, "percent-complete-8.4.xer").encoding == "cp1252"
    assert _import(bridge, "TwentyFourHourCalendar.xer").encoding == "utf-8"
    assert _import(hospital, "resource-rates-test.xer").encoding == "cp1252"


def test_cp1252_names_are_preserved(school, bridge):
    version = _import(school, "slip-update-2.xer", kind=ScheduleKind.UPDATE)
    assert version.activities.get(task_code="M2000").name == "Übergabe – Bauabschnitt 1"
    assert version.activities.get(task_code="M4000").name == "Façade closed – Block B"
    handmade = _import(bridge, "handmade-wbs.xer")
    assert handmade.wbs_nodes.get(external_id="10").name == "Hand-made project – Straße 7"
    assert handmade.activities.get(task_code="HM-200").name == "Services rough-in – Haus A"


def test_hand_made_xer_with_wbs_table_and_dd_mon_yy_dates_is_read(school):
    data = fixture_bytes("handmade-wbs.xer")
    version = _import(school, "handmade-wbs.xer")

    assert version.counts["activities"] == xer_table_rows(data)["TASK"]
    assert version.counts["refused"] == 0
    assert version.source_project_code == "HANDMADE"
    assert version.data_date.date().isoformat() == "2024-01-15"
    milestone = version.activities.get(task_code="HM-210")
    assert milestone.activity_type == ActivityType.FINISH_MILESTONE
    assert milestone.planned_finish.isoformat() == "2024-02-29T16:00:00+00:00"
    assert version.activities.get(task_code="HM-100").actual_finish.date().isoformat() == (
        "2024-01-19"
    )
    assert milestone.wbs.path == "HM.MEP"
    assert {n.path for n in version.wbs_nodes.all()} == {"HM", "HM.CIV", "HM.MEP"}


def test_activity_fields_are_stored(school):
    version = _import(school, "TwentyFourHourCalendar.xer")
    activity = version.activities.get(task_code="A1000")
    assert activity.external_id == "1338401"
    assert activity.status == ActivityStatus.COMPLETE
    assert activity.actual_start.isoformat() == "2019-06-10T08:00:00+00:00"
    assert activity.actual_finish.isoformat() == "2019-06-12T17:00:00+00:00"
    assert activity.late_finish.isoformat() == "2020-12-30T08:00:00+00:00"
    assert activity.wbs.is_project_node and activity.wbs.code == "TEST"
    assert activity.calendar_external_id == "44739"
    assert activity.source_line == 41
    calendar = ScheduleCalendar.objects.get(version=version, external_id="44739")
    assert calendar.work_weekdays == [0, 1, 2, 3, 4]
    assert "2019-07-04" in calendar.holidays


def test_mspdi_slack_milestones_and_embedded_baseline(school, bridge):
    sample = _import(school, "sample.xml")
    milestone = sample.activities.get(activity_type=ActivityType.FINISH_MILESTONE)
    data = fixture_bytes("sample.xml")
    task = next(t for t in xml_elements(data, "Task") if xml_field(t, "Milestone") == "1")
    assert milestone.task_code == xml_field(task, "UID")
    assert milestone.total_float_hours == Decimal(xml_field(task, "TotalSlack")) / 600
    baselines = _import(bridge, "task-baselines-project2019-mspdi.xml")
    with_baseline = baselines.activities.exclude(baseline_finish=None)
    assert with_baseline.exists()
    assert with_baseline.filter(name__icontains="Baseline Finish").exists()


def test_format_is_sniffed_from_content_not_name(school):
    version = schedule_import_file(
        project=school,
        file_bytes=fixture_bytes("sample.xml"),
        file_name="looks-like-p6.xer",
        kind=ScheduleKind.BASELINE,
    )
    assert version.source_format == SourceFormat.MSPDI


def test_same_file_twice_returns_the_existing_version(school):
    first = _import(school, "percent-complete-8.4.xer")
    again = _import(school, "percent-complete-8.4.xer")
    assert again.pk == first.pk and again.already_imported and not first.already_imported
    assert ScheduleVersion.objects.count() == 1
    assert Activity.objects.count() == first.counts["activities"]


def test_import_is_audited(school, ada):
    version = _import(school, "percent-complete-8.4.xer", actor=ada)
    entry = AuditEntry.objects.get(action="schedule.imported")
    assert entry.actor == ada and entry.target_id == str(version.pk)
    assert entry.detail["counts"]["activities"] == version.counts["activities"]


def test_large_batches_are_written_in_one_version(school, monkeypatch):
    """More activities than one batch: every one arrives (batches are flushed, none lost)."""
    from apps.schedule import services

    monkeypatch.setattr(services, "ACTIVITY_BATCH_SIZE", 5)
    version = _import(school, "percent-complete-8.4.xer")
    assert version.activities.count() == 12
    assert WbsNode.objects.filter(version=version).count() == 1
    assert version.activities.filter(wbs__isnull=True).count() == 0


def test_baseline_project_inside_an_xer_is_left_out_automatically(school):
    """P6 can export a project with its baseline project; the baseline (sum_base_proj_id) is
    not imported as the project, and its rows are skipped with a warning."""
    data = fixture_bytes("percent-complete-8.4.xer")
    lines = data.split(b"\n")
    fields_line = next(line for line in lines if line.startswith(b"%F\tproj_id"))
    base_column = fields_line.split(b"\t")[1:].index(b"sum_base_proj_id")
    row_at = next(i for i, line in enumerate(lines) if line.startswith(b"%R\t4507\t"))
    current = lines[row_at].split(b"\t")
    current[1 + base_column] = b"4599"
    baseline = list(current)
    baseline[1], baseline[1 + base_column] = b"4599", b""
    lines[row_at] = b"\t".join(current)
    lines.insert(row_at + 1, b"\t".join(baseline).replace(b"EC00640", b"EC00640-BL"))
    task_row = next(line for line in lines if line.startswith(b"%R\t101717"))
    baseline_task = task_row.replace(b"%R\t101717\t4507", b"%R\t991717\t4599")
    end = lines.index(b"%E")
    lines.insert(end, baseline_task.replace(b"A1000", b"A1000-BL"))
    version = schedule_import_file(
        project=school, file_bytes=b"\n".join(lines), file_name="with-bl.xer", kind="update"
    )
    assert version.source_project_code == "EC00640"
    assert version.activities.count() == 12
    assert not version.activities.filter(task_code="A1000-BL").exists()
    messages = " ".join(w["message"] for w in version.warnings)
    assert "EC00640-BL" in messages and "1 rows belong to other projects" in messages


def test_utf8_with_byte_order_mark_is_read(school):
    text = fixture_bytes("percent-complete-8.4.xer").decode("cp1252")
    version = schedule_import_file(
        project=school,
        file_bytes=b"\xef\xbb\xbf" + text.encode("utf-8"),
        file_name="bom.xer",
        kind="baseline",
    )
    assert version.encoding == "utf-8-sig" and version.source_version == "8.4"
    assert version.activities.count() == 12


def test_pmxml_with_several_projects_needs_a_choice(school):
    data = fixture_bytes("percent-complete-8.4.pmxml")
    start, end = data.index(b"<Project>"), data.index(b"</Project>") + len(b"</Project>")
    second = data[start:end].replace(b"<Id>EC00640</Id>", b"<Id>EC00641</Id>")
    doubled = data[:end] + b"\n" + second + data[end:]
    with pytest.raises(ScheduleImportRefused) as caught:
        schedule_import_file(project=school, file_bytes=doubled, file_name="two.xml", kind="update")
    assert caught.value.code == "schedule_several_projects"
    assert "EC00640" in caught.value.message and "EC00641" in caught.value.message
    version = schedule_import_file(
        project=school,
        file_bytes=doubled,
        file_name="two.xml",
        kind="update",
        source_project="EC00641",
    )
    assert version.source_project_code == "EC00641"
    assert version.activities.count() == len(xml_elements(data, "Activity"))
