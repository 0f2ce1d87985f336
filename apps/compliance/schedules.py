from apps.core.schedules import ScheduleSpec

SCHEDULES = [
    # Expiry warnings to vendors and their commitment owners, every morning.
    ScheduleSpec(
        name="compliance-warn", func="apps.compliance.tasks.compliance_warn", cron="0 7 * * *"
    ),
]
