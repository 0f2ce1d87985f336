"""django-q2 entry points for approvals (thin: call one service)."""

from apps.approvals.services import approval_escalate_overdue


def approvals_escalate_overdue() -> int:
    return approval_escalate_overdue()
