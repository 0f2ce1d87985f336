"""Demo exception items (idempotent: each has a fixed trace key and is created once) so the
workbench has something in every queue: a cost-code error, an unmatched invoice, an overdue
approval, a delivery failure and an unknown vendor."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from apps.exceptions.models import ExceptionItem
from apps.exceptions.services import exception_category_configs_seed, exception_open

DEMO_ITEMS = [
    {
        "category": "cost_code_error",
        "title": "Unknown cost code 03-300 from p6",
        "reason": "p6 sent cost code '03-300', which has no mapping to a canonical cost code. "
        "Map it; the held transactions are then released together.",
        "trace_key": "demo:cost_code:p6:03-300",
        "details": {
            "mapping_kind": "cost_code",
            "system": "p6",
            "value": "03-300",
            "label": "Cast-in-place concrete",
            "scope": "",
            "suggested": "03 30 00",
        },
        "amount": Decimal("48250.00"),
    },
    {
        "category": "unmatched_invoice",
        "title": "Invoice INV-2291 from Nordbau GmbH has no matching receipt",
        "reason": "The invoice bills 120 m3 of concrete; only 100 m3 were received on PO-1043.",
        "trace_key": "demo:invoice:INV-2291",
        "details": {
            "invoice": "INV-2291",
            "vendor": "Nordbau GmbH",
            "po": "PO-1043",
            "variance": "3150.00",
            "retention": "1575.00",
        },
        "amount": Decimal("18900.00"),
    },
    {
        "category": "approval_overdue",
        "title": "Change order CO-17 waiting for approval for 3 days",
        "reason": "Change order CO-17 (steel reinforcement) has waited past its approval SLA.",
        "trace_key": "demo:approval:CO-17",
        "details": {"approval": "CO-17", "approver": "alice"},
        "amount": Decimal("7400.00"),
        "overdue": True,
    },
    {
        "category": "delivery_failed",
        "title": "Vendor V-311 could not be delivered to Odoo",
        "reason": "Odoo answered 503 five times; the delivery is dead-lettered.",
        "trace_key": "demo:delivery:odoo:vendor:V-311",
        "details": {},
    },
    {
        "category": "unknown_vendor",
        "title": "Unknown vendor 'Kranverleih Süd' from the field app",
        "reason": "The field app sent vendor 'Kranverleih Süd', which is not in the vendor master.",
        "trace_key": "demo:vendor:field:kranverleih",
        "details": {},
    },
]


def seed(stdout) -> None:
    from apps.projects.models import Project

    exception_category_configs_seed()
    project = Project.objects.order_by("id").first()
    created = 0
    for spec in DEMO_ITEMS:
        if ExceptionItem.objects.filter(trace_key=spec["trace_key"]).exists():
            continue
        item = exception_open(
            category=spec["category"],
            title=spec["title"],
            reason=spec["reason"],
            trace_key=spec["trace_key"],
            project=project if spec.get("amount") else None,
            amount=spec.get("amount"),
            currency="EUR" if spec.get("amount") else "",
            details=spec["details"],
        )
        if spec.get("overdue"):
            ExceptionItem.objects.filter(pk=item.pk).update(
                sla_due_at=timezone.now() - timedelta(hours=5),
                first_seen_at=timezone.now() - timedelta(days=3),
            )
        created += 1
    stdout.write(f"  exceptions: {created} demo item(s) created\n")
