"""pytest fixtures for the procurement work (registered in tests/conftest.py).

A budgeted school project (three phases, MasterFormat cost codes), vendors of every eligibility,
an authority matrix for the personas, and `procure` — a helper that walks documents through the
real services (create → submit → approve) so tests start from realistic states.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from apps.accounts import roles
from apps.accounts.services import user_create
from apps.approvals.choices import Decision, DocumentType, RequestStatus
from apps.approvals.models import ApprovalRequest, AuthorityRule
from apps.approvals.selectors import approval_requests_for
from apps.approvals.services import approval_decide
from apps.procurement.choices import CommitmentKind, VendorStatus
from apps.procurement.services import (
    commitment_create,
    commitment_submit,
    receipt_record,
    vendor_upsert,
)
from apps.projects.models import BudgetLine
from apps.projects.services import (
    budget_line_get_or_create,
    budget_line_set_original,
    cost_codes_load,
    phase_upsert,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "costcodes"
PASSWORD = "persona-pass-123"

# (phase, cost code) → original budget of the school project.
SCHOOL_BUDGET = {
    ("P1", "31 23 16"): Decimal("80000.00"),  # excavation
    ("P1", "03 31 13"): Decimal("200000.00"),  # structural concrete, substructure
    ("P2", "03 31 13"): Decimal("150000.00"),  # structural concrete, superstructure
    ("P2", "05 12 23"): Decimal("300000.00"),  # structural steel
    ("P3", "09 21 16"): Decimal("120000.00"),  # gypsum board
    ("P3", "26 05 19"): Decimal("90000.00"),  # cables
}


def load_cost_code_rows(name: str = "masterformat-subset.csv") -> list[dict]:
    with open(FIXTURES / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def cost_codes(db):
    cost_codes_load(rows=load_cost_code_rows())


@dataclass
class Budget:
    project: object
    phases: dict
    lines: dict

    def line(self, phase: str, code: str) -> BudgetLine:
        return BudgetLine.objects.get(id=self.lines[(phase, code)].id)


@pytest.fixture
def school_budget(school, cost_codes) -> Budget:
    """The school project with three phases and six budget lines (940,000 EUR)."""
    from apps.projects.models import CostCode

    phases = {
        "P1": phase_upsert(project=school, code="P1", name="Substructure", sequence=1),
        "P2": phase_upsert(project=school, code="P2", name="Superstructure", sequence=2),
        "P3": phase_upsert(project=school, code="P3", name="Fit-out", sequence=3),
    }
    lines = {}
    for (phase_code, code), amount in SCHOOL_BUDGET.items():
        line, _ = budget_line_get_or_create(
            project=school, phase=phases[phase_code], cost_code=CostCode.objects.get(code=code)
        )
        lines[(phase_code, code)] = budget_line_set_original(budget_line=line, amount=amount)
    return Budget(project=school, phases=phases, lines=lines)


@pytest.fixture
def dora(db, school):
    """Project director: approver with level-2 authority on the school."""
    return user_create(
        username="dora", password=PASSWORD, roles=[roles.APPROVER], projects=[school]
    )


@pytest.fixture
def sam(db, school):
    """Site manager: records receipts and certifies progress (requester role)."""
    return user_create(
        username="sam", password=PASSWORD, roles=[roles.REQUESTER], projects=[school]
    )


@pytest.fixture
def vendors(db):
    today = timezone.localdate()
    return {
        "readymix": vendor_upsert(
            code="V-RMX",
            name="ReadyMix Concrete Ltd",
            status=VendorStatus.APPROVED,
            insurance_expiry=today + timedelta(days=365),
        ),
        "steel": vendor_upsert(
            code="V-STL",
            name="Northern Steel Erectors",
            status=VendorStatus.APPROVED,
            insurance_expiry=today + timedelta(days=200),
        ),
        "expired": vendor_upsert(
            code="V-EXP",
            name="Lapsed Insurance Drylining",
            status=VendorStatus.APPROVED,
            insurance_expiry=today - timedelta(days=1),
        ),
        "blocked": vendor_upsert(
            code="V-BLK",
            name="Blocked Electrics",
            status=VendorStatus.BLOCKED,
            insurance_expiry=today + timedelta(days=100),
        ),
    }


DOCUMENTS_FOR_APPROVERS = [
    DocumentType.REQUISITION,
    DocumentType.PURCHASE_ORDER,
    DocumentType.SUBCONTRACT,
    DocumentType.CHANGE_ORDER,
]


@pytest.fixture
def authority(db, school, alice, dora, fiona):
    """alice: level 1 up to 50,000; dora: level 2, no limit, also control overrides;
    fiona: the accounting approver (posting) and invoice variances up to 10,000."""
    rules = []
    for document_type in DOCUMENTS_FOR_APPROVERS:
        rules.append(
            AuthorityRule(
                user=alice,
                project=school,
                document_type=document_type,
                level=1,
                amount_limit=Decimal("50000"),
                currency="EUR",
            )
        )
        rules.append(
            AuthorityRule(
                user=dora, project=school, document_type=document_type, level=2, currency="EUR"
            )
        )
    rules.append(
        AuthorityRule(
            user=dora, document_type=DocumentType.CONTROL_OVERRIDE, level=2, currency="EUR"
        )
    )
    rules.append(
        AuthorityRule(role=roles.FINANCE, document_type=DocumentType.POSTING, currency="EUR")
    )
    rules.append(
        AuthorityRule(
            user=fiona,
            document_type=DocumentType.INVOICE_VARIANCE,
            amount_limit=Decimal("10000"),
            currency="EUR",
        )
    )
    AuthorityRule.objects.bulk_create(rules)
    return rules


def pending_request(target, document_type: str | None = None) -> ApprovalRequest:
    queryset = approval_requests_for(target=target).filter(status=RequestStatus.PENDING)
    if document_type:
        queryset = queryset.filter(document_type=document_type)
    return queryset.get()


class Procure:
    """Walks documents through the real services for test setup."""

    def __init__(self, budget, vendors, rob, alice, sam):
        self.budget, self.vendors, self.rob, self.alice, self.sam = budget, vendors, rob, alice, sam

    def approve(self, target, approver=None, document_type=None):
        request = pending_request(target, document_type)
        return approval_decide(
            request_id=request.id, actor=approver or self.alice, decision=Decision.APPROVE
        )

    def issued_commitment(
        self,
        *,
        lines: list[dict],
        vendor: str = "readymix",
        kind: str = CommitmentKind.PURCHASE_ORDER,
        title: str = "Concrete supply",
        approver=None,
        **terms,
    ):
        """A commitment created by rob, approved by alice (or `approver`), issued."""
        specs = []
        for spec in lines:
            spec = dict(spec)
            if "phase" in spec and "budget_line" not in spec:
                spec["budget_line"] = self.budget.line(spec.pop("phase"), spec.pop("cost_code"))
            specs.append(spec)
        commitment = commitment_create(
            project=self.budget.project,
            vendor=self.vendors[vendor],
            kind=kind,
            title=title,
            lines=specs,
            created_by=self.rob,
            **terms,
        )
        commitment_submit(commitment=commitment, actor=self.rob)
        self.approve(commitment, approver)
        commitment.refresh_from_db()
        return commitment

    def receive(self, commitment, quantities: dict[int, str], by=None):
        """Receive {line_no: quantity} on a commitment (by sam, the site manager)."""
        lines = {line.line_no: line for line in commitment.lines.all()}
        return receipt_record(
            commitment=commitment,
            received_by=by or self.sam,
            lines=[
                {"line": lines[no], "quantity": Decimal(str(q))} for no, q in quantities.items()
            ],
        )


@pytest.fixture
def procure(school_budget, vendors, rob, alice, sam, authority) -> Procure:
    return Procure(school_budget, vendors, rob, alice, sam)
