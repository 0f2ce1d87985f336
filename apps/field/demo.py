"""Demo: hourly rates for the trades and equipment the platform emitter's site tablets report,
per demo project in its currency, so the demo's timesheets and equipment logs are costed rather
than held for a missing rate (idempotent)."""

from __future__ import annotations

from apps.field.models import FieldRate
from apps.projects.models import Project

LABOUR_RATES = {"concrete": "52.00", "steel": "58.50", "electrical": "61.00", "*": "48.00"}
EQUIPMENT_RATES = {"EXC-02": "95.00", "CRN-01": "185.00", "PMP-04": "72.50", "*": "60.00"}


def seed(stdout) -> None:
    from apps.projects.demo import DEMO_PROJECTS

    codes = [code for code, _name, _currency in DEMO_PROJECTS]
    count = 0
    for project in Project.objects.filter(code__in=codes):
        for kind, table in (("labour", LABOUR_RATES), ("equipment", EQUIPMENT_RATES)):
            for key, rate in table.items():
                FieldRate.objects.update_or_create(
                    project=project,
                    kind=kind,
                    key=key,
                    defaults={"rate": rate, "currency": project.currency},
                )
                count += 1
    stdout.write(f"field: {count} hourly rates on the demo projects\n")
