from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet, Sum

from apps.accounts.selectors import user_project_ids
from apps.core.errors import ApplicationError, NotFoundError
from apps.projects.choices import BudgetCheckOutcome, BudgetPolicy
from apps.projects.models import BudgetLine, CostCode, Phase, Project
from apps.projects.money import ZERO, quantize_money

_OUTCOME_RANK = {
    BudgetCheckOutcome.AVAILABLE: 0,
    BudgetCheckOutcome.WARN: 1,
    BudgetCheckOutcome.BLOCK: 2,
}


def project_list(*, user) -> QuerySet[Project]:
    """Projects the user may see: all for admins, their memberships otherwise."""
    ids = user_project_ids(user=user)
    queryset = Project.objects.all()
    return queryset if ids is None else queryset.filter(id__in=ids)


def project_get(*, user, code: str | None = None, project_id: int | None = None) -> Project:
    """A project the user may see, by code or id; 404 otherwise (no hint that it exists)."""
    queryset = project_list(user=user)
    project = (
        queryset.filter(code=code).first()
        if code is not None
        else queryset.filter(id=project_id).first()
    )
    if project is None:
        raise NotFoundError(f"No project {code or project_id} that you can see.")
    return project


def phase_list(*, project: Project) -> QuerySet[Phase]:
    return Phase.objects.filter(project=project).order_by("sequence", "code")


def cost_code_list(*, search: str = "", level_max: int | None = None) -> QuerySet[CostCode]:
    queryset = CostCode.objects.filter(is_active=True)
    if search:
        queryset = queryset.filter(code__startswith=search) | queryset.filter(
            title__icontains=search
        )
    if level_max:
        queryset = queryset.filter(level__lte=level_max)
    return queryset.order_by("code")


def budget_line_list(
    *,
    user,
    project: Project | None = None,
    phase: str = "",
    cost_code: str = "",
) -> QuerySet[BudgetLine]:
    """Budget lines the user may see, with project, phase and cost code joined."""
    queryset = BudgetLine.objects.select_related("project", "phase", "cost_code")
    ids = user_project_ids(user=user)
    if ids is not None:
        queryset = queryset.filter(project_id__in=ids)
    if project is not None:
        queryset = queryset.filter(project=project)
    if phase:
        queryset = queryset.filter(phase__code=phase)
    if cost_code:
        queryset = queryset.filter(cost_code__code__startswith=cost_code)
    return queryset.order_by("project__code", "phase__sequence", "phase__code", "cost_code__code")


def budget_line_figures(line: BudgetLine) -> dict:
    """Every figure of a budget line (Decimals quantized to the currency)."""
    currency = line.currency

    def q(value):
        return quantize_money(value, currency)

    return {
        "original": q(line.original_amount),
        "approved_changes": q(line.approved_changes),
        "revised": q(line.revised),
        "committed": q(line.committed),
        "pending_commitments": q(line.pending_commitments),
        "actual": q(line.actual),
        "invoiced": q(line.invoiced),
        "available": q(line.available),
        "estimate_to_complete": (
            q(line.estimate_to_complete) if line.estimate_to_complete is not None else None
        ),
        "forecast_at_completion": q(line.forecast_at_completion),
        "variance_at_completion": q(line.variance_at_completion),
    }


FIGURES = (
    "original",
    "approved_changes",
    "revised",
    "committed",
    "pending_commitments",
    "actual",
    "invoiced",
    "available",
    "forecast_at_completion",
    "variance_at_completion",
)


def _sum_figures(rows: list[dict]) -> dict:
    return {name: sum((row[name] for row in rows), ZERO) for name in FIGURES}


def project_budget_tree(*, project: Project) -> dict:
    """The budget of a project by phase and cost code, with totals per phase, per division
    and for the project: what the budget page shows."""
    lines = list(
        BudgetLine.objects.filter(project=project)
        .select_related("phase", "cost_code", "cost_code__parent")
        .order_by("phase__sequence", "phase__code", "cost_code__code")
    )
    phases: OrderedDict[int, dict] = OrderedDict()
    for phase in phase_list(project=project):
        phases[phase.id] = {"phase": phase, "lines": [], "divisions": OrderedDict()}
    for line in lines:
        row = {"line": line, **budget_line_figures(line)}
        entry = phases.setdefault(
            line.phase_id, {"phase": line.phase, "lines": [], "divisions": OrderedDict()}
        )
        entry["lines"].append(row)
        entry["divisions"].setdefault(line.cost_code.division, []).append(row)
    for entry in phases.values():
        entry["totals"] = _sum_figures(entry["lines"])
        divisions = OrderedDict()
        for division, rows in entry["divisions"].items():
            title = (
                CostCode.objects.filter(code=f"{division} 00 00")
                .values_list("title", flat=True)
                .first()
                or ""
            )
            divisions[division] = {"title": title, "lines": rows, "totals": _sum_figures(rows)}
        entry["divisions"] = divisions
    all_rows = [row for entry in phases.values() for row in entry["lines"]]
    return {
        "project": project,
        "currency": project.currency,
        "phases": list(phases.values()),
        "totals": _sum_figures(all_rows),
    }


