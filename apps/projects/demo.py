from apps.projects.models import Project

DEMO_PROJECTS = [
    ("SCH-001", "Riverside Primary School", "EUR"),
    ("HOS-002", "St. Mary's Hospital — East Wing", "EUR"),
    ("BRG-003", "Harbour Bridge Rehabilitation", "EUR"),
]


def seed(stdout) -> None:
    for code, name, currency in DEMO_PROJECTS:
        Project.objects.update_or_create(code=code, defaults={"name": name, "currency": currency})
    stdout.write(f"  projects: {', '.join(code for code, _, _ in DEMO_PROJECTS)}")
