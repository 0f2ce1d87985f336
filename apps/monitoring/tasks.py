"""django-q2 entry points for the monitoring schedules."""

from apps.monitoring import services


def rollups_update() -> dict:
    return services.rollups_update()


def alerts_evaluate() -> dict:
    services.rollups_update()
    return services.alerts_evaluate()
