"""The document register: configurable status sets (ISO 19650 NA 2018/2021 presets, submittal
response tables), applying platform resources (documents, revisions, statuses, derived events),
review due dates and transmittals."""

from __future__ import annotations

from datetime import date

import pytest

from apps.audit.models import AuditEntry
from apps.connectors.models import System
from apps.core.errors import ApplicationError
from apps.documents.choices import DocumentEventKind, RevisionKind, StatusMeaning
from apps.documents.models import (
    Document,
    DocumentEvent,
    DocumentStatusChange,
    StatusCode,
    StatusSet,
)
from apps.documents.presets import NA_2018, NA_2021, PROCORE_RESPONSES
from apps.documents.revision_codes import revision_code_parse, revision_is_newer
from apps.documents.selectors import document_events_releasing, document_overdue_reviews
from apps.documents.services import (
    document_apply_resource,
    project_document_settings_get,
    project_document_settings_update,
    status_code_resolve,
    transmittal_create,
    transmittal_transition,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def procore(db) -> System:
    return System.objects.create(code="procore", name="Procore", kind="document_control")


def _submittal(**fields) -> dict:
    return {
        "kind": "submittal",
        "external_id": "5001",
        "document_external_id": "5001",
        "number": "03 30 00-1",
        "title": "Concrete mix design",
        "spec_section": "03 30 00",
        "revision": "0",
        "status": "Open",
        "response": "",
        "received_at": "2025-03-03",
        "due_date": "2025-03-14",
        "updated_at": "2025-03-03T09:00:00Z",
        "procurement_refs": ["REQ-SCH-7/1"],
        **fields,
    }


def _drawing(revision: str, updated_at: str, **fields) -> dict:
    return {
        "kind": "drawing_revision",
        "external_id": f"rev-{revision}",
        "document_external_id": "drw-101",
        "number": "SCH-ARC-A-101",
        "title": "Ground floor plan",
        "revision": revision,
        "status": "S2",
        "is_current": None,
        "updated_at": updated_at,
        **fields,
    }


def test_presets_ship_both_annexes_and_the_procore_response_table():
    na2018 = StatusSet.objects.get(code=NA_2018)
    na2021 = StatusSet.objects.get(code=NA_2021)
    assert StatusCode.objects.get(status_set=na2018, code="S5").withdrawn
    assert not StatusCode.objects.get(status_set=na2018, code="S6").withdrawn
    assert StatusCode.objects.get(status_set=na2021, code="S5").meaning == StatusMeaning.IN_REVIEW
    assert all(
        StatusCode.objects.get(status_set=na2021, code=code).withdrawn
        for code in ("S6", "S7", "CR")
    )
    assert (
        StatusCode.objects.filter(status_set=na2021, code__startswith="B", deprecated=True).count()
        == 7
    )
    assert StatusCode.objects.filter(status_set=na2021, code="A0").exists()
    assert not StatusCode.objects.filter(status_set=na2018, code="A0").exists()
    assert StatusSet.objects.get(code=PROCORE_RESPONSES).kind == "response"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("R&R", "REVISE_AND_RESUBMIT"),
        ("Revise & Resubmit", "REVISE_AND_RESUBMIT"),
        ("revise and resubmit", "REVISE_AND_RESUBMIT"),
        ("AAN", "APPROVED_AS_NOTED"),
        ("Approved as Noted", "APPROVED_AS_NOTED"),
        ("a", "APPROVED"),
        ("No Exceptions Taken", "NO_EXCEPTIONS_TAKEN"),
    ],
)
def test_submittal_responses_resolve_through_the_table_whatever_the_spelling(raw, code):
    table = StatusSet.objects.get(code=PROCORE_RESPONSES)
    assert status_code_resolve(status_set=table, raw=raw).code == code


def test_response_not_in_the_table_does_not_resolve():
    table = StatusSet.objects.get(code=PROCORE_RESPONSES)
    assert status_code_resolve(status_set=table, raw="Approved subject to site check") is None


