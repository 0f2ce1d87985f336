from apps.core.schedules import ScheduleSpec

SCHEDULES = [
    # Picks up uploads whose enqueue was lost and imports a dead worker left running.
    ScheduleSpec(
        name="schedule-import-sweep",
        func="apps.schedule.tasks.schedule_import_jobs_sweep_task",
        minutes=1,
    ),
]
