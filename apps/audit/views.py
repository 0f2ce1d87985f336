from django.shortcuts import render

from apps.accounts.roles import INTEGRATION_ADMIN, role_required
from apps.audit.selectors import audit_entry_list
from apps.core.pagination import keyset_paginate


@role_required(INTEGRATION_ADMIN)
def audit_list(request):
    queryset = audit_entry_list(
        action=request.GET.get("action", ""), actor=request.GET.get("actor", "")
    )
    page = keyset_paginate(queryset.select_related("actor"), after=request.GET.get("after"))
    return render(request, "audit/list.html", {"page": page, "filters": request.GET})