def budget_totals(*, project: Project) -> dict:
    """Project totals in one aggregate query (dashboards)."""
    sums = BudgetLine.objects.filter(project=project).aggregate(
        original=Sum("original_amount"),
        approved_changes=Sum("approved_changes"),
        committed=Sum("committed"),
        pending_commitments=Sum("pending_commitments"),
        actual=Sum("actual"),
        invoiced=Sum("invoiced"),
    )
    sums = {k: v or ZERO for k, v in sums.items()}
    sums["revised"] = sums["original"] + sums["approved_changes"]
    sums["available"] = sums["revised"] - sums["committed"] - sums["pending_commitments"]
    return sums


# --- budget check -----------------------------------------------------------------------------


@dataclass
class BudgetCheckItem:
    """One amount to check: against a cost code (in one phase, or all phases) or a budget line."""

    amount: Decimal
    cost_code: str = ""
    phase: str = ""
    budget_line_id: int | None = None


@dataclass
class BudgetCheckResult:
    outcome: str
    project: Project
    lines: list[dict] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return self.outcome == BudgetCheckOutcome.BLOCK

    def as_dict(self) -> dict:
        project = self.project
        return {
            "outcome": self.outcome,
            "project": project.code,
            "currency": project.currency,
            "policy": {
                "budget_policy": project.budget_policy,
                "warn_at_pct": project.budget_warn_at_pct,
                "overrun_block_pct": project.budget_overrun_block_pct,
            },
            "requested_total": sum((line["requested"] for line in self.lines), ZERO),
            "lines": self.lines,
        }

    def as_json(self) -> dict:
        """The same, with Decimals as strings (stored on requisitions and commitments)."""
        import json

        return json.loads(json.dumps(self.as_dict(), default=str))


def _pct_text(value: Decimal) -> str:
    """'90' rather than '90.00' or '9E+1'."""
    return format(Decimal(value).quantize(Decimal("0.01")).normalize(), "f")


def _line_outcome(
    project: Project, revised: Decimal, consumed: Decimal, requested: Decimal
) -> tuple[str, str, Decimal | None]:
    available_after = revised - consumed - requested
    utilisation = ((consumed + requested) / revised * 100) if revised > 0 else None
    if requested <= 0:
        return BudgetCheckOutcome.AVAILABLE, "no additional cost", utilisation
    if available_after >= 0:
        if utilisation is not None and utilisation >= project.budget_warn_at_pct:
            return (
                BudgetCheckOutcome.WARN,
                f"uses {utilisation:.1f}% of the revised budget "
                f"(warning at {_pct_text(project.budget_warn_at_pct)}%)",
                utilisation,
            )
        return BudgetCheckOutcome.AVAILABLE, "within the available budget", utilisation
    overrun = -available_after
    if project.budget_policy == BudgetPolicy.HARD_BLOCK:
        return (
            BudgetCheckOutcome.BLOCK,
            f"exceeds the available budget by {quantize_money(overrun, project.currency)} "
            f"{project.currency} (hard block)",
            utilisation,
        )
    limit_pct = project.budget_overrun_block_pct
    if limit_pct is not None and (revised <= 0 or overrun > revised * limit_pct / 100):
        return (
            BudgetCheckOutcome.BLOCK,
            f"exceeds the available budget by {quantize_money(overrun, project.currency)} "
            f"{project.currency}, more than the {_pct_text(limit_pct)}% overrun allowed",
            utilisation,
        )
    return (
        BudgetCheckOutcome.WARN,
        f"exceeds the available budget by {quantize_money(overrun, project.currency)} "
        f"{project.currency} (allowed with a warning)",
        utilisation,
    )


