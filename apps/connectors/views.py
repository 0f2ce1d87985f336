from django.shortcuts import render

from apps.accounts.roles import INTEGRATION_ADMIN, role_required
from apps.connectors.selectors import system_list


@role_required(INTEGRATION_ADMIN)
def systems(request):
    return render(request, "connectors/systems.html", {"systems": system_list()})
