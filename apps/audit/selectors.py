from django.db.models import QuerySet

from apps.audit.models import AuditEntry


def audit_entry_list(*, action: str = "", actor: str = "") -> QuerySet[AuditEntry]:
    queryset = AuditEntry.objects.all()
    if action:
        queryset = queryset.filter(action__startswith=action)
    if actor:
        queryset = queryset.filter(actor_label=actor)
    return queryset
