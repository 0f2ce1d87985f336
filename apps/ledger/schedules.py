from apps.core.schedules import ScheduleSpec

# The dispatcher process (`manage.py run_dispatcher`) is the low-latency path; these schedules
# are the safety net that makes a lost enqueue or a dead dispatcher only a delay.
SCHEDULES = [
    ScheduleSpec(name="ledger-dispatch", func="apps.ledger.tasks.dispatch_due", minutes=1),
    ScheduleSpec(name="ledger-sweep", func="apps.ledger.tasks.sweep", minutes=1),
    # PostgreSQL: the event table's monthly partitions, created three months ahead (daily).
    ScheduleSpec(
        name="ledger-partitions", func="apps.ledger.tasks.partitions_ensure", cron="17 3 * * *"
    ),
]
