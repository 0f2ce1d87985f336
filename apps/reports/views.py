from django.shortcuts import render

from apps.accounts.roles import FINANCE, PMO, role_required
from apps.projects.selectors import project_list


@role_required(PMO, FINANCE)
def index(request):
    """Executive reports landing page: the projects the reader may see."""
    return render(request, "reports/index.html", {"projects": project_list(user=request.user)})
