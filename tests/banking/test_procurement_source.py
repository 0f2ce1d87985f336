"""The procurement candidate source: real vendor bills and payments are matched by import."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apps.banking.choices import MatchMethod, MatchStatus
from apps.banking.models import BankTransactionDetail
from apps.banking.samples import SampleEntry, camt053_document
from apps.banking.services import bank_statement_import
from apps.procurement.models import Invoice, Payment, Vendor

pytestmark = pytest.mark.django_db


def test_bank_lines_match_procurement_bills_and_payments(school):
    vendor = Vendor.objects.create(code="V-STEEL", name="Northern Steel Fabricators B.V.")
    bill = Invoice.objects.create(
        vendor=vendor,
        project=school,
        number="NSF-2026-0117",
        invoice_date=dt.date(2026, 1, 2),
        currency="EUR",
        payable_amount=Decimal("18450.00"),
    )
    payment = Payment.objects.create(
        number="PAY-0007",
        vendor=vendor,
        amount=Decimal("990.00"),
        currency="EUR",
        paid_on=dt.date(2026, 1, 14),
        reference="HUB-PAY-0007",
        source="manual",
    )
    result = bank_statement_import(
        file_bytes=camt053_document(
            statement_id="P-1",
            iban="NL91ABNA0417164300",
            entries=[
                SampleEntry(Decimal("18450.00"), remittance="Invoice NSF-2026-0117"),
                SampleEntry(Decimal("990.00"), end_to_end_id="HUB-PAY-0007"),
            ],
        )
    )
    lines = BankTransactionDetail.objects.filter(entry__statement=result.statements[0]).order_by(
        "entry__position"
    )
    bill_line, payment_line = lines
    assert (bill_line.match_status, bill_line.match_method) == (
        MatchStatus.MATCHED,
        MatchMethod.REFERENCE,
    )
    assert bill_line.matches.get().target_id == bill.id
    assert payment_line.match_method == MatchMethod.END_TO_END_ID
    assert payment_line.matches.get().target_id == payment.id

    # Procurement learns what the bank shows: the payment is reconciled, the bill is paid by a
    # bank payment (recorded once per bank line, however often reconciliation runs).
    payment.refresh_from_db()
    assert payment.status == "reconciled"
    bank_payment = Payment.objects.get(source="bank")
    assert bank_payment.external_ref == f"bankline:{bill_line.id}"
    assert bank_payment.vendor == vendor and bank_payment.amount == Decimal("18450.00")
    bill.refresh_from_db()
    assert bill.paid_amount == Decimal("18450.00")
    from apps.banking.services import bank_reconcile

    bank_reconcile(statement=result.statements[0])
    assert Payment.objects.filter(source="bank").count() == 1
