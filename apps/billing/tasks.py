"""django-q2 entry points for billing (thin: call one service)."""

from apps.billing.services import pay_applications_refresh_from_odoo


def billing_refresh_from_odoo() -> int:
    return pay_applications_refresh_from_odoo()
