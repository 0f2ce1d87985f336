from apps.core.schedules import ScheduleSpec

SCHEDULES = [
    # Odoo's rates of the day (res.currency.rate), every enabled Odoo System, each morning.
    ScheduleSpec(
        name="fx-rates-pull", func="apps.entities.tasks.fx_rates_pull_all", cron="5 6 * * *"
    ),
]