def budget_check(
    *,
    project: Project,
    items: list[BudgetCheckItem],
    reserved: dict[int, Decimal] | None = None,
    lock: bool = False,
) -> BudgetCheckResult:
    """Answer available / warn / block for amounts on cost codes of a project, per its policy.

    One indexed read of the budget lines (their running figures are maintained with the facts).
    `reserved` names amounts already counted in pending commitments for this same document (a
    re-check at approval time must not count the document against itself). With `lock`, the
    lines are locked FOR UPDATE so a check and the reservation that follows are atomic.
    """
    if not items:
        raise ApplicationError("Nothing to check: give at least one amount.", code="empty_check")
    reserved = reserved or {}
    line_ids = {item.budget_line_id for item in items if item.budget_line_id}
    codes = {item.cost_code for item in items if not item.budget_line_id}
    # Ordered by id only: the model's default ordering would join the project for nothing.
    queryset = (
        BudgetLine.objects.filter(project=project)
        .select_related("phase", "cost_code")
        .order_by("id")
    )
    if line_ids and codes:
        from django.db.models import Q

        queryset = queryset.filter(Q(id__in=line_ids) | Q(cost_code__code__in=codes))
    elif line_ids:
        queryset = queryset.filter(id__in=line_ids)
    else:
        queryset = queryset.filter(cost_code__code__in=codes)
    if lock:
        # Lock in id order so two concurrent checks never deadlock on the same lines.
        queryset = queryset.select_for_update(of=("self",))
    budget_lines = list(queryset)
    by_id = {line.id: line for line in budget_lines}

    groups: OrderedDict[tuple, dict] = OrderedDict()
    for item in items:
        if item.budget_line_id:
            line = by_id.get(item.budget_line_id)
            if line is None:
                raise ApplicationError(
                    f"Budget line {item.budget_line_id} is not in project {project.code}.",
                    code="budget_line_not_in_project",
                )
            key = ("line", line.id)
            matched = [line]
            label = (line.phase.code, line.cost_code.code)
        else:
            matched = [
                line
                for line in budget_lines
                if line.cost_code.code == item.cost_code
                and (not item.phase or line.phase.code == item.phase)
            ]
            key = ("code", item.phase, item.cost_code)
            label = (item.phase, item.cost_code)
        group = groups.setdefault(key, {"label": label, "lines": matched, "requested": ZERO})
        group["requested"] += item.amount

    results = []
    overall = BudgetCheckOutcome.AVAILABLE
    currency = project.currency
    for group in groups.values():
        phase_code, cost_code = group["label"]
        requested = group["requested"]
        lines = group["lines"]
        if not lines:
            outcome = BudgetCheckOutcome.BLOCK if requested > 0 else BudgetCheckOutcome.AVAILABLE
            where = f"phase {phase_code} of " if phase_code else ""
            results.append(
                {
                    "phase": phase_code,
                    "cost_code": cost_code,
                    "budget_line_ids": [],
                    "revised": ZERO,
                    "committed": ZERO,
                    "pending_commitments": ZERO,
                    "available": ZERO,
                    "requested": quantize_money(requested, currency),
                    "available_after": quantize_money(-requested, currency),
                    "utilisation_after_pct": None,
                    "outcome": outcome,
                    "reason": f"no budget for cost code {cost_code} in {where}{project.code}",
                }
            )
            overall = max(overall, outcome, key=_OUTCOME_RANK.get)
            continue
        revised = sum((line.revised for line in lines), ZERO)
        committed = sum((line.committed for line in lines), ZERO)
        pending = sum((line.pending_commitments for line in lines), ZERO)
        pending -= sum((reserved.get(line.id, ZERO) for line in lines), ZERO)
        consumed = committed + pending
        outcome, reason, utilisation = _line_outcome(project, revised, consumed, requested)
        results.append(
            {
                "phase": phase_code or (lines[0].phase.code if len(lines) == 1 else ""),
                "cost_code": cost_code,
                "budget_line_ids": [line.id for line in lines],
                "revised": quantize_money(revised, currency),
                "committed": quantize_money(committed, currency),
                "pending_commitments": quantize_money(pending, currency),
                "available": quantize_money(revised - consumed, currency),
                "requested": quantize_money(requested, currency),
                "available_after": quantize_money(revised - consumed - requested, currency),
                "utilisation_after_pct": (
                    utilisation.quantize(Decimal("0.1")) if utilisation is not None else None
                ),
                "outcome": outcome,
                "reason": reason,
            }
        )
        overall = max(overall, outcome, key=_OUTCOME_RANK.get)
    return BudgetCheckResult(outcome=str(overall), project=project, lines=results)
