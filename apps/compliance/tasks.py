"""django-q2 entry points for subcontractor compliance (thin: call one service)."""

from __future__ import annotations

from apps.compliance.services import compliance_expiry_warn


def compliance_warn() -> int:
    """Send the expiry warnings due today (daily schedule); each document is warned about once
    (ComplianceWarning), so a re-run sends nothing twice. Returns how many were sent."""
    return compliance_expiry_warn()
