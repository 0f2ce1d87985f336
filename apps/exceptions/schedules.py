from apps.core.schedules import ScheduleSpec

SCHEDULES = [
    ScheduleSpec(name="exceptions-sla-sweep", func="apps.exceptions.tasks.sla_sweep", minutes=5),
    ScheduleSpec(
        name="exceptions-alerts-send", func="apps.exceptions.tasks.notifications_send", minutes=1
    ),
    ScheduleSpec(
        name="exceptions-alerts-digest",
        func="apps.exceptions.tasks.notifications_digest_send",
        cron="0 * * * *",
    ),
]
