"""Demo group (idempotent): two entities of Northbridge on the one demo Odoo, each its own Odoo
company, and an intercompany purchase between them.

- nbg  Northbridge Construction GmbH (EUR, Odoo company 1): the school and the hospital;
- nbl  Northbridge Construction Ltd (GBP, Odoo company 2): the bridge; it also makes precast
  culverts and sells them to the group as vendor V-NBL.

The school's precast culvert order from V-NBL is intercompany: the worker sends the purchase order
to company 1 and the sales order to company 2, and the nightly reconciliation (or "Reconcile
intercompany now" on /entities/) compares the two. Exchange rates come from the simulator's
res.currency.rate when the daily pull runs (or "Pull rates" on /entities/).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.approvals.choices import Decision, RequestStatus
from apps.approvals.selectors import approval_requests_for
from apps.approvals.services import approval_decide
from apps.connectors.models import System
from apps.core.errors import ApplicationError
from apps.entities.models import Entity, IntercompanyCommitment
from apps.procurement.choices import CommitmentKind, VendorStatus
from apps.procurement.services import commitment_create, commitment_submit, vendor_upsert
from apps.projects.models import BudgetLine, Project

ENTITIES = [
    ("nbg", "Northbridge Construction GmbH", "EUR", 1, ["SCH-001", "HOS-002"]),
    ("nbl", "Northbridge Construction Ltd", "GBP", 2, ["BRG-003"]),
]


def seed(stdout) -> None:
    odoo = System.objects.filter(kind="odoo", enabled=True).order_by("id").first()
    entities = {}
    for code, name, currency, company_id, projects in ENTITIES:
        entity, _ = Entity.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "currency": currency,
                "odoo_system": odoo,
                "odoo_company_id": company_id if odoo else None,
            },
        )
        Project.objects.filter(code__in=projects, entity__isnull=True).update(entity=entity)
        entities[code] = entity
    seller = entities["nbl"]
    if seller.vendor_id is None:
        seller.vendor = vendor_upsert(
            code="V-NBL",
            name="Northbridge Construction Ltd",
            email="sales@northbridge-ltd.example",
            status=VendorStatus.APPROVED,
            insurance_expiry=timezone.localdate() + timedelta(days=300),
        )
        seller.save(update_fields=["vendor"])
    stdout.write(f"  entities: {', '.join(sorted(entities))}")
    if IntercompanyCommitment.objects.exists():
        return
    _intercompany_order(seller.vendor, stdout)


def _intercompany_order(vendor, stdout) -> None:
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["rob", "alice"])}
    school = Project.objects.filter(code="SCH-001").first()
    line = (
        BudgetLine.objects.filter(project=school, phase__code="P1", cost_code__code="03 31 13")
        .select_related("phase")
        .first()
    )
    if school is None or line is None or len(users) < 2:
        stdout.write("  intercompany demo skipped: the school, its budget or rob/alice missing")
        return
    try:
        commitment = commitment_create(
            project=school,
            vendor=vendor,
            kind=CommitmentKind.PURCHASE_ORDER,
            title="Precast box culverts for the school's storm drain, from Northbridge Ltd",
            lines=[
                {
                    "budget_line": line,
                    "description": "Precast concrete box culvert 2.0 × 1.5 m",
                    "product_code": "PRC-CULVERT-2015",
                    "quantity": Decimal("4"),
                    "unit": "Units",
                    "unit_price": Decimal("3250"),
                }
            ],
            created_by=users["rob"],
        )
        commitment_submit(commitment=commitment, actor=users["rob"])
        for request in approval_requests_for(target=commitment).filter(
            status=RequestStatus.PENDING
        ):
            approval_decide(request_id=request.id, actor=users["alice"], decision=Decision.APPROVE)
    except ApplicationError as exc:  # said, not swallowed: the rest of the demo still starts
        stdout.write(f"  intercompany demo order not placed: {exc.message}")
        return
    stdout.write(f"  intercompany: {commitment.number} nbg → nbl (sales order goes to company 2)")
