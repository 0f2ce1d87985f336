from django.db.models import QuerySet

from apps.connectors.models import System


def system_list(*, enabled: bool | None = None) -> QuerySet[System]:
    queryset = System.objects.all()
    if enabled is not None:
        queryset = queryset.filter(enabled=enabled)
    return queryset


def system_get_by_code(*, code: str) -> System | None:
    return System.objects.filter(code=code).first()
