"""Budget arithmetic on a multi-phase project, the budget check (available / warn / block per
policy) and the cost-code hierarchy."""

from decimal import Decimal

import pytest

from apps.approvals.choices import Decision, DocumentType
from apps.approvals.services import approval_decide
from apps.procurement.choices import CommitmentKind
from apps.procurement.services import (
    budget_line_facts,
    budget_lines_recompute,
    change_order_create,
    change_order_submit,
    commitment_close,
    invoice_record,
    progress_claim_certify,
    progress_claim_submit,
    requisition_create,
    requisition_submit,
)
from apps.projects.choices import BudgetPolicy
from apps.projects.models import CostCode
from apps.projects.selectors import (
    BudgetCheckItem,
    budget_check,
    budget_totals,
    project_budget_tree,
)
from apps.projects.services import cost_code_parent_candidates, cost_codes_load
from tests.plugins.procurement import load_cost_code_rows, pending_request

D = Decimal


def figures(line):
    line.refresh_from_db()
    return {
        "original": line.original_amount,
        "approved_changes": line.approved_changes,
        "revised": line.revised,
        "committed": line.committed,
        "pending": line.pending_commitments,
        "actual": line.actual,
        "invoiced": line.invoiced,
        "available": line.available,
        "forecast": line.forecast_at_completion,
    }


def test_budget_arithmetic_across_phases_follows_every_fact(
    procure, school_budget, rob, alice, dora, sam, vendors
):
    concrete_p1 = school_budget.line("P1", "03 31 13")
    concrete_p2 = school_budget.line("P2", "03 31 13")

    # An owner change order adds 25,000 to the substructure concrete.
    owner_co = change_order_create(
        project=school_budget.project,
        kind="owner",
        title="Deeper foundations",
        lines=[{"budget_line": concrete_p1, "amount_delta": "25000"}],
        created_by=rob,
    )
    change_order_submit(change_order=owner_co, actor=rob)
    procure.approve(owner_co)

    # A PO of 400 m3 at 110.00 = 44,000, of which 250 m3 received.
    po = procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "400", "unit_price": "110"}]
    )
    procure.receive(po, {1: "250"})

    # A requisition of 30,000 waiting for approval: a pending commitment.
    requisition = requisition_create(
        project=school_budget.project,
        requested_by=rob,
        title="Blinding concrete",
        lines=[{"budget_line": concrete_p1, "quantity": "1", "unit_price": "30000"}],
    )
    requisition_submit(requisition=requisition, actor=rob)

    # A bill for 200 m3 at the PO price.
    invoice_record(
        vendor=vendors["readymix"],
        number="RMX-1001",
        invoice_date=po.created_at.date(),
        currency="EUR",
        commitment=po,
        lines=[{"commitment_line": po.lines.get().id, "quantity": "200", "unit_price": "110"}],
    )

    assert figures(concrete_p1) == {
        "original": D("200000.00"),
        "approved_changes": D("25000.00"),
        "revised": D("225000.00"),
        "committed": D("44000.00"),
        "pending": D("30000.00"),
        "actual": D("27500.00"),  # 250 m3 received × 110
        "invoiced": D("22000.00"),
        "available": D("151000.00"),  # 225,000 − 44,000 − 30,000
        "forecast": D("225000.00"),  # nothing suggests an overrun: the revised budget
    }
    # The other phase's line with the same cost code is untouched.
    assert figures(concrete_p2)["available"] == D("150000.00")
    # Project totals add up across phases.
    totals = budget_totals(project=school_budget.project)
    assert totals["revised"] == D("965000.00")
    assert totals["available"] == D("965000.00") - D("44000.00") - D("30000.00")

    # Closing the PO short releases what was neither received nor billed (400 − 250 m3).
    commitment_close(commitment=po, actor=rob)
    assert figures(concrete_p1)["committed"] == D("27500.00")

    # The running figures equal the facts, recomputed from the documents alone.
    assert budget_lines_recompute(project=school_budget.project) == {}
    facts = budget_line_facts(budget_line=concrete_p1)
    assert facts["committed"] == D("27500.00") and facts["pending_commitments"] == D("30000.00")


def test_forecast_uses_the_estimate_to_complete_when_entered(school_budget, rob):
    from apps.projects.services import budget_line_estimate_set

    line = school_budget.line("P3", "09 21 16")
    assert line.forecast_at_completion == D("120000.00")
    budget_line_estimate_set(budget_line=line, actor=rob, estimate_to_complete=D("135000"))
    line.refresh_from_db()
    assert line.forecast_at_completion == D("135000.00")
    assert line.variance_at_completion == D("-15000.00")


def test_subcontract_progress_moves_actual_and_recompute_agrees(procure, school_budget, sam, dora):
    subcontract = procure.issued_commitment(
        kind=CommitmentKind.SUBCONTRACT,
        vendor="steel",
        title="Steel frame",
        lines=[
            {
                "phase": "P2",
                "cost_code": "05 12 23",
                "quantity": "1",
                "unit": "ls",
                "unit_price": "240000",
            }
        ],
        approver=dora,
        retention_pct="5",
    )
    line = subcontract.lines.get()
    claim = progress_claim_submit(
        commitment=subcontract,
        submitted_by=procure.rob,
        period_end=subcontract.created_at.date(),
        lines=[{"line": line, "percent_complete": "40"}],
    )
    progress_claim_certify(claim=claim, certified_by=sam, certified={line.id: D("0.35")})
    steel = school_budget.line("P2", "05 12 23")
    assert steel.committed == D("240000.00")
    assert steel.actual == D("84000.00")  # 35% certified, not the 40% claimed
    assert budget_lines_recompute(project=school_budget.project) == {}


