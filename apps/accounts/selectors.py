from __future__ import annotations

from django.db.models import Q, QuerySet

from apps.accounts.models import ApiToken, ProjectMembership
from apps.accounts.roles import is_admin


def user_project_ids(*, user) -> set[int] | None:
    """The ids of the projects a user may see, or None when they may see every project."""
    if not getattr(user, "is_authenticated", False):
        return set()
    if is_admin(user):
        return None
    cached = getattr(user, "_ihub_project_ids", None)
    if cached is None:
        cached = set(
            ProjectMembership.objects.filter(user=user).values_list("project_id", flat=True)
        )
        cached = _entity_scoped(user, cached)
        user._ihub_project_ids = cached
    return cached


def _entity_scoped(user, project_ids: set[int]) -> set[int]:
    """A member of entities sees every project of those entities, and no project of another
    entity even through a stray project membership (apps.entities)."""
    from apps.entities.selectors import entity_ids_for_user
    from apps.projects.models import Project

    entity_ids = entity_ids_for_user(user=user)
    if not entity_ids:
        return project_ids
    return set(
        Project.objects.filter(
            Q(entity_id__in=entity_ids) | Q(id__in=project_ids, entity__isnull=True)
        ).values_list("id", flat=True)
    )


def scope_to_user_projects(
    queryset: QuerySet, *, user, field: str = "project", include_unscoped: bool = True
) -> QuerySet:
    """Filter any queryset to the user's projects.

    `include_unscoped` keeps rows with no project (system-wide records such as vendor syncs),
    which the caller's role check already admitted.
    """
    ids = user_project_ids(user=user)
    if ids is None:
        return queryset
    condition = Q(**{f"{field}__in": ids})
    if include_unscoped:
        condition |= Q(**{f"{field}__isnull": True})
    return queryset.filter(condition)


def user_can_see_project(*, user, project_id: int | None) -> bool:
    if project_id is None:
        return True
    ids = user_project_ids(user=user)
    return ids is None or project_id in ids


def api_token_list(*, user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")
