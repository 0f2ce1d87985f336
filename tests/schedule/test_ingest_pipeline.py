"""Schedule files through the ledger: file ingest → pipeline "schedule" handler → version, with the
slip events as children of the file's transaction; and the p6/scheduling connector."""

from __future__ import annotations

import pytest

from apps.connectors.errors import InvalidEventError
from apps.connectors.registry import connector_for
from apps.ledger.models import Transaction
from apps.schedule.choices import ScheduleKind
from apps.schedule.models import MilestoneSlip, ScheduleVersion
from apps.schedule.services import schedule_import_file
from apps.sync.handlers import handler_for
from tests.ledger.test_ingest import post_file
from tests.schedule.conftest import SLIP_FILES, fixture_bytes, xer_table_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def p6_system(system_factory):
    return system_factory("p6-site", kind="scheduling", connector="p6")


def _post(client, name, data=None, **fields):
    content = data if data is not None else fixture_bytes(name)
    response = post_file(client, "p6-site", fields, name, content)
    assert response.status_code == 202, response.content
    return Transaction.objects.get(id=response.json()["transaction_id"])


def test_posted_update_is_imported_and_its_slip_events_are_children(
    client, p6_system, school, run_pipeline
):
    schedule_import_file(
        project=school,
        file_bytes=fixture_bytes(SLIP_FILES[0]),
        file_name=SLIP_FILES[0],
        kind=ScheduleKind.BASELINE,
    )
    tx = _post(client, SLIP_FILES[2], project="SCH-001", kind="update")
    assert (tx.domain, tx.operation) == ("schedule", "import")
    (tx,) = run_pipeline(tx)
    assert tx.status not in ("failed", "held", "dead", "retrying"), tx.last_error_message
    version = ScheduleVersion.objects.get(ledger_transaction_id=tx.id)
    assert version.kind == "update" and version.project == school
    assert version.counts["activities"] == xer_table_rows(fixture_bytes(SLIP_FILES[2]))["TASK"]
    events = Transaction.objects.filter(domain="milestone", operation="slipped")
    assert sorted(events.values_list("reference", flat=True)) == ["M2000", "M3000"]
    assert set(events.values_list("parent_id", flat=True)) == {tx.id}
    assert set(events.values_list("system_id", flat=True)) == {p6_system.id}
    assert set(events.values_list("correlation_id", flat=True)) == {tx.correlation_id}
    assert MilestoneSlip.objects.filter(version=version, event_emitted=True).count() == 2


def test_posted_bad_file_fails_with_the_line(client, p6_system, school, run_pipeline):
    data = fixture_bytes("percent-complete-8.4.xer")
    cut = data[: data.index(b"%R\t101722")]
    tx = _post(client, "cut.xer", data=cut, project="SCH-001")
    (tx,) = run_pipeline(tx)
    assert tx.status == "failed"
    assert "%E end marker" in tx.last_error_message and "line " in tx.last_error_message
    assert not ScheduleVersion.objects.exists()


def test_posted_file_for_an_unknown_project_is_held(client, p6_system, db, run_pipeline):
    tx = _post(client, "sample.xml", project="NOWHERE-9")
    (tx,) = run_pipeline(tx)
    assert tx.status == "held"
    assert "NOWHERE-9" in tx.last_error_message
    assert not ScheduleVersion.objects.exists()


def test_connector_and_handler_are_registered(p6_system, system_factory):
    assert connector_for(p6_system).name == "p6"
    generic_kind = system_factory("other-sched", kind="scheduling", connector="")
    assert connector_for(generic_kind).name == "scheduling"
    assert handler_for("schedule").__class__.__name__ == "ScheduleFileHandler"
    assert connector_for(p6_system).health().ok


def test_connector_reads_a_file_without_storing_it(p6_system):
    summary = connector_for(p6_system).file_parse(
        content=fixture_bytes("slip-update-1.xer"), file_name="u1.xer"
    )
    assert summary["format"] == "xer" and summary["encoding"] == "cp1252"
    assert summary["activities"] == 16 and summary["milestones"] == 4
    assert summary["source_project"] == "EC00640" and summary["data_date"].startswith("2024-02-05")
    assert summary["tables"]["TASK"] == 16
    assert not ScheduleVersion.objects.exists()
    with pytest.raises(InvalidEventError) as caught:
        connector_for(p6_system).file_parse(content=b"ERMHDR\t8.4\n%T\tTASK\n", file_name="x.xer")
    assert caught.value.code == "schedule_truncated"
    assert caught.value.details == {"line": 2, "file_name": "x.xer"}


def test_connector_parses_scheduling_webhooks(p6_system):
    connector = connector_for(p6_system)
    event = connector.parse_event(
        headers={"webhook-id": "msg_1"},
        payload={
            "type": "milestone.updated",
            "timestamp": "2024-03-01T10:00:00Z",
            "data": {"project": "SCH-001", "task_code": "M2000", "finish": "29-MAR-24"},
        },
    )
    assert (event.domain, event.operation) == ("milestone", "updated")
    assert event.idempotency_key == "msg_1" and event.external_id == "SCH-001:M2000"
    assert event.payload["finish"] == "2024-03-29T00:00:00+00:00"
    published = connector.parse_event(
        headers={},
        payload={
            "type": "schedule.published",
            "data": {"project": "SCH-001", "kind": "baseline", "event_id": "e-9"},
        },
    )
    assert published.idempotency_key == "schedule.published:e-9"
    assert published.payload["kind"] == "baseline"
    for bad in (
        [],
        {"type": "invoice.paid", "data": {}},
        {"type": "milestone.updated", "data": {"project": "SCH-001"}},
        {"type": "milestone.updated", "data": {"task_code": "M1"}},
        {"type": "milestone.updated", "data": {"project": "P", "task_code": "M", "finish": "soon"}},
        {"type": "schedule.published", "data": {"project": "P", "kind": "forecast"}},
    ):
        with pytest.raises(InvalidEventError):
            connector.parse_event(headers={"webhook-id": "m"}, payload=bad)


def test_slip_events_pass_through_the_pipeline(school, run_pipeline):
    for index, name in enumerate(SLIP_FILES[:3]):
        schedule_import_file(
            project=school,
            file_bytes=fixture_bytes(name),
            file_name=name,
            kind=ScheduleKind.BASELINE if index == 0 else ScheduleKind.UPDATE,
        )
    events = list(Transaction.objects.filter(domain="milestone", operation="slipped"))
    assert len(events) == 2
    for event in run_pipeline(*events):
        assert event.status not in ("failed", "held", "dead", "retrying"), event.last_error_message
        assert event.project_id == school.pk
