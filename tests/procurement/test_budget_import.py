"""Budget import from estimating (CSV and XLSX): validated row by row, refused rows reported with
their reasons, accepted rows set the original budget."""

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from apps.audit.models import AuditEntry
from apps.core.errors import ApplicationError
from apps.procurement.models import BudgetImport
from apps.procurement.services import budget_import_run
from apps.projects.models import BudgetLine, Project

D = Decimal

GOOD_AND_BAD = """Project,Phase,Cost Code,Description,Amount
SCH-001,P1,03 31 13,Foundations concrete,"215,000.00"
SCH-001,P3,22 11 16,Domestic water piping,48000
SCH-001,P9,03 31 13,Unknown phase,1000
SCH-001,P1,99 99 99,Unknown cost code,1000
NOPE-1,P1,03 31 13,Unknown project,1000
SCH-001,P2,05 12 23,Negative,-5
SCH-001,P2,05 12 23,Too precise,10.005
SCH-001,P2,05 12 23,Words,twelve
SCH-001,P1,03 31 13,Same line again,1
,,,,
BRG-003,P1,03 31 13,Someone else's project,1000
"""


def read_rows(budget_import):
    return {row.row_number: row for row in budget_import.rows.all()}


def test_csv_import_applies_good_rows_and_reports_each_refusal(school_budget, fiona, bridge):
    result = budget_import_run(content=GOOD_AND_BAD.encode(), file_name="estimate.csv", actor=fiona)
    assert (result.total_rows, result.accepted_rows, result.refused_rows) == (10, 2, 8)
    rows = read_rows(result)
    assert rows[2].outcome == "accepted" and rows[2].previous_amount == D("200000.00")
    assert rows[2].new_amount == D("215000.00")
    assert rows[3].outcome == "accepted" and rows[3].previous_amount is None
    assert rows[4].reasons == ["project SCH-001 has no phase 'P9'"]
    assert rows[5].reasons == ["unknown cost code '99 99 99'"]
    assert rows[6].reasons == ["unknown project 'NOPE-1'"]
    assert "negative" in rows[7].reasons[0]
    # A key repeated in the file is ambiguous even when the earlier row was refused itself.
    assert rows[8].reasons == [
        "amount 10.005 has more decimals than EUR allows (2)",
        "duplicate of row 7 (same project, phase and cost code)",
    ]
    assert "is not a number" in rows[9].reasons[0]
    assert rows[10].reasons == ["duplicate of row 2 (same project, phase and cost code)"]
    # Row 11 is blank and skipped; row 12 names a project fiona is not a member of.
    assert 11 not in rows
    assert rows[12].reasons == ["unknown project 'BRG-003'"]
    assert school_budget.line("P1", "03 31 13").original_amount == D("215000.00")
    new_line = BudgetLine.objects.get(project=school_budget.project, cost_code__code="22 11 16")
    assert new_line.original_amount == D("48000.00") and new_line.phase.code == "P3"
    audit = AuditEntry.objects.get(action="budget.import")
    assert audit.detail["accepted"] == 2 and audit.detail["refused"] == 8


def test_xlsx_import_with_numbers_and_a_dry_run(school_budget, fiona):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["project", "phase", "cost_code", "description", "amount", "currency"])
    sheet.append(["SCH-001", "P3", "26 05 19", "Cables", 95500.5])
    sheet.append(["SCH-001", "P3", "09 21 16", "Boards", 130000, "USD"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    content = buffer.getvalue()

    dry = budget_import_run(content=content, file_name="plan.xlsx", actor=fiona, dry_run=True)
    assert dry.status == "validated" and dry.file_format == "xlsx"
    assert school_budget.line("P3", "26 05 19").original_amount == D("90000.00")
    rows = read_rows(dry)
    assert rows[2].outcome == "accepted" and rows[2].new_amount == D("95500.50")
    assert rows[3].reasons == ["currency USD differs from the project's EUR"]

    applied = budget_import_run(content=content, file_name="plan.xlsx", actor=fiona)
    assert applied.status == "applied"
    assert school_budget.line("P3", "26 05 19").original_amount == D("95500.50")


def test_semicolon_csv_with_bom_and_aliases(school_budget, fiona):
    content = "\ufeffJob;Phase code;CostCode;Desc;Budget\nSCH-001;P1;31 23 16;Excavation;81000\n"
    result = budget_import_run(content=content.encode("utf-8"), file_name="x.csv", actor=fiona)
    assert result.accepted_rows == 1
    assert school_budget.line("P1", "31 23 16").original_amount == D("81000.00")


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (b"", "empty.csv", "empty_file"),
        (b"project,phase,amount\nSCH-001,P1,1\n", "short.csv", "missing_columns"),
        (b"project,phase,cost code,description,amount\n", "header-only.csv", "empty_file"),
        (b"%PDF-1.4", "budget.pdf", "unsupported_format"),
        (b"PK\x03\x04not really a zip", "broken.xlsx", "unreadable_file"),
    ],
)
def test_unusable_files_are_refused_with_a_reason(school_budget, fiona, content, name, code):
    with pytest.raises(ApplicationError) as refused:
        budget_import_run(content=content, file_name=name, actor=fiona)
    assert refused.value.code == code
    assert not BudgetImport.objects.exists()


def test_all_rows_refused_marks_the_import_refused(school_budget, fiona):
    result = budget_import_run(
        content=b"project,phase,cost code,description,amount\nX,P1,03 31 13,a,1\n",
        file_name="bad.csv",
        actor=fiona,
    )
    assert result.status == "refused" and result.refused_rows == 1
    assert Project.objects.filter(code="X").exists() is False