def test_the_same_code_means_what_the_projects_status_set_says(school, bridge, procore, ada):
    project_document_settings_update(
        project=bridge,
        actor=ada,
        status_set=StatusSet.objects.get(code=NA_2018),
        response_set=StatusSet.objects.get(code=PROCORE_RESPONSES),
        review_days=10,
    )
    on_2021 = document_apply_resource(
        project=school,
        system=procore,
        resource=_drawing("P01", "2025-01-01T00:00:00Z", status="S6"),
    )
    on_2018 = document_apply_resource(
        project=bridge,
        system=procore,
        resource=_drawing(
            "P01", "2025-01-01T00:00:00Z", status="S6", document_external_id="drw-bridge"
        ),
    )
    # NA 2021 withdrew S6: the register keeps it but flags it; NA 2018 knows it.
    assert on_2021.document.status_known is False
    assert [w["code"] for w in on_2021.warnings] == ["unknown_status"]
    assert on_2018.document.status_known is True
    assert on_2018.document.status_meaning == StatusMeaning.IN_REVIEW


def test_a_custom_status_set_chosen_for_a_project_is_used(school, procore, ada):
    custom = StatusSet.objects.create(code="acme", name="ACME codes", kind="custom")
    StatusCode.objects.create(
        status_set=custom,
        code="IFC",
        label="Issued for construction",
        state="published",
        meaning=StatusMeaning.APPROVED,
    )
    project_document_settings_update(
        project=school, actor=ada, status_set=custom, response_set=None, review_days=5
    )
    result = document_apply_resource(
        project=school,
        system=procore,
        resource=_drawing("C01", "2025-01-01T00:00:00Z", status="ifc"),
    )
    assert result.document.status_code == "IFC"
    assert result.document.status_meaning == StatusMeaning.APPROVED
    assert [event.kind for event in result.events] == [
        DocumentEventKind.REVISION_ISSUED,
        DocumentEventKind.DOCUMENT_APPROVED,
    ]
    assert AuditEntry.objects.filter(action="documents.settings.update").count() == 1


def test_settings_refuse_a_response_table_as_status_set(school, ada):
    with pytest.raises(ApplicationError):
        project_document_settings_update(
            project=school,
            actor=ada,
            status_set=StatusSet.objects.get(code=PROCORE_RESPONSES),
            response_set=None,
            review_days=10,
        )


def test_approved_submittal_linked_to_procurement_derives_one_release_event(school, procore):
    document_apply_resource(project=school, system=procore, resource=_submittal(), transaction_id=1)
    approved = _submittal(
        status="Closed", response="Approved as Noted", updated_at="2025-03-10T15:00:00Z"
    )
    result = document_apply_resource(
        project=school, system=procore, resource=approved, transaction_id=2
    )
    document = result.document
    assert document.status_code == "APPROVED_AS_NOTED"
    assert document.status_meaning == StatusMeaning.APPROVED_AS_NOTED
    assert document.responded_at is not None
    assert [event.kind for event in result.events] == [DocumentEventKind.SUBMITTAL_APPROVED]
    event = result.events[0]
    assert event.procurement_refs == ["REQ-SCH-7/1"]
    assert event.detail["releases_procurement"] is True
    assert list(document_events_releasing()) == [event]

    # The same delivery again (a replay) changes nothing and derives nothing.
    again = document_apply_resource(
        project=school, system=procore, resource=approved, transaction_id=3
    )
    assert again.events == []
    assert DocumentEvent.objects.filter(kind=DocumentEventKind.SUBMITTAL_APPROVED).count() == 1
    assert list(
        DocumentStatusChange.objects.filter(document=document).values_list("from_code", "to_code")
    ) == [("OPEN", "APPROVED_AS_NOTED"), ("", "OPEN")]


def test_revise_and_resubmit_then_rejected_each_derive_their_event(school, procore):
    document_apply_resource(project=school, system=procore, resource=_submittal())
    first = document_apply_resource(
        project=school,
        system=procore,
        resource=_submittal(response="R&R", updated_at="2025-03-05T00:00:00Z"),
    )
    second = document_apply_resource(
        project=school,
        system=procore,
        resource=_submittal(revision="1", response="REJ", updated_at="2025-03-20T00:00:00Z"),
    )
    assert [e.kind for e in first.events] == [DocumentEventKind.SUBMITTAL_REVISE_RESUBMIT]
    assert [e.kind for e in second.events] == [DocumentEventKind.SUBMITTAL_REJECTED]
    assert second.document.current_revision == "1"
    assert list(document_events_releasing()) == []


