"""Navigation per role. Entries whose URL does not exist yet are skipped, so apps can land in any
order."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from apps.accounts.roles import (
    APPROVER,
    FINANCE,
    INTEGRATION_ADMIN,
    PMO,
    REQUESTER,
    has_role,
)


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: tuple[str, ...]


NAV_ITEMS = [
    NavItem("Exceptions", "exceptions:queue", (FINANCE, INTEGRATION_ADMIN)),
    NavItem("Approvals", "approvals:index", (REQUESTER, APPROVER, FINANCE)),
    NavItem("Procurement", "procurement:index", (FINANCE, REQUESTER, APPROVER, PMO)),
    NavItem("Banking", "banking:statements", (FINANCE, INTEGRATION_ADMIN)),
    NavItem("Billing", "billing:index", (FINANCE, PMO, APPROVER, INTEGRATION_ADMIN)),
    NavItem("Reports", "reports:index", (PMO, FINANCE)),
    NavItem("Field", "field:index", (PMO, FINANCE, INTEGRATION_ADMIN)),
    NavItem("Group", "entities:index", (PMO, FINANCE, INTEGRATION_ADMIN)),
    NavItem("Vendor changes", "vendors:bank_changes", (FINANCE, INTEGRATION_ADMIN)),
    NavItem("Compliance", "compliance:index", (FINANCE, PMO)),
    NavItem("Schedule", "schedule:index", (PMO, INTEGRATION_ADMIN)),
    NavItem("Documents", "documents:index", (PMO, INTEGRATION_ADMIN)),
    NavItem("Workflows", "workflows:index", (PMO, FINANCE, INTEGRATION_ADMIN, REQUESTER, APPROVER)),
    NavItem("Ledger", "ledger:list", (FINANCE, INTEGRATION_ADMIN, PMO)),
    NavItem("Monitoring", "monitoring:index", (INTEGRATION_ADMIN,)),
    NavItem("Jobs", "jobs:list", (INTEGRATION_ADMIN,)),
    NavItem("Configuration", "sync:config", (INTEGRATION_ADMIN,)),
    NavItem("Systems", "connectors:systems", (INTEGRATION_ADMIN,)),
    NavItem("Refused requests", "ledger:refused", (INTEGRATION_ADMIN,)),
    NavItem("Audit", "audit:list", (INTEGRATION_ADMIN,)),
]


def nav_for(user, current_path: str = "") -> list[dict]:
    items = []
    for item in NAV_ITEMS:
        if not has_role(user, *item.roles):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": item.label, "url": url, "active": current_path.startswith(url)})
    return items
