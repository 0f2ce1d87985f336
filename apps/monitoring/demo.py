"""Demo alert rules (idempotent): the examples of issue 10, so /monitoring/alerts/ is not empty.
The demo ledger's rollups are built by the same schedule the running hub uses."""

from decimal import Decimal

from apps.monitoring.models import AlertRule
from apps.monitoring.services import rollups_update

DEMO_RULES = [
    ("Failure rate > 5% over 10 min", "failure_rate", "gt", "5", 10, "critical"),
    ("Dead-letters > 0 over 60 min", "dead_letters", "gt", "0", 60, "critical"),
    ("Oldest pending > 15 min", "queue_age", "gt", "15", 1, "warning"),
    ("API quota > 80%", "quota_use", "gt", "80", 1, "warning"),
    ("Unmatched invoices > 5", "unmatched_invoices", "gt", "5", 1, "warning"),
    ("Amount at risk > 50,000", "amount_at_risk", "gt", "50000", 1, "warning"),
    ("Approvals overdue", "approvals_overdue", "gt", "0", 1, "info"),
]


def seed(stdout) -> None:
    created = 0
    for name, metric, condition, threshold, window, severity in DEMO_RULES:
        _, made = AlertRule.objects.get_or_create(
            name=name,
            defaults={
                "metric": metric,
                "condition": condition,
                "threshold": Decimal(threshold),
                "window_minutes": window,
                "severity": severity,
                "email_recipients": ["integration-admins@example.com"],
            },
        )
        created += made
    done = rollups_update()
    stdout.write(
        f"monitoring: {created} alert rules created; rollups over {done['transactions']} "
        f"transactions and {done['events']} events\n"
    )