def test_new_drawing_revision_is_issued_and_supersedes_the_current_one(school, procore):
    first = document_apply_resource(
        project=school, system=procore, resource=_drawing("P01", "2025-01-01T00:00:00Z")
    )
    second = document_apply_resource(
        project=school,
        system=procore,
        resource=_drawing("C01", "2025-02-01T00:00:00Z", status="A4"),
    )
    assert [e.kind for e in first.events] == [DocumentEventKind.REVISION_ISSUED]
    assert sorted(e.kind for e in second.events) == sorted(
        [
            DocumentEventKind.REVISION_ISSUED,
            DocumentEventKind.REVISION_SUPERSEDED,
            DocumentEventKind.DOCUMENT_APPROVED,
        ]
    )
    document = Document.objects.get()
    assert document.current_revision == "C01"
    old = document.revisions.get(code="P01")
    assert old.is_current is False and old.superseded_by.code == "C01"
    assert document.revisions.get(code="C01").kind == RevisionKind.CONTRACTUAL


def test_an_older_revision_arriving_late_is_kept_but_not_made_current(school, procore):
    document_apply_resource(
        project=school, system=procore, resource=_drawing("P02", "2025-02-01T00:00:00Z")
    )
    late = document_apply_resource(
        project=school, system=procore, resource=_drawing("P01", "2025-02-02T00:00:00Z")
    )
    assert late.document.current_revision == "P02"
    assert [w["code"] for w in late.warnings] == ["older_revision"]
    assert late.document.revisions.count() == 2


def test_an_older_snapshot_is_recorded_as_stale_and_not_applied(school, procore):
    document_apply_resource(
        project=school,
        system=procore,
        resource=_submittal(response="Approved", updated_at="2025-03-10T00:00:00Z"),
    )
    stale = document_apply_resource(
        project=school,
        system=procore,
        resource=_submittal(response="", status="Open", updated_at="2025-03-04T00:00:00Z"),
    )
    assert stale.stale is True
    assert Document.objects.get().status_code == "APPROVED"


def test_review_due_dates_come_from_the_platform_or_the_project_period(school, procore, ada, pat):
    document_apply_resource(project=school, system=procore, resource=_submittal())
    settings_row = project_document_settings_get(project=school)
    settings_row.review_days = 7
    settings_row.save()
    no_due = document_apply_resource(
        project=school,
        system=procore,
        resource=_submittal(document_external_id="5002", external_id="5002", due_date=None),
    )
    assert Document.objects.get(external_id="5001").review_due_on == date(2025, 3, 14)
    assert no_due.document.review_due_on == date(2025, 3, 10)  # received 3 March + 7 days
    overdue = document_overdue_reviews(user=ada, today=date(2025, 3, 12))
    assert [doc.external_id for doc in overdue] == ["5002"]
    assert document_overdue_reviews(user=pat, today=date(2025, 3, 20)) != []


def test_revision_codes_order_wip_shared_then_contractual():
    assert revision_code_parse("P01.01").kind == RevisionKind.WORK_IN_PROGRESS
    assert revision_code_parse("P01").kind == RevisionKind.PRELIMINARY
    assert revision_code_parse("C01").kind == RevisionKind.CONTRACTUAL
    ordered = ["2", "10", "P01.01", "P01.02", "P01", "P02.01", "P02", "C01", "C02"]
    assert sorted(ordered, key=lambda code: revision_code_parse(code).sort_key) == ordered
    assert revision_is_newer("P01", "")
    assert not revision_is_newer("P01.02", "P01")


