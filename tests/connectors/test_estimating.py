"""Estimating: budget export files (CSV in real-world shapes, XLSX) → budget lines with
row-level errors, and the budget push API payload → a budget_line ParsedEvent."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from apps.connectors.errors import InvalidEventError
from apps.connectors.estimating.budget_files import (
    BudgetFileError,
    amount_parse,
    budget_file_parse,
    budget_lines_aggregate,
)
from apps.connectors.estimating.connector import EstimatingConnector
from apps.connectors.models import System

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "estimating"


def _xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Budget"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("€ 1 234,56", "1234.56"),
        ("1.234.567", "1234567"),
        ("12,50", "12.50"),
        ("1,234", "1234"),
        ("(500.00)", "-500.00"),
        ("-75", "-75"),
        (0.1, "0.1"),
        (125000, "125000"),
    ],
)
def test_amounts_in_us_and_european_notation_become_decimals(text, expected):
    assert amount_parse(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "abc", "1,2,3", True])
def test_text_that_is_not_an_amount_is_refused(text):
    with pytest.raises(ValueError):
        amount_parse(text)


def test_cp1252_semicolon_export_with_title_lines_gives_lines_and_row_errors():
    content = (FIXTURES / "budget_export_cp1252.csv").read_bytes()
    result = budget_file_parse(content=content, file_name="cost-plan.csv")
    assert result.format == "csv"
    assert result.encoding == "cp1252"  # the € sign is byte 0x80 in the file
    assert result.header_row == 4
    by_code = {line.cost_code: line for line in result.lines}
    assert by_code["03 30 00"].amount == Decimal("1250000.00")
    assert by_code["03 20 00"].amount == Decimal("310500.50")
    assert by_code["05 12 00"].amount == Decimal("-12000.00")
    assert by_code["03 30 00"].phase == "Substructure"
    assert by_code["03 30 00"].currency == "EUR"
    errors = {error.row: error.reason for error in result.errors}
    assert "no cost code" in errors[8]
    assert "not an amount" in errors[9]
    assert "ISO 4217" in errors[11]
    # The subtotal line is skipped with its reason, not reported as a bad row.
    assert [skip.row for skip in result.skipped] == [10]
    assert not result.ok


def test_xlsx_export_reads_numbers_and_names_rows_with_problems():
    content = _xlsx(
        [
            ["Harbour Bridge - budget"],
            [],
            ["Cost code", "Description", "Amount", "Phase"],
            ["03 30 00", "Deck concrete", 480000.25, "Deck"],
            ["05 12 00", "Steel", "=1+1", "Deck"],  # a formula written by a script: no value
            ["", "Total", 480002.25, ""],
        ]
    )
    result = budget_file_parse(content=content, default_project="BRG-003", default_currency="eur")
    assert result.format == "xlsx"
    assert result.sheet == "Budget"
    assert [
        (line.cost_code, line.amount, line.project, line.currency) for line in result.lines
    ] == [("03 30 00", Decimal("480000.25"), "BRG-003", "EUR")]
    assert [error.row for error in result.errors] == [5]
    assert "formula" in result.errors[0].reason
    assert [skip.row for skip in result.skipped] == [6]


def test_rows_without_project_or_currency_are_errors_when_no_default_is_given():
    content = b"cost code,amount\n03 30 00,100\n"
    result = budget_file_parse(content=content)
    assert not result.lines
    assert "no project" in result.errors[0].reason
    assert "no currency" in result.errors[0].reason


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"%PDF-1.7 ...", "PDF"),
        (b"name,value\nfoo,1\n", "no header row"),
        (b"PK\x03\x04not really a zip", "cannot be opened"),
        (b"cost code,amount\n", "no budget lines"),
    ],
)
def test_files_that_are_not_budget_exports_are_refused_with_a_reason(content, reason):
    with pytest.raises(BudgetFileError) as caught:
        budget_file_parse(content=content)
    assert reason in caught.value.reason


def test_detail_lines_aggregate_per_project_phase_and_cost_code():
    content = (
        b"project,phase,cost code,description,amount,currency\n"
        b"SCH-001,Sub,03 30 00,Footings,100.10,EUR\n"
        b"SCH-001,Sub,03 30 00,Slab,200.20,EUR\n"
        b"SCH-001,Sub,03 30 00,Walls,5,GBP\n"
        b"SCH-001,Super,03 30 00,Columns,1,EUR\n"
    )
    result = budget_file_parse(content=content)
    lines, errors = budget_lines_aggregate(result.lines)
    assert [(line["phase"], line["amount"], line["rows"]) for line in lines] == [
        ("Sub", Decimal("300.30"), [2, 3]),
        ("Super", Decimal("1"), [5]),
    ]
    assert lines[0]["description"] == "Footings; Slab"
    assert [error.row for error in errors] == [4]


def _push(**data) -> dict:
    base = {
        "budget_id": "EST-SCH-001",
        "version": 3,
        "project": "SCH-001",
        "currency": "EUR",
        "lines": [
            {
                "phase": "Sub",
                "cost_code": "03 30 00",
                "description": "Concrete",
                "amount": "1250.50",
            }
        ],
    }
    return {
        "type": "budget.published",
        "timestamp": "2025-03-01T09:00:00Z",
        "data": {**base, **data},
    }


def _connector() -> EstimatingConnector:
    return EstimatingConnector(System(code="estimating", name="Estimating", kind="estimating"))


def test_budget_push_becomes_a_budget_line_import_keyed_by_budget_version():
    event = _connector().parse_event(headers={"webhook-id": "msg_1"}, payload=_push())
    assert (event.domain, event.operation) == ("budget_line", "import")
    assert event.idempotency_key == "budget:EST-SCH-001:v3"
    assert event.project_ref == "SCH-001"
    assert event.payload["lines"] == [
        {
            "row": 1,
            "project": "SCH-001",
            "phase": "Sub",
            "cost_code": "03 30 00",
            "description": "Concrete",
            "amount": "1250.50",
            "currency": "EUR",
        }
    ]
    assert event.payload["errors"] == []
    assert event.payload["total"] == "1250.50"


def test_same_budget_version_sent_twice_with_new_webhook_ids_has_one_key():
    first = _connector().parse_event(headers={"webhook-id": "msg_1"}, payload=_push())
    second = _connector().parse_event(headers={"webhook-id": "msg_2"}, payload=_push())
    newer = _connector().parse_event(headers={"webhook-id": "msg_3"}, payload=_push(version=4))
    assert first.idempotency_key == second.idempotency_key != newer.idempotency_key


def test_bad_budget_lines_are_listed_for_the_pipeline_not_refused():
    event = _connector().parse_event(
        headers={"webhook-id": "msg_1"},
        payload=_push(
            lines=[
                {"cost_code": "", "amount": "10"},
                {"cost_code": "03 30 00", "amount": "ten"},
                {"cost_code": "09 91 00", "amount": 12.5},
            ]
        ),
    )
    assert [error["row"] for error in event.payload["errors"]] == [1, 2]
    assert [line["cost_code"] for line in event.payload["lines"]] == ["09 91 00"]
    assert event.payload["lines"][0]["amount"] == "12.5"
    assert "string" in event.payload["lines"][0]["note"]


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"type": "budget.published"},
        {"type": "budget.published", "data": {"lines": "all"}},
        {"type": "invoice.created", "data": {"lines": []}},
    ],
)
def test_unusable_budget_pushes_are_refused(payload):
    with pytest.raises(InvalidEventError):
        _connector().parse_event(headers={"webhook-id": "msg_1"}, payload=payload)


def test_budget_without_id_falls_back_to_the_webhook_id():
    payload = _push()
    del payload["data"]["budget_id"]
    event = _connector().parse_event(headers={"webhook-id": "msg_9"}, payload=payload)
    assert event.idempotency_key == "msg_9"


def test_connector_file_parse_gives_the_push_shape_with_totals():
    connector = EstimatingConnector(
        System(code="est", name="E", kind="estimating", options={"default_currency": "EUR"})
    )
    payload = connector.file_parse(
        content=b"project,cost code,amount\nSCH-001,03 30 00,10.5\nSCH-001,03 20 00,4.5\n",
        file_name="b.csv",
    )
    assert payload["project"] == "SCH-001"
    assert payload["totals"] == {"EUR": "15.0"}
    assert len(payload["lines"]) == 2


def test_budget_payload_becomes_the_csv_the_budget_import_reads():
    import csv
    import io

    from apps.connectors.estimating.connector import budget_payload_as_csv

    event = _connector().parse_event(headers={"webhook-id": "m"}, payload=_push())
    rows = list(csv.DictReader(io.StringIO(budget_payload_as_csv(event.payload).decode())))
    assert rows == [
        {
            "project": "SCH-001",
            "phase": "Sub",
            "cost_code": "03 30 00",
            "description": "Concrete",
            "amount": "1250.50",
            "currency": "EUR",
        }
    ]