@pytest.mark.parametrize(
    ("amount", "outcome"),
    [
        ("10000", "available"),  # 10,000 of 120,000: 8.3 %
        ("107999.99", "available"),  # just under 90 % utilisation
        ("108000", "warn"),  # exactly 90 %: the warning threshold
        ("120000", "warn"),  # uses it all
        ("120000.01", "block"),  # one cent over: hard block
    ],
)
def test_budget_check_hard_block_policy(school_budget, amount, outcome):
    result = budget_check(
        project=school_budget.project,
        items=[BudgetCheckItem(cost_code="09 21 16", phase="P3", amount=D(amount))],
    )
    assert result.outcome == outcome
    line = result.lines[0]
    assert line["revised"] == D("120000.00")
    assert line["available_after"] == D("120000.00") - D(amount)


def test_budget_check_warn_policy_allows_overrun_up_to_its_limit(school_budget):
    project = school_budget.project
    project.budget_policy = BudgetPolicy.WARN
    project.budget_overrun_block_pct = D("10")
    project.save()
    check = budget_check(
        project=project, items=[BudgetCheckItem(cost_code="09 21 16", amount=D("132000"))]
    )
    assert check.outcome == "warn"  # 12,000 over = exactly 10 % of 120,000
    assert "allowed with a warning" in check.lines[0]["reason"]
    check = budget_check(
        project=project, items=[BudgetCheckItem(cost_code="09 21 16", amount=D("132000.01"))]
    )
    assert check.outcome == "block"
    assert "more than the 10% overrun allowed" in check.lines[0]["reason"]
    project.budget_overrun_block_pct = None
    project.save()
    check = budget_check(
        project=project, items=[BudgetCheckItem(cost_code="09 21 16", amount=D("500000"))]
    )
    assert check.outcome == "warn"


def test_budget_check_counts_commitments_and_pending_and_aggregates_phases(
    procure, school_budget, rob
):
    procure.issued_commitment(
        lines=[{"phase": "P1", "cost_code": "03 31 13", "quantity": "100", "unit_price": "100"}]
    )
    requisition = requisition_create(
        project=school_budget.project,
        requested_by=rob,
        title="More concrete",
        lines=[{"phase": "P2", "cost_code": "03 31 13", "quantity": "1", "unit_price": "5000"}],
    )
    requisition_submit(requisition=requisition, actor=rob)
    # Without a phase, a cost code is checked across every phase that budgets it.
    check = budget_check(
        project=school_budget.project, items=[BudgetCheckItem(cost_code="03 31 13", amount=D("1"))]
    )
    line = check.lines[0]
    assert line["revised"] == D("350000.00")
    assert line["committed"] == D("10000.00")
    assert line["pending_commitments"] == D("5000.00")
    assert line["available"] == D("335000.00")
    assert len(line["budget_line_ids"]) == 2


def test_budget_check_blocks_a_cost_code_without_budget_and_sums_repeated_codes(school_budget):
    check = budget_check(
        project=school_budget.project,
        items=[
            BudgetCheckItem(cost_code="26 05 19", amount=D("50000")),
            BudgetCheckItem(cost_code="26 05 19", amount=D("45000")),
            BudgetCheckItem(cost_code="22 11 16", amount=D("10")),
        ],
    )
    assert check.outcome == "block"
    cables, plumbing = check.lines
    assert cables["requested"] == D("95000.00") and cables["outcome"] == "block"
    assert plumbing["outcome"] == "block"
    assert "no budget for cost code 22 11 16" in plumbing["reason"]


def test_approval_recheck_does_not_count_the_requisition_against_itself(
    procure, school_budget, rob, alice
):
    requisition = requisition_create(
        project=school_budget.project,
        requested_by=rob,
        title="All the drywall",
        lines=[{"phase": "P3", "cost_code": "09 21 16", "quantity": "1", "unit_price": "45000"}],
    )
    requisition_submit(requisition=requisition, actor=rob)
    request = pending_request(requisition, DocumentType.REQUISITION)
    approval_decide(request_id=request.id, actor=alice, decision=Decision.APPROVE)
    requisition.refresh_from_db()
    assert requisition.status == "approved"


def test_cost_code_hierarchy_links_nearest_existing_ancestor(db):
    cost_codes_load(rows=load_cost_code_rows("masterformat-div03-div26.csv"))
    heavyweight = CostCode.objects.get(code="03 31 13")
    # The real list has no "03 30 00": the parent is the nearest code that exists.
    assert heavyweight.parent.code == "03 31 00"
    assert heavyweight.parent.parent.code == "03 00 00"
    assert CostCode.objects.get(code="03 01 30.51").parent.code == "03 01 30"
    assert CostCode.objects.get(code="03 00 00").parent is None
    assert cost_code_parent_candidates("03 31 13.16") == [
        "03 31 13",
        "03 31 00",
        "03 30 00",
        "03 00 00",
    ]
    # Loading again changes nothing.
    assert cost_codes_load(rows=load_cost_code_rows("masterformat-div03-div26.csv")) == 0


def test_budget_tree_totals_by_phase_and_division(school_budget):
    tree = project_budget_tree(project=school_budget.project)
    assert [entry["phase"].code for entry in tree["phases"]] == ["P1", "P2", "P3"]
    substructure = tree["phases"][0]
    assert substructure["totals"]["original"] == D("280000.00")
    assert list(substructure["divisions"]) == ["03", "31"]
    assert substructure["divisions"]["03"]["title"] == "Concrete"
    assert tree["totals"]["original"] == D("940000.00")
