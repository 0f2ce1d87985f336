"""Demo data: one camt.053 day statement for the site account, imported like a real file (so
its lines are reconciled against whatever procurement has seeded). Idempotent: the same bytes
are recognised by their SHA-256 on every re-seed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from apps.banking.samples import SampleEntry, SampleTx, camt053_document
from apps.banking.services import bank_statement_import

DEMO_IBAN = "NL91ABNA0417164300"


def demo_statement() -> bytes:
    day = dt.date(2026, 1, 15)
    return camt053_document(
        statement_id="DEMO-2026-01-15",
        iban=DEMO_IBAN,
        day=day,
        opening=Decimal("250000.00"),
        entries=[
            SampleEntry(
                Decimal("18450.00"),
                booking_date=day,
                account_servicer_ref="DEMO-ASR-0001",
                end_to_end_id="HUB-PAY-0001",
                name="Northern Steel Fabricators B.V.",
                iban="NL20INGB0001234567",
                remittance="Invoice NSF-2026-0117",
            ),
            SampleEntry(
                Decimal("7320.50"),
                booking_date=day,
                account_servicer_ref="DEMO-ASR-0002",
                name="Harbour Concrete Supplies Ltd",
                iban="GB33BUKB20201555555555",
                remittance="HCS-88231 ready-mix January",
            ),
            SampleEntry(
                Decimal("3900.00"),
                booking_date=day,
                account_servicer_ref="DEMO-ASR-0003",
                batch=[
                    SampleTx(Decimal("2400.00"), name="Scaffold Hire Co", remittance="SH-4410"),
                    SampleTx(Decimal("1500.00"), name="Site Safety Ltd", remittance="SSL-0932"),
                ],
            ),
            SampleEntry(
                Decimal("120000.00"),
                credit_debit="CRDT",
                booking_date=day,
                account_servicer_ref="DEMO-ASR-0004",
                name="Riverside Education Authority",
                iban="NL02RABO0123456789",
                remittance="Progress claim 7 Riverside Primary School",
            ),
            SampleEntry(
                Decimal("18450.00"),
                credit_debit="CRDT",
                reversal=True,
                booking_date=day,
                account_servicer_ref="DEMO-ASR-0005",
                end_to_end_id="HUB-PAY-0001",
                iban="NL20INGB0001234567",
                remittance="Return AC04 account closed",
            ),
        ],
    )


def seed(stdout) -> None:
    result = bank_statement_import(file_bytes=demo_statement(), file_name="demo-camt053.xml")
    stdout.write(f"banking: {result.summary}\n")
