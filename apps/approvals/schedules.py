from apps.core.schedules import ScheduleSpec

SCHEDULES = [
    ScheduleSpec(
        name="approvals-escalate-overdue",
        func="apps.approvals.tasks.approvals_escalate_overdue",
        minutes=15,
    ),
]
