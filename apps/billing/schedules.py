from apps.core.schedules import ScheduleSpec

SCHEDULES = [
    # Customer invoice state and payments of unpaid pay applications (Odoo → hub).
    ScheduleSpec(
        name="billing-refresh-from-odoo",
        func="apps.billing.tasks.billing_refresh_from_odoo",
        minutes=15,
    ),
]
