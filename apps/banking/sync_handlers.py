"""The sync pipeline's handler for bank statement files: files posted to
/api/v1/inbound/<bank system>/files (domain "bank_statement") are imported and reconciled."""

from __future__ import annotations

from apps.banking.errors import StatementRefused
from apps.banking.services import bank_statement_import
from apps.sync.errors import ValidationProblem
from apps.sync.handlers import ApplyResult, DomainHandler, register_handler


@register_handler("bank_statement")
class BankStatementHandler(DomainHandler):
    """Import the file the transaction carries; a file we cannot read fails with the reason."""

    financial = True
    keep_canonical_record = False
    subject_keys = ("sha256",)

    def map(self, ctx) -> dict:
        # Nothing to translate: the statement file is the record.
        return {"sha256": ctx.record.get("sha256", ""), "file_name": ctx.record.get("file_name")}

    def subject(self, ctx) -> str:
        return f"sha256:{ctx.record.get('sha256', '')}"

    def apply(self, ctx) -> ApplyResult:
        stored = getattr(ctx.transaction, "file", None)
        if stored is None:
            raise ValidationProblem(
                "The transaction carries no statement file.", category="schema_invalid"
            )
        try:
            result = bank_statement_import(
                file_bytes=bytes(stored.content),
                file_name=stored.file_name,
                system=ctx.system,
                transaction=ctx.transaction,
            )
        except StatementRefused as exc:
            raise ValidationProblem(
                f"Bank statement refused: {exc.message}",
                category="schema_invalid",
                title=f"Bank statement {stored.file_name} refused",
                details={"code": exc.code, "line": exc.line, "file_name": stored.file_name},
            ) from None
        return ApplyResult(
            subject_id=self.subject(ctx),
            created=not result.duplicate_file,
            changed=not result.duplicate_file,
            detail=result.as_dict(),
        )

    def routes(self, ctx, result):
        return []  # a statement goes nowhere: reconciliation happened in apply
