from apps.core.schedules import ScheduleSpec

SCHEDULES = [
    ScheduleSpec(name="monitoring-rollups", func="apps.monitoring.tasks.rollups_update", minutes=1),
    ScheduleSpec(name="monitoring-alerts", func="apps.monitoring.tasks.alerts_evaluate", minutes=1),
]
