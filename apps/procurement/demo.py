"""Demo procurement (idempotent: a project that already has commitments is left alone).

Built through the real services, so every figure is consistent with the facts: vendors (one with
expired insurance), tolerances, POs and a subcontract with receipts and a certified claim, bills
that match, match within tolerance and hold on a price variance, change orders, requests waiting
for alice, and the payment the banking demo's statement refers to (HUB-PAY-0001). Dates are
spread over the months before the bank statement of 2026-01-15 and after it.

The seeded months are history: they are not sent to Odoo (the simulator does not hold them, so
an action on a historical document that must reach Odoo fails there visibly, as a
permanent_target_error item). What waits for alice is ready for the simulator: rob's
requisition (a vendor, product and cost code Odoo knows) and an owner change order.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.approvals.choices import Decision, DocumentType, RequestStatus
from apps.approvals.models import ApprovalRequest
from apps.approvals.selectors import approval_requests_for
from apps.approvals.services import approval_decide
from apps.core.errors import ApplicationError
from apps.procurement import outbound
from apps.procurement.choices import BillingBasis, CommitmentKind, VendorStatus
from apps.procurement.models import Commitment, Vendor
from apps.procurement.services import (
    change_order_create,
    change_order_submit,
    commitment_create,
    commitment_submit,
    invoice_record,
    match_tolerance_set,
    payment_record,
    progress_claim_certify,
    progress_claim_submit,
    receipt_record,
    requisition_create,
    requisition_submit,
    vendor_upsert,
)
from apps.projects.models import BudgetLine, Project


def _vendors() -> dict:
    today = timezone.localdate()
    rows = [
        (
            "V-HCS",
            "Harbour Concrete Supplies Ltd",
            "GB33BUKB20201555555555",
            400,
            VendorStatus.APPROVED,
        ),
        (
            "V-NSF",
            "Northern Steel Fabricators B.V.",
            "NL20INGB0001234567",
            300,
            VendorStatus.APPROVED,
        ),
        ("V-SHC", "Scaffold Hire Co", "", 200, VendorStatus.APPROVED),
        ("V-SSL", "Site Safety Ltd", "", 150, VendorStatus.APPROVED),
        ("V-BWE", "Brightwire Electrical", "", 250, VendorStatus.APPROVED),
        # Expired insurance: no commitment may be sent to it.
        ("V-DRY", "Dryline Interiors", "", -20, VendorStatus.APPROVED),
    ]
    return {
        code: vendor_upsert(
            code=code,
            name=name,
            iban=iban,
            status=status,
            insurance_expiry=today + timedelta(days=days),
        )
        for code, name, iban, days, status in rows
    }


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


def _line(project: Project, phase: str, code: str) -> BudgetLine:
    return BudgetLine.objects.get(project=project, phase__code=phase, cost_code__code=code)


def _approve(target, actor, document_type=None):
    queryset = approval_requests_for(target=target).filter(status=RequestStatus.PENDING)
    if document_type:
        queryset = queryset.filter(document_type=document_type)
    request = queryset.get()
    return approval_decide(request_id=request.id, actor=actor, decision=Decision.APPROVE)


def _commitment(project, vendor, kind, title, lines, rob, alice, on: date, **terms):
    commitment = commitment_create(
        project=project,
        vendor=vendor,
        kind=kind,
        title=title,
        lines=lines,
        created_by=rob,
        **terms,
    )
    commitment_submit(commitment=commitment, actor=rob)
    _approve(commitment, alice)
    Commitment.objects.filter(id=commitment.id).update(
        created_at=_at(on),
        approved_at=_at(on + timedelta(days=1)),
        issued_at=_at(on + timedelta(days=1)),
    )
    commitment.refresh_from_db()
    return commitment


def _bill(commitment, number, on: date, quantity, unit_price, **extra):
    return invoice_record(
        vendor=commitment.vendor,
        number=number,
        invoice_date=on,
        due_date=on + timedelta(days=30),
        currency="EUR",
        commitment=commitment,
        lines=[
            {
                "commitment_line": commitment.lines.get(line_no=extra.pop("line_no", 1)).id,
                "quantity": quantity,
                "unit_price": unit_price,
                "description": extra.pop("description", commitment.title),
            }
        ],
        **extra,
    )


def _post(invoice, fiona) -> None:
    _approve(invoice, fiona, DocumentType.POSTING)


def _school(project, vendors, rob, alice, fiona) -> None:
    concrete = _commitment(
        project,
        vendors["V-HCS"],
        CommitmentKind.PURCHASE_ORDER,
        "Ready-mix concrete C30/37, substructure",
        [
            {
                "budget_line": _line(project, "P1", "03 31 13"),
                "description": "Ready-mix C30/37",
                "quantity": "1800",
                "unit": "m3",
                "unit_price": "110",
            }
        ],
        rob,
        alice,
        date(2025, 11, 10),
    )
    receipt_record(
        commitment=concrete,
        received_by=rob,
        lines=[{"line": concrete.lines.get(), "quantity": "420"}],
        received_on=date(2025, 12, 2),
        reference="DN-44120",
    )
    receipt_record(
        commitment=concrete,
        received_by=rob,
        lines=[{"line": concrete.lines.get(), "quantity": "380"}],
        received_on=date(2026, 1, 9),
        reference="DN-45007",
    )
    # December's 420 m3 billed exactly in two bills, then 100 m3 0.45 % dearer (within the 1 %
    # price tolerance), then 200 m3 at a price nobody agreed to (held on a price variance).
    exact = _bill(concrete, "HCS-88190", date(2025, 12, 20), "353.45", "110")
    _post(exact, fiona)
    tolerated = _bill(concrete, "HCS-88231", date(2026, 1, 5), "66.55", "110")
    _post(tolerated, fiona)
    _post(_bill(concrete, "HCS-88254", date(2026, 1, 12), "100", "110.50"), fiona)
    _bill(concrete, "HCS-88302", date(2026, 1, 28), "200", "118")

    steel = _commitment(
        project,
        vendors["V-NSF"],
        CommitmentKind.SUBCONTRACT,
        "Structural steel frame, supply and erect",
        [
            {
                "budget_line": _line(project, "P2", "05 12 23"),
                "description": "Steel frame lump sum",
                "quantity": "1",
                "unit": "ls",
                "unit_price": "388421",
            }
        ],
        rob,
        alice,
        date(2025, 11, 20),
        retention_pct="5",
        retention_cap_pct="5",
    )
    claim = progress_claim_submit(
        commitment=steel,
        submitted_by=fiona,
        period_end=date(2025, 12, 31),
        lines=[{"line": steel.lines.get(), "percent_complete": "6"}],
        vendor_reference="NSF-PC-01",
    )
    progress_claim_certify(
        claim=claim,
        certified_by=rob,
        certified={steel.lines.get().id: Decimal("0.05")},
        comment="5 % certified: fabrication started, nothing erected yet",
    )
    steel_bill = _bill(steel, "NSF-2026-0117", date(2026, 1, 7), "0.05", "388421")
    _post(steel_bill, fiona)
    # Paid through the hub's payment run; the bank statement returns it (account closed).
    payment_record(
        vendor=steel.vendor,
        amount=steel_bill.payable_amount,
        currency="EUR",
        paid_on=date(2026, 1, 14),
        source="manual",
        reference="HUB-PAY-0001",
        allocations=[{"invoice": steel_bill, "amount": steel_bill.payable_amount}],
        recorded_by=fiona,
    )

    for vendor, code, number, title, weeks, rate, on in [
        ("V-SHC", "01 54 23", "SH-4410", "Scaffold hire", "4", "600", date(2026, 1, 3)),
        ("V-SSL", "01 56 26", "SSL-0932", "Site safety fencing", "3", "500", date(2026, 1, 4)),
    ]:
        hire = _commitment(
            project,
            vendors[vendor],
            CommitmentKind.PURCHASE_ORDER,
            title,
            [
                {
                    "budget_line": _line(project, "P1", code),
                    "quantity": weeks,
                    "unit": "week",
                    "unit_price": rate,
                    "billing_basis": BillingBasis.ORDERED,
                }
            ],
            rob,
            alice,
            on - timedelta(days=40),
        )
        _post(_bill(hire, number, on, weeks, rate), fiona)

    owner = change_order_create(
        project=project,
        kind="owner",
        title="Client adds a covered play area",
        reason="Instruction CI-014",
        lines=[{"budget_line": _line(project, "P2", "05 12 23"), "amount_delta": "38000"}],
        created_by=rob,
    )
    change_order_submit(change_order=owner, actor=rob)
    _approve(owner, alice)
    extra = change_order_create(
        project=project,
        kind="subcontract",
        commitment=steel,
        title="Canopy steelwork",
        reason="Follows CI-014",
        owner_change_order=owner,
        lines=[
            {
                "budget_line": _line(project, "P2", "05 12 23"),
                "quantity": "1",
                "unit_price": "34500",
                "description": "Canopy frame",
            }
        ],
        created_by=rob,
    )
    change_order_submit(change_order=extra, actor=rob)
    _approve(extra, alice)

    # Waiting for alice, and ready for the Odoo simulator once she approves: a vendor and a
    # product Odoo knows, a cost code mapped to Odoo's analytic code.
    waiting = requisition_create(
        project=project,
        requested_by=rob,
        title="Ready-mix for the level 2 slab",
        vendor=Vendor.objects.get(code="V-1002"),
        lines=[
            {
                "budget_line": _line(project, "P2", "03 31 13"),
                "product_code": "CON-C3037",
                "description": "Ready-mix concrete C30/37",
                "quantity": "140",
                "unit": "m3",
                "unit_price": "118",
            }
        ],
    )
    requisition_submit(requisition=waiting, actor=rob)
    cables = change_order_create(
        project=project,
        kind="owner",
        title="Client adds EV charging bays",
        reason="Instruction CI-019",
        lines=[{"budget_line": _line(project, "P4", "26 05 19"), "amount_delta": "6000"}],
        created_by=rob,
    )
    change_order_submit(change_order=cables, actor=rob)


def _hospital(project, vendors, rob, alice, fiona) -> None:
    ducts = _commitment(
        project,
        vendors["V-BWE"],
        CommitmentKind.PURCHASE_ORDER,
        "Galvanised ductwork",
        [
            {
                "budget_line": _line(project, "E3", "23 31 13"),
                "quantity": "900",
                "unit": "m",
                "unit_price": "85",
            }
        ],
        rob,
        alice,
        date(2025, 12, 1),
    )
    receipt_record(
        commitment=ducts,
        received_by=rob,
        lines=[{"line": ducts.lines.get(), "quantity": "300"}],
        received_on=date(2026, 1, 20),
    )
    _bill(ducts, "BWE-1102", date(2026, 2, 2), "300", "85")
    # Billed beyond what was delivered (450 m billed, 300 m received): held.
    _bill(ducts, "BWE-1130", date(2026, 2, 16), "150", "85")
    # Over its budget line (35,000) by 9.7 %: the hospital's warn policy let it through with a
    # warning (up to 10 %), so the executive dashboard has an overrun to drill into.
    _commitment(
        project,
        vendors["V-SSL"],
        CommitmentKind.PURCHASE_ORDER,
        "Site offices and welfare cabins, 12 months",
        [
            {
                "budget_line": _line(project, "E1", "01 52 13"),
                "quantity": "12",
                "unit": "month",
                "unit_price": "3200",
                "billing_basis": BillingBasis.ORDERED,
            }
        ],
        rob,
        alice,
        date(2025, 11, 17),
    )
    requisition = requisition_create(
        project=project,
        requested_by=rob,
        title="Cable for level 3 wards",
        lines=[
            {
                "budget_line": _line(project, "E3", "26 05 19"),
                "quantity": "5200",
                "unit": "m",
                "unit_price": "24.80",
            }
        ],
    )
    requisition_submit(requisition=requisition, actor=rob)  # 92 % of the line: a warning


def _bridge(project, vendors, rob, alice, fiona) -> None:
    _commitment(
        project,
        vendors["V-SHC"],
        CommitmentKind.SUBCONTRACT,
        "Access scaffold, spans 2-4",
        [
            {
                "budget_line": _line(project, "B1", "01 54 23"),
                "quantity": "1",
                "unit": "ls",
                "unit_price": "68000",
            }
        ],
        rob,
        alice,
        date(2026, 2, 3),
        retention_pct="3",
    )
    # Dryline's insurance expired: the approved requisition cannot become a PO (compliance hold).
    requisition = requisition_create(
        project=project,
        requested_by=rob,
        title="Parapet lining boards",
        vendor=vendors["V-DRY"],
        lines=[
            {
                "budget_line": _line(project, "B3", "05 52 00"),
                "quantity": "220",
                "unit": "m",
                "unit_price": "95",
            }
        ],
    )
    requisition_submit(requisition=requisition, actor=rob)
    _approve(requisition, alice)


def seed(stdout) -> None:
    User = get_user_model()
    users = {
        u.username: u for u in User.objects.filter(username__in=["rob", "alice", "fiona", "ada"])
    }
    if len(users) < 4:
        stdout.write("  procurement: demo users missing, nothing seeded\n")
        return
    rob, alice, fiona, ada = users["rob"], users["alice"], users["fiona"], users["ada"]
    vendors = _vendors()
    if not _has_default_tolerance():
        match_tolerance_set(
            actor=ada, quantity_pct="2", quantity_amount="500", price_pct="1", price_amount="250"
        )
    _odoo_alignment(ada)
    builders = {"SCH-001": _school, "HOS-002": _hospital, "BRG-003": _bridge}
    seeded = []
    for code, build in builders.items():
        project = Project.objects.filter(code=code).first()
        if project is None or Commitment.objects.filter(project=project).exists():
            continue
        try:
            # The seeded months are history Odoo already holds: not sent again. What people do
            # in the demo afterwards goes to the Odoo simulator through the ledger.
            with outbound.suspended("demo history"):
                build(project, vendors, rob, alice, fiona)
        except ApplicationError as exc:
            stdout.write(f"  procurement: {code} not seeded: {exc.code}: {exc.message}\n")
            continue
        seeded.append(code)
    planned = _delivery_plan()
    waiting = ApprovalRequest.objects.filter(status=RequestStatus.PENDING).count()
    stdout.write(
        f"  procurement: {Vendor.objects.count()} vendors, "
        f"{planned} deliveries planned, "
        f"seeded {', '.join(seeded) or 'nothing new'}; "
        f"{waiting} approval requests waiting\n"
    )


# Vendors the Odoo simulator knows (by res.partner ref), so requisitions raised in the demo
# become POs Odoo accepts; and the Odoo analytic codes the demo's cost codes book on.
ODOO_VENDORS = [
    ("V-1001", "Baustoff Schmidt GmbH"),
    ("V-1002", "Elbe Readymix Beton GmbH"),
    ("V-1003", "Nordic Rebar AB"),
    ("V-1005", "Kabelwerk Brandt KG"),
    ("V-1006", "Atlas Crane & Plant Hire Ltd"),
]
ODOO_COST_CODES = {
    "03 30 00": "03 31 13",
    "05 12 00": "05 12 23",
    "31 23 00": "31 23 16",
    "01 54 00": "01 54 23",
}


def _odoo_alignment(ada) -> None:
    from apps.connectors.models import System
    from apps.sync.models import Mapping
    from apps.sync.services import mapping_save

    today = timezone.localdate()
    for code, name in ODOO_VENDORS:
        if not Vendor.objects.filter(code=code).exists():
            vendor_upsert(
                code=code,
                name=name,
                status=VendorStatus.APPROVED,
                insurance_expiry=today + timedelta(days=365),
            )
    for system in System.objects.filter(kind="odoo"):
        for external, canonical in ODOO_COST_CODES.items():
            if not Mapping.objects.filter(
                kind="cost_code", system=system, external_value=external, active=True
            ).exists():
                mapping_save(
                    actor=ada,
                    kind="cost_code",
                    system=system,
                    external_value=external,
                    canonical_value=canonical,
                    note="demo: Odoo books these MasterFormat items on its section codes",
                )


def _has_default_tolerance() -> bool:
    from apps.procurement.models import MatchTolerance

    return MatchTolerance.objects.filter(project=None, vendor=None).exists()


# Delivery timing of the seeded commitments, tied to the milestones of the school's schedule
# (tests/fixtures/schedules/slip-*.xer: M1000 Foundations complete, M3000 Start steel erection,
# M4000 Façade closed - Block B): (project, commitment title) → (planned, expected, milestone,
# review flag). The steel frame hangs on M3000, which slipped past its threshold in the updates,
# so its expected delivery moved and it waits for review; the others are on plan.
DELIVERY_PLAN = {
    ("SCH-001", "Ready-mix concrete C30/37, substructure"): (
        date(2026, 1, 30),
        date(2026, 1, 30),
        "M1000",
        "",
    ),
    ("SCH-001", "Structural steel frame, supply and erect"): (
        date(2026, 3, 2),
        date(2026, 3, 11),
        "M3000",
        "Milestone M3000 Start steel erection slipped 7 working days (threshold 5)",
    ),
    ("SCH-001", "Scaffold hire"): (date(2025, 11, 24), date(2025, 11, 24), "", ""),
    ("HOS-002", "Galvanised ductwork"): (date(2026, 2, 27), date(2026, 3, 13), "", ""),
    ("BRG-003", "Access scaffold, spans 2-4"): (date(2026, 2, 16), date(2026, 2, 16), "", ""),
}


def _delivery_plan() -> int:
    """Set the delivery dates of the seeded commitments that have none yet (idempotent: a date
    someone set or a slip moved since is left alone). Returns how many commitments have a
    planned delivery date."""
    for (code, title), (planned, expected, milestone, flag) in DELIVERY_PLAN.items():
        Commitment.objects.filter(
            project__code=code, title=title, planned_delivery_date__isnull=True
        ).update(
            planned_delivery_date=planned,
            expected_delivery_date=expected,
            milestone_code=milestone,
            review_flag=flag,
        )
    return Commitment.objects.filter(planned_delivery_date__isnull=False).count()
