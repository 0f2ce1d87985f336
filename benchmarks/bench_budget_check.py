"""Budget check latency with a large commitment book: POST /api/v1/budget-check/ (token auth,
the real middleware, serializers and error handling) on a project with 1,000,000 commitment lines
(--quick: 50,000). Goal: p95 ≤ 50 ms. The
framework baseline (a trivial authenticated GET with the same client) is printed next to it: on a
loaded machine most of the time is that, not the check (whose read is one indexed query whatever
the size of the commitment book: its database execution time is printed too).

The book is generated once in SQL (generate_series) and kept in the benchmark database; a rerun
reuses it. The budget lines' running figures are set from the book in one UPDATE, as the
procurement services would have maintained them, so the check has real numbers to answer with.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from decimal import Decimal

PROJECT_CODE = "BENCH-BUDGET"
PHASES = 10
COST_CODES = 200  # budget lines = PHASES × COST_CODES
LINES_PER_COMMITMENT = 50


def _book(target_lines: int) -> int:
    """Create the project, its budget and `target_lines` commitment lines (if not there yet)."""
    from django.db import connection, transaction

    from apps.accounts.services import user_create
    from apps.procurement.choices import VendorStatus
    from apps.procurement.models import Commitment, CommitmentLine, Vendor
    from apps.projects.models import BudgetLine, CostCode, Phase, Project

    project, _ = Project.objects.get_or_create(
        code=PROJECT_CODE, defaults={"name": "Budget check benchmark", "currency": "EUR"}
    )
    existing = CommitmentLine.objects.filter(commitment__project=project).count()
    if existing >= target_lines:
        return existing
    user = user_create(username="bench-buyer", password="bench-pass-2026", roles=["requester"])
    vendor, _ = Vendor.objects.get_or_create(
        code="V-BENCH", defaults={"name": "Bench vendor", "status": VendorStatus.APPROVED}
    )
    with transaction.atomic():
        codes = []
        for index in range(COST_CODES):
            code, _ = CostCode.objects.get_or_create(
                code=f"99 {index // 100:02d} {index % 100:02d}",
                defaults={"title": f"Bench cost code {index}", "level": 4},
            )
            codes.append(code)
        for p in range(PHASES):
            phase, _ = Phase.objects.get_or_create(
                project=project, code=f"PH{p:02d}", defaults={"name": f"Phase {p}", "sequence": p}
            )
            BudgetLine.objects.bulk_create(
                [
                    BudgetLine(
                        project=project,
                        phase=phase,
                        cost_code=code,
                        currency="EUR",
                        original_amount=Decimal("250000000.00"),
                    )
                    for code in codes
                ],
                ignore_conflicts=True,
            )
        needed = target_lines - existing
        commitments = (needed + LINES_PER_COMMITMENT - 1) // LINES_PER_COMMITMENT
        start = Commitment.objects.count()
        Commitment.objects.bulk_create(
            [
                Commitment(
                    number=f"BENCH-{start + i:08d}",
                    kind="purchase_order",
                    project=project,
                    vendor=vendor,
                    title="bench",
                    currency="EUR",
                    status="issued",
                    created_by=user,
                )
                for i in range(commitments)
            ],
            batch_size=5000,
        )
        line_ids = list(
            BudgetLine.objects.filter(project=project).order_by("id").values_list("id", flat=True)
        )
        with connection.cursor() as cursor:
            # Spread the lines over every budget line; amounts 100.00–10,099.00.
            cursor.execute(
                """
                INSERT INTO procurement_commitmentline
                    (commitment_id, line_no, budget_line_id, description, quantity, unit,
                     unit_price, amount, billing_basis, received_quantity, invoiced_quantity,
                     invoiced_amount, external_ref)
                SELECT c.id, s.n, (%s::bigint[])[1 + (c.id * 53 + s.n) %% %s], 'bench line',
                       1, 'ea', 100 + (c.id + s.n) %% 10000, 100 + (c.id + s.n) %% 10000,
                       'received', 0, 0, 0, ''
                FROM (SELECT id FROM procurement_commitment
                      WHERE project_id = %s AND number LIKE 'BENCH-%%'
                        AND NOT EXISTS (SELECT 1 FROM procurement_commitmentline l
                                        WHERE l.commitment_id = procurement_commitment.id)) c
                CROSS JOIN generate_series(1, %s) AS s(n)
                """,
                [line_ids, len(line_ids), project.id, LINES_PER_COMMITMENT],
            )
            cursor.execute(
                """
                UPDATE projects_budgetline b
                SET committed = agg.total,
                    -- budgets from just above to half again above what is committed, so the
                    -- check answers available, warn and block
                    original_amount = round(agg.total * (1.02 + (b.id %% 40) / 100.0), 2)
                FROM (SELECT budget_line_id, SUM(amount) AS total
                      FROM procurement_commitmentline GROUP BY budget_line_id) agg
                WHERE agg.budget_line_id = b.id AND b.project_id = %s
                """,
                [project.id],
            )
            cursor.execute("ANALYZE procurement_commitmentline; ANALYZE projects_budgetline;")
    return CommitmentLine.objects.filter(commitment__project=project).count()


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def run(args) -> list[dict]:
    from django.db import connection
    from django.test import Client

    from apps.accounts.services import api_token_create, user_create
    from apps.projects.models import CostCode, Project

    if connection.vendor != "postgresql":
        return [{"figure": "skipped", "value": "needs PostgreSQL", "unit": ""}]
    target = 50_000 if args.quick else 1_000_000
    started = time.perf_counter()
    lines = _book(target)
    setup_seconds = time.perf_counter() - started

    project = Project.objects.get(code=PROJECT_CODE)
    checker = user_create(username="bench-checker", password="bench-pass-2026", roles=["requester"])
    from apps.accounts.models import ProjectMembership

    ProjectMembership.objects.get_or_create(user=checker, project=project)
    _, token = api_token_create(user=checker, name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    codes = list(CostCode.objects.filter(code__startswith="99 ").values_list("code", flat=True))
    rng = random.Random(7)
    requests = 200 if args.quick else 1000
    timings: list[float] = []
    outcomes: dict[str, int] = {}
    for i in range(requests + 20):
        body = {
            "project": PROJECT_CODE,
            "lines": [
                {
                    "cost_code": rng.choice(codes),
                    "phase": f"PH{rng.randrange(PHASES):02d}" if i % 2 else "",
                    "amount": f"{rng.randrange(100, 30_000)}.00",
                }
                for _ in range(3)
            ],
        }
        began = time.perf_counter()
        response = client.post(
            "/api/v1/budget-check/", json.dumps(body), content_type="application/json"
        )
        elapsed = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            return [
                {
                    "figure": "error",
                    "value": response.status_code,
                    "unit": "",
                    "note": response.content.decode()[:200],
                }
            ]
        if i >= 20:  # the first requests warm connections and caches
            timings.append(elapsed)
            outcome = response.json()["outcome"]
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    note = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
    # What the database itself spends on the check's read (independent of machine load on the
    # Python side): EXPLAIN ANALYZE of the budget-line query the selector runs.
    from apps.projects.models import BudgetLine

    plan = (
        BudgetLine.objects.filter(project=project, cost_code__code__in=codes[:3])
        .select_related("phase", "cost_code")
        .order_by("id")
        .explain(analyze=True)
    )
    execution_ms = next(
        (
            float(row.split(":")[1].split()[0])
            for row in plan.splitlines()
            if "Execution Time" in row
        ),
        -1.0,
    )
    # The selector alone (one indexed read of the budget lines, no HTTP, no auth).
    from apps.projects.selectors import BudgetCheckItem, budget_check

    selector: list[float] = []
    for _ in range(requests):
        items = [
            BudgetCheckItem(cost_code=rng.choice(codes), amount=Decimal(rng.randrange(100, 30_000)))
            for _ in range(3)
        ]
        began = time.perf_counter()
        budget_check(project=project, items=items)
        selector.append((time.perf_counter() - began) * 1000)
    # The same client on the simplest authenticated endpoint: what the framework alone costs on
    # this machine right now (the check's own work is the difference).
    baseline: list[float] = []
    for i in range(requests // 2 + 10):
        began = time.perf_counter()
        client.get("/api/v1/accounts/me/")
        if i >= 10:
            baseline.append((time.perf_counter() - began) * 1000)
    return [
        {
            "figure": "commitment lines in the book",
            "value": lines,
            "unit": "lines",
            "note": f"setup {setup_seconds:.1f}s",
        },
        {
            "figure": "budget check p50 (3 cost codes)",
            "value": statistics.median(timings),
            "unit": "ms",
        },
        {
            "figure": "budget check p95 (3 cost codes)",
            "value": _percentile(timings, 95),
            "unit": "ms",
            "goal": "≤ 50",
            "note": note,
        },
        {
            "figure": "budget check p99 (3 cost codes)",
            "value": _percentile(timings, 99),
            "unit": "ms",
        },
        {
            "figure": "budget_check() selector p95",
            "value": _percentile(selector, 95),
            "unit": "ms",
            "note": "the read itself, without HTTP and auth",
        },
        {
            "figure": "budget-line read, database execution",
            "value": execution_ms,
            "unit": "ms",
            "note": "EXPLAIN ANALYZE: index on (project, cost code)",
        },
        {
            "figure": "baseline GET /api/v1/accounts/me/ p50",
            "value": statistics.median(baseline),
            "unit": "ms",
            "note": "token auth + DRF, no budget work",
        },
    ]
