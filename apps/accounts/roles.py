"""Roles are Django groups. Every view and API names the roles it admits; superusers pass all."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.urls import NoReverseMatch, reverse
from rest_framework.permissions import BasePermission

FINANCE = "finance"
PMO = "pmo"
INTEGRATION_ADMIN = "integration_admin"
REQUESTER = "requester"
APPROVER = "approver"

ROLE_LABELS = {
    FINANCE: "Finance reviewer",
    PMO: "PMO / executive",
    INTEGRATION_ADMIN: "Integration admin",
    REQUESTER: "Requester",
    APPROVER: "Approver",
}
ALL_ROLES = tuple(ROLE_LABELS)

# Where each role lands after login, in priority order (first role the user has wins).
ROLE_HOME = [
    (INTEGRATION_ADMIN, "monitoring:index"),
    (FINANCE, "exceptions:queue"),
    (PMO, "reports:index"),
    (APPROVER, "approvals:index"),
    (REQUESTER, "approvals:index"),
]


def user_roles(user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_ihub_roles", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
        user._ihub_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return bool(user_roles(user) & set(roles))


def is_admin(user) -> bool:
    """Integration admins and superusers see every project."""
    return has_role(user, INTEGRATION_ADMIN)


def role_required(*roles: str):
    """View decorator: anonymous → login page; authenticated without the role → 403."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, *roles):
                raise PermissionDenied("Your role does not give access to this page.")
            return view(request, *args, **kwargs)

        wrapped.required_roles = roles
        return wrapped

    return decorator


class HasRole(BasePermission):
    """DRF permission: the view sets `required_roles` (read) and optionally `write_roles`."""

    message = "Your role does not give access to this endpoint."

    def has_permission(self, request, view):
        read_roles = getattr(view, "required_roles", ())
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return has_role(request.user, *read_roles)
        write_roles = getattr(view, "write_roles", read_roles)
        return has_role(request.user, *write_roles)


def home_url_for(user) -> str | None:
    for role, url_name in ROLE_HOME:
        if has_role(user, role):
            try:
                return reverse(url_name)
            except NoReverseMatch:
                continue
    return None
