from apps.core.schedules import ScheduleSpec

SCHEDULES = [
    # Same tax id, same bank account or a similar name, across systems and entities (nightly).
    ScheduleSpec(
        name="vendor-duplicates-detect",
        func="apps.vendors.tasks.vendor_duplicates_detect_all",
        cron="45 2 * * *",
    ),
]
