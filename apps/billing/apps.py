from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "apps.billing"
    label = "billing"
    verbose_name = "Owner billing"

    def ready(self) -> None:
        # Registers the pay-application approval outcome (explicit registry, not signals).
        from apps.billing import approval_outcomes  # noqa: F401
