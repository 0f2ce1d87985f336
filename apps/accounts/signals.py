from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from apps.accounts.throttle import login_failure_record, login_failures_clear
from apps.audit.services import audit_record


def _source(request) -> str:
    return (request.META.get("REMOTE_ADDR") or "") if request is not None else ""


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    audit_record(actor=user, action="auth.login", detail={"ip": _source(request)})
    login_failures_clear(username=user.get_username())


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action="auth.logout", detail={"ip": _source(request)})


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs):
    # The attempted username only: never the password.
    login_failure_record(
        username=str(credentials.get("username", "")), source_ip=_source(request) or None
    )
    audit_record(
        actor=None,
        action="auth.login_failed",
        actor_label="anonymous",
        detail={"username": str(credentials.get("username", ""))[:150], "ip": _source(request)},
    )
