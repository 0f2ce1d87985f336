from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.forms import ApiTokenCreateForm
from apps.accounts.selectors import api_token_list
from apps.accounts.services import api_token_create, api_token_revoke
from apps.accounts.throttle import login_is_throttled
from apps.core.errors import ApplicationError


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        if login_is_throttled(username=username, source_ip=request.META.get("REMOTE_ADDR")):
            form = self.get_form()
            form.errors.clear()
            form.add_error(
                None,
                "Too many failed sign-ins. Wait 15 minutes or ask an integration admin "
                "to check your account.",
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def token_list(request):
    """Every signed-in user manages their own API tokens; the plaintext is shown once."""
    form = ApiTokenCreateForm()
    new_token = None
    if request.method == "POST":
        form = ApiTokenCreateForm(request.POST)
        if form.is_valid():
            try:
                _, new_token = api_token_create(user=request.user, name=form.cleaned_data["name"])
            except ApplicationError as exc:
                form.add_error("name", exc.message)
            else:
                messages.success(request, "Token created. Copy it now: it will not be shown again.")
                form = ApiTokenCreateForm()
    return render(
        request,
        "accounts/tokens.html",
        {"tokens": api_token_list(user=request.user), "form": form, "new_token": new_token},
    )


@login_required
@require_POST
def token_revoke(request, token_id: int):
    try:
        token = api_token_revoke(user=request.user, token_id=token_id)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("accounts:tokens")
