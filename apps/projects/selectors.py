from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.selectors import user_project_ids
from apps.projects.models import Project


def project_list(*, user) -> QuerySet[Project]:
    """Projects the user may see: all for admins, their memberships otherwise."""
    ids = user_project_ids(user=user)
    queryset = Project.objects.all()
    return queryset if ids is None else queryset.filter(id__in=ids)
