import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.documents.choices import DocumentKind, StatusMeaning
from apps.documents.models import Document
from apps.reports.document_status import document_status_report
from apps.reports.filters import ReportFilters

# Relative to the real clock: the pages compute ages and overdue days from it.
NOW = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)
TODAY = NOW.date()


def doc(project, kind, number, meaning, *, age_days, due=None, refs=(), known=True, received=None):
    return Document.objects.create(
        project=project,
        kind=kind,
        external_id=number,
        number=number,
        title=f"Title {number}",
        status_code=meaning.upper(),
        status_label=meaning,
        status_meaning=meaning,
        status_known=known,
        status_changed_at=NOW - timedelta(days=age_days),
        received_on=received or TODAY - timedelta(days=age_days),
        review_due_on=due,
        procurement_refs=list(refs),
    )


@pytest.fixture
def documents(school, bridge):
    """Submittals: S-1 in review 3 days (due in 5), S-2 in review 12 days (overdue by 2, blocks
    PO line), S-3 approved 40 days (linked, releasing), S-4 revise-resubmit 100 days (blocks).
    Drawings: D-1 shared 2 days, D-2 in review 20 days (overdue by 10). An RFI in review linked
    to procurement also blocks (any kind can). The bridge has an overdue submittal
    pat cannot see."""
    s, d = DocumentKind.SUBMITTAL, DocumentKind.DRAWING
    return {
        "S-1": doc(school, s, "S-1", StatusMeaning.IN_REVIEW, age_days=3, due=TODAY + timedelta(5)),
        "S-2": doc(
            school,
            s,
            "S-2",
            StatusMeaning.IN_REVIEW,
            age_days=12,
            due=TODAY - timedelta(2),
            refs=["PO-1/1"],
        ),
        "S-3": doc(school, s, "S-3", StatusMeaning.APPROVED, age_days=40, refs=["PO-1/2"]),
        "S-4": doc(school, s, "S-4", StatusMeaning.REVISE_RESUBMIT, age_days=100, refs=["PO-2/1"]),
        "D-1": doc(school, d, "D-1", StatusMeaning.SHARED, age_days=2),
        "D-2": doc(
            school, d, "D-2", StatusMeaning.IN_REVIEW, age_days=20, due=TODAY - timedelta(10)
        ),
        "R-1": doc(
            school, DocumentKind.RFI, "R-1", StatusMeaning.IN_REVIEW, age_days=1, refs=["X"]
        ),
        "B-1": doc(
            bridge, s, "B-1", StatusMeaning.IN_REVIEW, age_days=30, due=TODAY - timedelta(9)
        ),
    }


@pytest.mark.django_db
def test_status_and_age_overdue_and_blocking_from_a_known_fixture(pat, documents):
    report = document_status_report(user=pat, filters=ReportFilters(), today=TODAY, now=NOW)
    cells = {(r["kind_key"], r["meaning"]): r["cells"] for r in report["rows"]}
    assert cells == {
        ("submittal", "in_review"): [1, 1, 0, 0],
        ("submittal", "approved"): [0, 0, 1, 0],
        ("submittal", "revise_resubmit"): [0, 0, 0, 1],
        ("drawing", "shared"): [1, 0, 0, 0],
        ("drawing", "in_review"): [0, 1, 0, 0],
    }
    assert report["total"] == 6
    assert [(d.number, d.days_overdue) for d in report["overdue"]] == [("D-2", 10), ("S-2", 2)]
    assert {d.number for d in report["blocking"]} == {"S-2", "S-4", "R-1"}


@pytest.mark.django_db
def test_period_filters_by_date_received(pat, documents):
    filters = ReportFilters(date_from=TODAY - timedelta(days=15), date_to=TODAY)
    report = document_status_report(user=pat, filters=filters, today=TODAY, now=NOW)
    assert report["total"] == 3  # S-1, S-2, D-1
    assert [d.number for d in report["overdue"]] == ["S-2"]


@pytest.mark.django_db
def test_page_links_each_figure_to_its_documents(pat, client_for, documents):
    html = client_for(pat).get("/reports/documents/").content.decode()
    assert 'data-plotly-figure="fig-documents"' in html
    assert 'href="/documents/?kind=submittal&amp;meaning=in_review"' in html
    for number in ("S-2", "D-2", "S-4", "R-1"):
        assert f'href="/documents/{documents[number].pk}/"' in html
    assert f'href="/documents/{documents["B-1"].pk}/"' not in html
    assert 'id="kpi-overdue">2</div>' in html


@pytest.mark.django_db
def test_export_matches_the_page(fiona, client_for, documents):
    client = client_for(fiona)
    response = client.get("/reports/documents/?format=csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["Kind"], r["Status"], r["Total"]) for r in rows] == [
        ("Submittal", "Issued for review", "2"),
        ("Submittal", "Approved / authorised", "1"),
        ("Submittal", "Revise and resubmit", "1"),
        ("Drawing", "Shared for coordination / information", "1"),
        ("Drawing", "Issued for review", "1"),
    ]
    html = client.get("/reports/documents/").content.decode()
    table = html[html.index('id="documents-status-age"') :]
    for row in rows:
        assert f"{row['Status']}</a>" in table
    assert sum(int(r["Total"]) for r in rows) == 6
    assert rows[0]["8–30 days"] == "1"


@pytest.mark.django_db
def test_document_report_needs_pmo_or_finance(rob, client_for):
    assert client_for(rob).get("/reports/documents/").status_code == 403
