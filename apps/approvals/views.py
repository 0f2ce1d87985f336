from django.shortcuts import render

from apps.accounts.roles import APPROVER, FINANCE, REQUESTER, role_required


@role_required(REQUESTER, APPROVER, FINANCE)
def index(request):
    """Approvals: waiting for me, mine, history (filled by the procurement issue)."""
    return render(request, "approvals/index.html", {"waiting": [], "mine": []})
