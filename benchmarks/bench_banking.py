"""Bank statement import and reconciliation throughput: one camt.053 with N entries, matched
against N open payments (a third by end-to-end id, a third by reference, a third by IBAN)."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal


def run(args) -> list[dict]:
    from apps.banking import candidates as candidate_module
    from apps.banking.candidates import ReconciliationCandidate
    from apps.banking.models import BankAccount, BankLineMatch, BankStatementFile
    from apps.banking.samples import SampleEntry, camt053_document
    from apps.banking.services import bank_reconcile, bank_statement_import

    count = 300 if args.quick else 3000
    run_id = uuid.uuid4().hex[:8]
    iban = f"NL{run_id[:2].upper()}BNCH{int(run_id, 16) % 10**10:010d}"
    entries, rows = [], []
    for i in range(count):
        amount = Decimal(100 + i) + Decimal("0.25")
        vendor_iban = f"DE{i % 97:02d}5001051700{i:010d}"
        kind = i % 3
        entries.append(
            SampleEntry(
                amount,
                account_servicer_ref=f"B{run_id}-{i}",
                end_to_end_id=f"E2E-{run_id}-{i}" if kind == 0 else "",
                remittance=f"Invoice INV-{run_id}-{i}" if kind == 1 else "",
                iban=vendor_iban,
                name=f"Vendor {i}",
            )
        )
        rows.append(
            ReconciliationCandidate(
                kind="payment",
                id=10_000_000 + i,
                reference=f"INV-{run_id}-{i}",
                amount=amount,
                currency="EUR",
                end_to_end_id=f"E2E-{run_id}-{i}" if kind == 0 else "",
                counterparty_iban=vendor_iban,
            )
        )
    document = camt053_document(statement_id=f"BENCH-{run_id}", iban=iban, entries=entries)
    saved = dict(candidate_module._SOURCES)
    candidate_module._SOURCES.clear()
    try:
        started = time.perf_counter()
        result = bank_statement_import(file_bytes=document, reconcile=False)
        import_seconds = time.perf_counter() - started
        started = time.perf_counter()
        outcome = bank_reconcile(statement=result.statements[0], candidates=rows)
        reconcile_seconds = time.perf_counter() - started
    finally:
        candidate_module._SOURCES.update(saved)
        BankLineMatch.objects.filter(target_id__gte=10_000_000).delete()
        statement_file = BankStatementFile.objects.filter(statements__account__identifier=iban)
        for file in statement_file.distinct():
            for statement in file.statements.all():
                statement.entries.all().delete()
                statement.delete()
            file.delete()
        BankAccount.objects.filter(identifier=iban).delete()
    return [
        {"figure": "statement entries imported", "value": count, "unit": "entries"},
        {
            "figure": "import (parse + store)",
            "value": count / import_seconds,
            "unit": "entries/s",
            "goal": ">= 500",
        },
        {
            "figure": "reconcile",
            "value": count / reconcile_seconds,
            "unit": "lines/s",
            "goal": ">= 200",
            "note": f"{outcome.matched} matched, {outcome.unmatched} unmatched",
        },
    ]
