import csv
import io

import pytest


@pytest.mark.django_db
def test_cash_flow_api_gives_the_exports_figures(pat, client_for, api_client_for, cash):
    body = api_client_for(pat).get("/api/v1/reports/cash-flow/?from=2026-02-01").json()
    exported = list(
        csv.DictReader(
            io.StringIO(
                client_for(pat)
                .get("/reports/cash-flow/?from=2026-02-01&format=csv")
                .content.decode()
            )
        )
    )
    labels = [column["label"] for column in body["columns"]]
    assert [[str(row[c["key"]]) for c in body["columns"]] for row in body["rows"]] == [
        [row[label] for label in labels] for row in exported
    ]
    march = next(row for row in body["rows"] if row["month"] == "2026-03")
    assert (march["planned_cum"], march["shift_cum"]) == ("35000.00", "-20000.00")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "commitments-vs-budget",
        "cash-flow",
        "schedule-health",
        "documents",
        "procurement-pipeline",
    ],
)
def test_report_apis_need_pmo_or_finance(path, fiona, rob, ada, api_client_for, school):
    assert api_client_for(fiona).get(f"/api/v1/reports/{path}/").status_code == 200
    assert api_client_for(rob).get(f"/api/v1/reports/{path}/").status_code == 403
    assert api_client_for(ada).get(f"/api/v1/reports/{path}/").status_code == 403


@pytest.mark.django_db
def test_report_api_is_project_scoped_and_reports_bad_filters(pat, api_client_for, cash):
    client = api_client_for(pat)
    assert client.get("/api/v1/reports/cash-flow/?project=BRG-003").json()["rows"] == []
    body = client.get("/api/v1/reports/procurement-pipeline/?from=soon").json()
    assert body["warnings"] == ["From 'soon' is not a date (YYYY-MM-DD); ignored."]
    stages = {row["stage"]: row for row in body["rows"]}
    assert stages["POs and subcontracts committed"]["amount"] == "35000.00"
