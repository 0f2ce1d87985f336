from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import ApiToken, ProjectMembership
from apps.accounts.roles import ALL_ROLES
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError, NotFoundError

TOKEN_PREFIX = "ihub_"


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def roles_ensure() -> list[Group]:
    """Create the role groups if missing (idempotent)."""
    return [Group.objects.get_or_create(name=name)[0] for name in ALL_ROLES]


@transaction.atomic
def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with its plaintext, which is never stored or shown again."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError("A token needs a name.", code="name_required")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=raw[: len(TOKEN_PREFIX) + 6], key_hash=token_hash(raw)
    )
    audit_record(actor=user, action="api_token.create", target=token, detail={"name": token.name})
    return token, raw


@transaction.atomic
def api_token_revoke(*, user, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (an admin may revoke anyone's)."""
    from apps.accounts.roles import is_admin

    queryset = ApiToken.objects.select_for_update()
    if not is_admin(user):
        queryset = queryset.filter(user=user)
    token = queryset.filter(id=token_id).first()
    if token is None:
        raise NotFoundError("No such token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=user, action="api_token.revoke", target=token, detail={})
    return token


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """The active token for a plaintext key, or None. Touches last_used_at at most once a minute."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(id=token.id).update(last_used_at=now)
    return token


def user_create(
    *,
    username: str,
    password: str,
    roles: list[str],
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    projects: list | None = None,
):
    """Create or update a user with the given roles (demo users, tests, admin onboarding)."""
    User = get_user_model()
    roles_ensure()
    user, _ = User.objects.get_or_create(username=username)
    user.email = email or f"{username}@example.com"
    user.first_name = first_name
    user.last_name = last_name
    user.is_active = True
    user.set_password(password)
    user.save()
    user.groups.set(Group.objects.filter(name__in=roles))
    for project in projects or []:
        ProjectMembership.objects.get_or_create(user=user, project=project)
    return user
