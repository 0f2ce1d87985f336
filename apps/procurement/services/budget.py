"""Budget import from estimating: CSV or XLSX, validated row by row; accepted rows set the
original budget of their line, refused rows are reported with every reason."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal

from django.db import transaction

from apps.accounts.selectors import user_can_see_project
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.procurement.budget_files import budget_file_read
from apps.procurement.choices import ImportRowOutcome, ImportStatus
from apps.procurement.models import BudgetImport, BudgetImportRow
from apps.projects.models import BudgetLine, CostCode, Phase, Project
from apps.projects.money import CURRENCY_MINOR_UNITS
from apps.projects.services import budget_line_get_or_create, budget_line_set_original

_PLAIN = re.compile(r"^-?\d+(\.\d+)?$")
_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


def _parse_amount(text: str, currency: str) -> tuple[Decimal | None, str]:
    """An amount from a budget cell: '1234.50' or '1,234.50'; refuses anything ambiguous."""
    cleaned = text.replace(" ", "").replace("\u00a0", "")
    for symbol in ("€", "$", "£"):
        cleaned = cleaned.replace(symbol, "")
    if not cleaned:
        return None, "amount is empty"
    if _THOUSANDS.match(cleaned):
        cleaned = cleaned.replace(",", "")
    elif not _PLAIN.match(cleaned):
        return None, f"amount {text!r} is not a number (use 1234.50 or 1,234.50)"
    amount = Decimal(cleaned)
    if amount < 0:
        return None, f"amount {text} is negative (a budget reduction is an owner change order)"
    places = CURRENCY_MINOR_UNITS.get(currency, 2)
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        return None, f"amount {text} has more decimals than {currency} allows ({places})"
    return amount, ""


def budget_import_run(
    *, content: bytes, file_name: str, actor, dry_run: bool = False
) -> BudgetImport:
    """Validate every row of a CSV/XLSX budget file and (unless a dry run) apply the accepted
    ones in one transaction. The import and each row's outcome are kept as the report."""
    file_format, rows = budget_file_read(content=content, file_name=file_name)
    if not rows:
        raise ApplicationError("The file has a header but no rows.", code="empty_file")
    return budget_rows_apply(
        rows=rows,
        actor=actor,
        file_name=file_name,
        file_format=file_format,
        file_sha256=hashlib.sha256(content).hexdigest(),
        dry_run=dry_run,
    )


def budget_rows_apply(
    *,
    rows: list[dict],
    actor,
    file_name: str,
    file_format: str,
    file_sha256: str = "",
    dry_run: bool = False,
    source: str = "",
) -> BudgetImport:
    """Validate and apply budget rows {row_number, project, phase (code or name), cost_code,
    description, amount[, currency]} from a file or the pipeline (actor None = the hub:
    no membership check). Returns the report."""
    for number, row in enumerate(rows, start=2):
        row.setdefault("row_number", number)
        for key in ("project", "phase", "cost_code", "description", "amount"):
            row[key] = str(row.get(key) or "").strip()
        row["currency"] = str(row.get("currency") or "").strip()
    projects = {p.code: p for p in Project.objects.filter(code__in={r["project"] for r in rows})}
    phases = {}
    for ph in Phase.objects.filter(project__in=projects.values()):
        phases[(ph.project_id, ph.code)] = ph
    for ph in Phase.objects.filter(project__in=projects.values()):
        # Estimating names phases ("Substructure"); a phase's name is as good as its code.
        phases.setdefault((ph.project_id, ph.name.lower()), ph)
    cost_codes = {
        c.code: c for c in CostCode.objects.filter(code__in={r["cost_code"] for r in rows})
    }
    seen: dict[tuple, int] = {}
    with transaction.atomic():
        budget_import = BudgetImport.objects.create(
            file_name=file_name[:255],
            file_format=file_format,
            file_sha256=file_sha256,
            dry_run=dry_run,
            status=ImportStatus.VALIDATED if dry_run else ImportStatus.APPLIED,
            total_rows=len(rows),
            uploaded_by=actor,
            source=source[:100],
        )
        accepted = refused = 0
        records = []
        for row in rows:
            reasons: list[str] = []
            project = projects.get(row["project"])
            if not row["project"]:
                reasons.append("project is empty")
            elif project is None or (
                actor is not None and not user_can_see_project(user=actor, project_id=project.id)
            ):
                # Unknown and not-yours read the same: no hint that a project exists.
                reasons.append(f"unknown project {row['project']!r}")
                project = None
            phase = None
            if not row["phase"]:
                reasons.append("phase is empty")
            elif project is not None:
                phase = phases.get((project.id, row["phase"])) or phases.get(
                    (project.id, row["phase"].lower())
                )
                if phase is None:
                    reasons.append(f"project {project.code} has no phase {row['phase']!r}")
            cost_code = cost_codes.get(row["cost_code"])
            if not row["cost_code"]:
                reasons.append("cost code is empty")
            elif cost_code is None:
                reasons.append(f"unknown cost code {row['cost_code']!r}")
            elif not cost_code.is_active:
                reasons.append(f"cost code {cost_code.code} is inactive")
            currency = project.currency if project else "EUR"
            if row.get("currency") and project and row["currency"].upper() != project.currency:
                reasons.append(
                    f"currency {row['currency']} differs from the project's {project.currency}"
                )
            amount, problem = _parse_amount(row["amount"], currency)
            if problem:
                reasons.append(problem)
            key = (row["project"], row["phase"], row["cost_code"])
            if key in seen:
                reasons.append(f"duplicate of row {seen[key]} (same project, phase and cost code)")
            else:
                seen[key] = row["row_number"]
            record = BudgetImportRow(
                budget_import=budget_import,
                row_number=row["row_number"],
                project_code=row["project"][:100],
                phase_code=row["phase"][:100],
                cost_code=row["cost_code"][:100],
                description=row["description"][:255],
                amount_text=row["amount"][:100],
                outcome=ImportRowOutcome.REFUSED if reasons else ImportRowOutcome.ACCEPTED,
                reasons=reasons,
            )
            if reasons:
                refused += 1
            else:
                accepted += 1
                existing = BudgetLine.objects.filter(
                    project=project, phase=phase, cost_code=cost_code
                ).first()
                record.previous_amount = existing.original_amount if existing else None
                record.new_amount = amount
                if existing is not None and existing.committed + existing.pending_commitments > (
                    amount + existing.approved_changes
                ):
                    record.reasons = [
                        f"note: {existing.committed + existing.pending_commitments} is already "
                        "committed or pending, more than the new revised budget"
                    ]
                if not dry_run:
                    budget_line, _ = budget_line_get_or_create(
                        project=project,
                        phase=phase,
                        cost_code=cost_code,
                        description=row["description"],
                    )
                    budget_line_set_original(
                        budget_line=budget_line, amount=amount, description=row["description"]
                    )
                    record.budget_line = budget_line
            records.append(record)
        BudgetImportRow.objects.bulk_create(records)
        budget_import.accepted_rows = accepted
        budget_import.refused_rows = refused
        if accepted == 0:
            budget_import.status = ImportStatus.REFUSED
        budget_import.save(update_fields=["accepted_rows", "refused_rows", "status"])
        audit_record(
            actor=actor,
            action="budget.import" if not dry_run else "budget.import_dry_run",
            target=budget_import,
            detail={
                "file": file_name,
                "sha256": budget_import.file_sha256,
                "source": source,
                "rows": len(rows),
                "accepted": accepted,
                "refused": refused,
            },
        )
    return budget_import
