"""Project initiation end to end, for a project created in the hub by an admin: the admin starts
it from the workflow page (HTTP POST); the hub sets up the scheduling shell (schedule settings)
and the document workspace, queues the project, its cost codes and its budget for Odoo as one
flow in the ledger, and notifies the members; the dispatcher delivers to the Odoo simulator,
which then has the project's analytic account, the missing cost-code account and the budget
lines (sum over phases). Starting it twice sends nothing twice."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.accounts import roles
from apps.accounts.services import user_create
from apps.documents.models import ProjectDocumentSettings
from apps.exceptions.models import ExceptionNotification
from apps.ledger.models import Transaction
from apps.projects.models import CostCode
from apps.projects.services import (
    budget_line_get_or_create,
    budget_line_set_original,
    phase_upsert,
    project_create,
)
from apps.schedule.models import ProjectScheduleSettings
from apps.workflows.definitions import WORKFLOWS
from apps.workflows.selectors import workflow_instances

pytestmark = pytest.mark.django_db

D = Decimal
BUDGET = {
    ("P1", "26 05 19"): D("40000.00"),
    ("P2", "26 05 19"): D("10000.00"),
    ("P1", "09 21 16"): D("25000.00"),  # no analytic account in Odoo yet
}


@pytest.fixture
def library(db, cost_codes):
    project = project_create(code="LIB-004", name="Town Library Extension")
    phases = {
        code: phase_upsert(project=project, code=code, name=code, sequence=n)
        for n, code in enumerate(("P1", "P2"), start=1)
    }
    for (phase, code), amount in BUDGET.items():
        line, _ = budget_line_get_or_create(
            project=project, phase=phases[phase], cost_code=CostCode.objects.get(code=code)
        )
        budget_line_set_original(budget_line=line, amount=amount)
    return project


def _odoo_budget(odoo_sim, project_code: str) -> dict[str, Decimal]:
    """{cost code: amount} of the project's budget in Odoo."""
    accounts = {
        row["id"]: row["code"] for row in odoo_sim.records("account.analytic.account", ["code"])
    }
    (budget,) = odoo_sim.records(
        "budget.analytic", ["id"], [("name", "=", f"{project_code} Construction budget")]
    )
    amounts = {}
    for row in odoo_sim.records("budget.line", None, [("budget_analytic_id", "=", budget["id"])]):
        codes = [
            accounts[value[0]]
            for key, value in row.items()
            if (key == "account_id" or key.startswith("x_plan")) and value and value[0] in accounts
        ]
        for code in codes:
            amounts[code] = amounts.get(code, D("0")) + D(str(row["budget_amount"]))
    return amounts


def test_admin_initiates_a_hub_project_and_odoo_gets_its_accounts_and_budget(
    client, odoo_sim, odoo_target, drain, library, ada
):
    lena = user_create(
        username="lena",
        password="x-Passw0rd-long",
        roles=[roles.PMO],
        email="lena@example.test",
        projects=[library],
    )
    assert not odoo_sim.records("account.analytic.account", ["id"], [("code", "=", "LIB-004")])
    assert not odoo_sim.records("account.analytic.account", ["id"], [("code", "=", "09 21 16")])

    client.force_login(lena)  # a PMO member may look, not start it
    assert client.post("/workflows/initiate/", {"project": "LIB-004"}).status_code == 403
    client.force_login(ada)
    response = client.post("/workflows/initiate/", {"project": "LIB-004"})
    assert response.status_code == 302
    drain()

    assert ProjectScheduleSettings.objects.filter(project=library).exists()
    assert ProjectDocumentSettings.objects.filter(project=library).exists()
    notice = ExceptionNotification.objects.get(kind="project_initiated")
    assert notice.recipients == ["lena@example.test"] and "LIB-004" in notice.subject

    outbound = list(Transaction.objects.filter(direction="outbound").order_by("id"))
    assert [(t.domain, t.status) for t in outbound] == [
        ("project", "delivered"),
        ("cost_code", "delivered"),
        ("cost_code", "delivered"),
        ("budget_line", "delivered"),
        ("budget_line", "delivered"),
    ], [(t.domain, t.status, t.last_error_message) for t in outbound]
    first = outbound[0]
    assert {t.correlation_id for t in outbound} == {first.correlation_id}
    assert all(t.parent_id == first.pk for t in outbound[1:])

    (project,) = odoo_sim.records("project.project", ["name"], [("name", "=", library.name)])
    assert odoo_sim.records("account.analytic.account", ["id"], [("code", "=", "LIB-004")])
    assert odoo_sim.records("account.analytic.account", ["id"], [("code", "=", "09 21 16")])
    assert _odoo_budget(odoo_sim, "LIB-004") == {
        "LIB-004": D("75000"),  # the project's account is on every line
        "26 05 19": D("50000"),
        "09 21 16": D("25000"),
    }

    (row,) = workflow_instances(user=ada, workflow=WORKFLOWS["project_initiation"])
    assert (row.step, row.status) == ("owners_notified", "completed")
    assert row.correlation_id == first.correlation_id

    # Again: the same records are not sent twice, Odoo holds one of each.
    assert client.post("/workflows/initiate/", {"project": "LIB-004"}).status_code == 302
    drain()
    assert Transaction.objects.filter(direction="outbound").count() == 5
    assert len(odoo_sim.records("project.project", ["id"], [("name", "=", library.name)])) == 1
    assert _odoo_budget(odoo_sim, "LIB-004")["26 05 19"] == D("50000")
