from apps.core.schedules import ScheduleSpec

SCHEDULES = [
    # Hourly is plenty for due dates kept in days; the sweep opens each hold once.
    ScheduleSpec(
        name="documents-overdue-reviews",
        func="apps.documents.tasks.reviews_overdue_flag",
        minutes=60,
    ),
]
