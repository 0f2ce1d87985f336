"""The five business workflows of DESIGN §6, as code: each is an ordered list of steps.

An instance of a workflow is one business flow (one correlation id in the ledger). The step an
instance is at comes from the services that perform the steps (WorkflowInstance.current_step)
and, for the last leg, from the ledger: an outbound write of the flow delivered to Odoo.
Procure-to-pay instances are derived from the procurement records alone (selectors).
"""

from __future__ import annotations

from dataclasses import dataclass

PROJECT_INITIATION = "project_initiation"
DOCUMENT_PROCUREMENT = "document_procurement"
SCHEDULE_PROCUREMENT = "schedule_procurement"
PROCURE_TO_PAY = "procure_to_pay"
CHANGE_MANAGEMENT = "change_management"


@dataclass(frozen=True)
class Step:
    key: str
    label: str


@dataclass(frozen=True)
class Workflow:
    key: str
    name: str
    summary: str
    steps: tuple[Step, ...]
    # Outbound (domain, operation) pairs whose delivery to Odoo reaches `odoo_step`.
    odoo_writes: tuple[tuple[str, str], ...] = ()
    odoo_step: str = ""

    def step_index(self, key: str) -> int:
        for index, step in enumerate(self.steps):
            if step.key == key:
                return index
        return -1

    def step_label(self, key: str) -> str:
        index = self.step_index(key)
        return self.steps[index].label if index >= 0 else key


WORKFLOWS: dict[str, Workflow] = {
    workflow.key: workflow
    for workflow in (
        Workflow(
            key=PROJECT_INITIATION,
            name="Project initiation",
            summary="A project approved in Odoo or created in the hub: scheduling shell, "
            "document workspace, cost codes and budget synchronised, owners notified.",
            steps=(
                Step("approved", "Project approved"),
                Step("schedule_shell", "Scheduling project shell"),
                Step("document_workspace", "Document workspace"),
                Step("budget_synchronised", "Cost codes and budget sent to Odoo"),
                Step("owners_notified", "Owners notified"),
            ),
        ),
        Workflow(
            key=DOCUMENT_PROCUREMENT,
            name="Document-driven procurement",
            summary="A submittal approved in document control releases its linked procurement "
            "lines (requisition → approval → PO in Odoo); a rejection holds them.",
            steps=(
                Step("submittal_received", "Submittal response received"),
                Step("lines_held", "Lines held (rejected / revise and resubmit)"),
                Step("lines_released", "Lines released for approval"),
                Step("po_issued", "Requisition approved, PO issued"),
                Step("po_in_odoo", "PO in Odoo"),
            ),
            odoo_writes=(("commitment", "create"),),
            odoo_step="po_in_odoo",
        ),
        Workflow(
            key=SCHEDULE_PROCUREMENT,
            name="Schedule-driven procurement",
            summary="A milestone slips past its threshold: the commitments tied to it are "
            "flagged for review, their expected delivery (and the cash-flow forecast) shifts, "
            "and procurement is alerted.",
            steps=(
                Step("slip_detected", "Milestone slipped past threshold"),
                Step("commitments_flagged", "Commitments flagged, delivery dates shifted"),
                Step("alerted", "Responsible people alerted"),
            ),
        ),
        Workflow(
            key=PROCURE_TO_PAY,
            name="Procure-to-pay",
            summary="Requisition → budget check → approval → PO in Odoo → receipt → vendor "
            "bill → 3-way match → posting → payment → bank reconciliation.",
            steps=(
                Step("requisition", "Requisition"),
                Step("approved", "Budget check and approval"),
                Step("po_in_odoo", "PO in Odoo"),
                Step("received", "Receipt"),
                Step("billed", "Vendor bill"),
                Step("matched", "3-way match"),
                Step("posted", "Posted"),
                Step("paid", "Paid"),
                Step("reconciled", "Bank reconciliation"),
            ),
        ),
        Workflow(
            key=CHANGE_MANAGEMENT,
            name="Change management",
            summary="A change event in the platform becomes a change order; once approved, "
            "the revised budget reaches Odoo.",
            steps=(
                Step("change_event", "Change event received"),
                Step("change_order", "Change order submitted for approval"),
                Step("approved", "Change order approved"),
                Step("budget_in_odoo", "Revised budget in Odoo"),
                Step("rejected", "Change order rejected"),
            ),
            odoo_writes=(("budget_line", "revise"), ("change_order", "apply")),
            odoo_step="budget_in_odoo",
        ),
    )
}


def workflow_definition(key: str) -> Workflow | None:
    return WORKFLOWS.get(key)
