"""Demo projects with phases, a small MasterFormat cost-code structure and budgets (idempotent).

The cost codes are a handful of rows of the MasterFormat 2016 list (numbers and titles are a
CSI/CSC publication; see tests/fixtures/SOURCES.md): enough for a realistic demo, not shipped as
the product's catalogue.
"""

from decimal import Decimal

from apps.projects.choices import BudgetPolicy
from apps.projects.models import BudgetLine, CostCode, Project
from apps.projects.services import (
    budget_line_get_or_create,
    budget_line_set_original,
    cost_codes_load,
    phase_upsert,
)

DEMO_PROJECTS = [
    ("SCH-001", "Riverside Primary School", "EUR"),
    ("HOS-002", "St. Mary's Hospital — East Wing", "EUR"),
    ("BRG-003", "Harbour Bridge Rehabilitation", "EUR"),
]

DEMO_COST_CODES = [
    ("01 00 00", "General Requirements", 1),
    ("01 50 00", "Temporary Facilities and Controls", 2),
    ("01 52 13", "Field Offices and Sheds", 4),
    ("01 54 23", "Temporary Scaffolding and Platforms", 4),
    ("01 56 26", "Temporary Fencing", 4),
    ("03 00 00", "Concrete", 1),
    ("03 31 00", "Structural Concrete", 3),
    ("03 31 13", "Heavyweight Structural Concrete", 4),
    ("03 35 00", "Concrete Finishing", 3),
    ("03 01 30", "Maintenance of Cast-in-Place Concrete", 4),
    ("03 01 30.71", "Rehabilitation of Cast-in-Place Concrete", 5),
    ("05 00 00", "Metals", 1),
    ("05 12 00", "Structural Steel Framing", 3),
    ("05 12 23", "Structural Steel for Buildings", 4),
    ("05 52 00", "Metal Railings", 3),
    ("07 00 00", "Thermal and Moisture Protection", 1),
    ("07 21 13", "Board Insulation", 4),
    ("09 00 00", "Finishes", 1),
    ("09 21 16", "Gypsum Board Assemblies", 4),
    ("09 91 23", "Interior Painting", 4),
    ("22 00 00", "Plumbing", 1),
    ("22 11 16", "Domestic Water Piping", 4),
    ("23 00 00", "Heating, Ventilating, and Air Conditioning (HVAC)", 1),
    ("23 31 13", "Metal Ducts", 4),
    ("26 00 00", "Electrical", 1),
    ("26 05 19", "Low-Voltage Electrical Power Conductors and Cables", 4),
    ("26 24 16", "Panelboards", 4),
    ("31 00 00", "Earthwork", 1),
    ("31 23 16", "Excavation", 4),
    ("32 00 00", "Exterior Improvements", 1),
    ("32 12 16", "Asphalt Paving", 4),
]

# project → (policy, phases [(code, name)], budget {(phase, cost code): amount})
DEMO_BUDGETS = {
    "SCH-001": (
        BudgetPolicy.HARD_BLOCK,
        [("P1", "Substructure"), ("P2", "Superstructure"), ("P3", "Envelope"), ("P4", "Fit-out")],
        {
            ("P1", "01 54 23"): "18000",
            ("P1", "01 56 26"): "9500",
            ("P1", "31 23 16"): "85000",
            ("P1", "03 31 13"): "240000",
            ("P2", "03 31 13"): "180000",
            ("P2", "05 12 23"): "420000",
            ("P3", "07 21 13"): "65000",
            ("P4", "09 21 16"): "120000",
            ("P4", "09 91 23"): "42000",
            ("P4", "22 11 16"): "76000",
            ("P4", "26 05 19"): "94000",
        },
    ),
    "HOS-002": (
        BudgetPolicy.WARN,
        [("E1", "Enabling works"), ("E2", "Structure"), ("E3", "MEP and fit-out")],
        {
            ("E1", "01 52 13"): "35000",
            ("E1", "31 23 16"): "60000",
            ("E2", "03 31 13"): "310000",
            ("E2", "05 12 23"): "260000",
            ("E3", "23 31 13"): "210000",
            ("E3", "26 24 16"): "95000",
            ("E3", "26 05 19"): "140000",
            ("E3", "09 21 16"): "150000",
        },
    ),
    "BRG-003": (
        BudgetPolicy.HARD_BLOCK,
        [("B1", "Access and demolition"), ("B2", "Concrete repairs"), ("B3", "Deck and barriers")],
        {
            ("B1", "01 54 23"): "75000",
            ("B2", "03 01 30.71"): "390000",
            ("B3", "05 52 00"): "120000",
            ("B3", "32 12 16"): "88000",
        },
    ),
}


def seed(stdout) -> None:
    cost_codes_load(rows=[{"code": c, "title": t, "level": lv} for c, t, lv in DEMO_COST_CODES])
    codes = {c.code: c for c in CostCode.objects.all()}
    for code, name, currency in DEMO_PROJECTS:
        project, _ = Project.objects.update_or_create(
            code=code, defaults={"name": name, "currency": currency}
        )
        policy, phases, budget = DEMO_BUDGETS[code]
        if project.budget_policy != policy:
            project.budget_policy = policy
            project.save(update_fields=["budget_policy", "updated_at"])
        by_code = {
            phase_code: phase_upsert(project=project, code=phase_code, name=name, sequence=index)
            for index, (phase_code, name) in enumerate(phases, start=1)
        }
        for (phase_code, cost_code), amount in budget.items():
            line, created = budget_line_get_or_create(
                project=project, phase=by_code[phase_code], cost_code=codes[cost_code]
            )
            if created:  # re-seeding never overwrites a budget someone imported since
                budget_line_set_original(budget_line=line, amount=Decimal(amount))
    stdout.write(
        f"  projects: {', '.join(code for code, _, _ in DEMO_PROJECTS)} "
        f"({BudgetLine.objects.count()} budget lines, {len(DEMO_COST_CODES)} cost codes)\n"
    )
