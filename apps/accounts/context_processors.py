from apps.accounts.navigation import nav_for
from apps.accounts.roles import ROLE_LABELS, user_roles


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_role_labels": []}
    roles = sorted(user_roles(user))
    labels = [ROLE_LABELS[r] for r in roles]
    if user.is_superuser and not labels:
        labels = ["Superuser"]
    return {"nav_items": nav_for(user, request.path), "user_role_labels": labels}
