from django.shortcuts import render

from apps.accounts.roles import FINANCE, INTEGRATION_ADMIN, role_required


@role_required(FINANCE, INTEGRATION_ADMIN)
def queue(request):
    """The finance reviewers' workbench (filled by the exception-queue issue)."""
    return render(request, "exceptions/queue.html", {"items": []})
