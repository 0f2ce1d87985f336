from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "apps.sync"
    label = "sync"

    def ready(self) -> None:
        from apps.core.health import CHECKS
        from apps.sync.breaker import readiness_check_breakers

        # Open circuit breakers show in /readyz detail without failing readiness (see the
        # function's docstring for why).
        CHECKS.setdefault("breakers", readiness_check_breakers)
