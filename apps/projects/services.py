"""Writes on projects, phases, cost codes and budget lines.

The running figures of a budget line (committed, pending, actual, invoiced, approved changes) are
moved only by the procurement services, through `budget_line_adjust`, inside the transaction that
records the fact that moves them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.projects.choices import BudgetPolicy
from apps.projects.models import BudgetLine, CostCode, Phase, Project
from apps.projects.money import currency_validate, parse_decimal, quantize_money

FIGURE_FIELDS = ("approved_changes", "committed", "pending_commitments", "actual", "invoiced")
_MASTERFORMAT = re.compile(r"^(\d{2}) (\d{2}) (\d{2})(?:\.(\d{2}))?$")


def project_create(
    *, code: str, name: str, currency: str = "EUR", budget_policy: str = BudgetPolicy.HARD_BLOCK
) -> Project:
    """Create a project (the Odoo sync and the demo use it)."""
    code = (code or "").strip()
    if not code or not (name or "").strip():
        raise ApplicationError("A project needs a code and a name.", code="project_incomplete")
    if Project.objects.filter(code=code).exists():
        raise ApplicationError(f"Project {code} already exists.", code="duplicate_project")
    return Project.objects.create(
        code=code,
        name=name.strip(),
        currency=currency_validate(currency),
        budget_policy=budget_policy,
    )


@transaction.atomic
def project_budget_policy_set(
    *,
    project: Project,
    actor,
    policy: str,
    warn_at_pct: Decimal,
    overrun_block_pct: Decimal | None,
) -> Project:
    """Change how the budget check answers for a project (audited: it moves a control)."""
    if policy not in BudgetPolicy.values:
        raise ApplicationError(f"Unknown budget policy {policy!r}.", code="bad_budget_policy")
    warn_at_pct = parse_decimal(warn_at_pct, field="warn_at_pct")
    if warn_at_pct > 100:
        raise ApplicationError("warn_at_pct cannot exceed 100.", code="bad_budget_policy")
    if overrun_block_pct is not None:
        overrun_block_pct = parse_decimal(overrun_block_pct, field="overrun_block_pct")
    before = {
        "policy": project.budget_policy,
        "warn_at_pct": str(project.budget_warn_at_pct),
        "overrun_block_pct": str(project.budget_overrun_block_pct),
    }
    project.budget_policy = policy
    project.budget_warn_at_pct = warn_at_pct
    project.budget_overrun_block_pct = overrun_block_pct
    project.save(
        update_fields=[
            "budget_policy",
            "budget_warn_at_pct",
            "budget_overrun_block_pct",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action="project.budget_policy",
        target=project,
        detail={
            "before": before,
            "after": {
                "policy": policy,
                "warn_at_pct": str(warn_at_pct),
                "overrun_block_pct": str(overrun_block_pct),
            },
        },
    )
    return project


def phase_upsert(
    *,
    project: Project,
    code: str,
    name: str,
    sequence: int = 0,
    start_date=None,
    end_date=None,
) -> Phase:
    """Create or update a phase of a project by its code."""
    code = (code or "").strip()
    if not code:
        raise ApplicationError("A phase needs a code.", code="phase_incomplete")
    if start_date and end_date and end_date < start_date:
        raise ApplicationError("A phase cannot end before it starts.", code="phase_dates")
    phase, _ = Phase.objects.update_or_create(
        project=project,
        code=code,
        defaults={
            "name": name,
            "sequence": sequence,
            "start_date": start_date,
            "end_date": end_date,
        },
    )
    return phase


def cost_code_parent_candidates(code: str) -> list[str]:
    """The MasterFormat ancestors of a code, nearest first: '03 31 13.16' → '03 31 13',
    '03 31 00', '03 30 00', '03 00 00'. Other code systems name their parent explicitly."""
    match = _MASTERFORMAT.match(code)
    if not match:
        return []
    division, section, item, sub = match.groups()
    candidates = []
    if sub is not None:
        candidates.append(f"{division} {section} {item}")
    if item != "00":
        candidates.append(f"{division} {section} 00")
    if section[1] != "0":
        candidates.append(f"{division} {section[0]}0 00")
    if section != "00":
        candidates.append(f"{division} 00 00")
    return candidates


@transaction.atomic
def cost_codes_load(*, rows: Iterable[dict]) -> int:
    """Create or update cost codes from rows of {code, title, level[, parent]}; parents are
    linked by the explicit parent or, for MasterFormat codes, the nearest existing ancestor."""
    rows = list(rows)
    existing = {c.code: c for c in CostCode.objects.all()}
    created_or_updated = 0
    for row in sorted(rows, key=lambda r: (int(r.get("level") or 1), r["code"])):
        code = str(row["code"]).strip()
        title = str(row.get("title") or row.get("label") or "").strip()[:255]
        level = int(row.get("level") or 1)
        if not code or not title:
            raise ApplicationError(
                f"Cost code row {row!r} needs a code and a title.", code="bad_cost_code"
            )
        parent = None
        parent_code = (row.get("parent") or "").strip()
        for candidate in [parent_code] if parent_code else cost_code_parent_candidates(code):
            if candidate in existing and candidate != code:
                parent = existing[candidate]
                break
        cost_code = existing.get(code)
        if cost_code is None:
            cost_code = CostCode.objects.create(code=code, title=title, level=level, parent=parent)
            existing[code] = cost_code
            created_or_updated += 1
        elif (cost_code.title, cost_code.level, cost_code.parent_id) != (
            title,
            level,
            getattr(parent, "id", None),
        ):
            cost_code.title, cost_code.level, cost_code.parent = title, level, parent
            cost_code.save(update_fields=["title", "level", "parent"])
            created_or_updated += 1
    return created_or_updated


def budget_line_get_or_create(
    *, project: Project, phase: Phase, cost_code: CostCode, description: str = ""
) -> tuple[BudgetLine, bool]:
    """The budget line for a project / phase / cost code (a zero budget when new)."""
    if phase.project_id != project.id:
        raise ApplicationError(
            f"Phase {phase.code} belongs to another project.", code="phase_not_in_project"
        )
    return BudgetLine.objects.get_or_create(
        project=project,
        phase=phase,
        cost_code=cost_code,
        defaults={"currency": project.currency, "description": description or cost_code.title},
    )


def budget_line_set_original(
    *, budget_line: BudgetLine, amount: Decimal, description: str = ""
) -> BudgetLine:
    """Set the original budget (from estimating); the caller audits the import it belongs to."""
    budget_line.original_amount = quantize_money(amount, budget_line.currency)
    fields = ["original_amount", "updated_at"]
    if description:
        budget_line.description = description[:255]
        fields.append("description")
    budget_line.save(update_fields=fields)
    return budget_line


def budget_line_adjust(*, budget_line_id: int, **deltas: Decimal) -> None:
    """Move running figures by deltas in one UPDATE (atomic even without a row lock)."""
    unknown = set(deltas) - set(FIGURE_FIELDS)
    if unknown:
        raise ValueError(f"not budget figures: {sorted(unknown)}")
    changes = {name: F(name) + Decimal(value) for name, value in deltas.items() if value}
    if changes:
        # updated_at moves with the figures: the reporting feeds walk it (UPDATE skips auto_now).
        BudgetLine.objects.filter(id=budget_line_id).update(**changes, updated_at=timezone.now())


def budget_line_set_figures(*, budget_line: BudgetLine, figures: dict[str, Decimal]) -> None:
    """Overwrite the running figures (used by the recompute from facts)."""
    for name in FIGURE_FIELDS:
        setattr(budget_line, name, figures[name])
    budget_line.save(update_fields=[*FIGURE_FIELDS, "updated_at"])


@transaction.atomic
def budget_line_estimate_set(
    *, budget_line: BudgetLine, actor, estimate_to_complete: Decimal | None
) -> BudgetLine:
    """Record the PM's uncommitted estimate to complete (drives the forecast at completion)."""
    previous = budget_line.estimate_to_complete
    if estimate_to_complete is not None:
        estimate_to_complete = quantize_money(
            parse_decimal(estimate_to_complete, field="estimate_to_complete"),
            budget_line.currency,
        )
    budget_line.estimate_to_complete = estimate_to_complete
    budget_line.save(update_fields=["estimate_to_complete", "updated_at"])
    audit_record(
        actor=actor,
        action="budget_line.estimate_to_complete",
        target=budget_line,
        detail={"before": previous, "after": estimate_to_complete},
    )
    return budget_line
