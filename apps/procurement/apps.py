from django.apps import AppConfig


class ProcurementConfig(AppConfig):
    name = "apps.procurement"
    label = "procurement"
    verbose_name = "Procurement"

    def ready(self) -> None:
        # Registers the approval outcome handlers (explicit registry, not signals).
        from apps.procurement import approval_outcomes  # noqa: F401