def test_transmittal_carries_current_revisions_and_moves_through_its_states(
    school, bridge, procore, ada
):
    result = document_apply_resource(
        project=school, system=procore, resource=_drawing("P01", "2025-01-01T00:00:00Z")
    )
    transmittal = transmittal_create(
        project=school,
        actor=ada,
        number="TR-0001",
        subject="Ground floor for review",
        purpose="for_review",
        to_party="Architect",
        documents=[result.document],
    )
    assert transmittal.items.get().revision.code == "P01"
    transmittal_transition(transmittal=transmittal, actor=ada, to_status="sent")
    assert transmittal.sent_on is not None
    with pytest.raises(ApplicationError):
        transmittal_transition(transmittal=transmittal, actor=ada, to_status="draft")
    with pytest.raises(ApplicationError):
        transmittal_create(
            project=bridge,
            actor=ada,
            number="TR-1",
            subject="x",
            purpose="for_review",
            to_party="x",
            documents=[result.document],
        )
    assert AuditEntry.objects.filter(action__startswith="documents.transmittal").count() == 2


def test_unsupported_resources_are_refused(school, procore):
    with pytest.raises(ApplicationError):
        document_apply_resource(project=school, system=procore, resource={"kind": "change_event"})


def test_first_revision_the_register_sees_is_current_even_if_the_platform_moved_on(school, procore):
    result = document_apply_resource(
        project=school,
        system=procore,
        resource=_drawing("P01", "2025-01-01T00:00:00Z", is_current=False, status="S3"),
    )
    document = result.document
    assert document.current_revision == "P01"
    assert document.status_code == "S3"
    assert document.revisions.get(code="P01").is_current


def test_a_late_snapshot_of_an_old_revision_does_not_change_the_documents_status(school, procore):
    document_apply_resource(
        project=school,
        system=procore,
        resource=_drawing("C01", "2025-02-01T00:00:00Z", status="A4"),
    )
    late = document_apply_resource(
        project=school,
        system=procore,
        resource=_drawing("P02", "2025-02-02T00:00:00Z", is_current=False, status="S3"),
    )
    assert late.document.status_code == "A4"
    assert late.document.current_revision == "C01"
    assert late.document.revisions.get(code="P02").status_code == "S3"


def test_overdue_reviews_open_one_hold_each_and_an_answer_resolves_it(school, procore):
    from apps.documents.services import document_review_hold_resolve, document_reviews_overdue_flag
    from apps.exceptions.models import ExceptionItem

    overdue = document_apply_resource(
        project=school, system=procore, resource=_submittal()
    ).document
    document_apply_resource(
        project=school,
        system=procore,
        resource=_submittal(document_external_id="6", external_id="6", due_date="2025-04-30"),
    )
    assert document_reviews_overdue_flag(today=date(2025, 3, 20)) == {
        "opened": 1,
        "already_open": 0,
    }
    assert document_reviews_overdue_flag(today=date(2025, 3, 21)) == {
        "opened": 0,
        "already_open": 1,
    }
    item = ExceptionItem.objects.get(category="document_hold")
    assert item.occurrences == 1 and "REQ-SCH-7/1" in item.reason
    assert item.project == school

    assert document_review_hold_resolve(document=overdue) is False  # still in review
    answered = document_apply_resource(
        project=school,
        system=procore,
        resource=_submittal(response="Approved", updated_at="2025-03-22T00:00:00Z"),
    ).document
    assert document_review_hold_resolve(document=answered) is True
    item.refresh_from_db()
    assert item.status == "resolved"


def test_overdue_review_schedule_is_declared():
    from apps.core.schedules import collect_schedules

    names = {spec.name: spec for spec in collect_schedules()}
    assert names["documents-overdue-reviews"].func == "apps.documents.tasks.reviews_overdue_flag"


def test_documents_blocking_procurement_are_the_unapproved_ones_with_lines(school, procore, ada):
    from apps.documents.selectors import document_blocking_procurement

    waiting = document_apply_resource(
        project=school, system=procore, resource=_submittal()
    ).document
    document_apply_resource(
        project=school,
        system=procore,
        resource=_submittal(external_id="7", document_external_id="7", response="Approved"),
    )
    document_apply_resource(
        project=school,
        system=procore,
        resource=_submittal(external_id="8", document_external_id="8", procurement_refs=[]),
    )
    assert list(document_blocking_procurement(user=ada)) == [waiting]
