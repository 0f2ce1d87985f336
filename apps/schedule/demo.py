"""Demo schedules (idempotent: a file already imported for a project is not imported again).

SCH-001 gets the slip series derived from the real percent-complete-8.4.xer (a baseline and three
updates whose milestones slip; see tests/fixtures/schedules/derive.py), so the slip table, the
trend chart and the milestone.slipped events in the ledger have content. HOS-002 gets the real
P6 PMXML export and BRG-003 the real MS Project MSPDI file as baselines, one per format.
"""

from __future__ import annotations

from django.conf import settings

from apps.projects.models import Project
from apps.schedule.choices import ScheduleKind
from apps.schedule.services import schedule_import_file

FIXTURES = settings.BASE_DIR / "tests" / "fixtures" / "schedules"
DEMO_IMPORTS = [
    ("SCH-001", "slip-baseline.xer", ScheduleKind.BASELINE),
    ("SCH-001", "slip-update-1.xer", ScheduleKind.UPDATE),
    ("SCH-001", "slip-update-2.xer", ScheduleKind.UPDATE),
    ("SCH-001", "slip-update-3.xer", ScheduleKind.UPDATE),
    ("HOS-002", "percent-complete-8.4.pmxml", ScheduleKind.BASELINE),
    ("BRG-003", "sample.xml", ScheduleKind.BASELINE),
]


def seed(stdout) -> None:
    imported = 0
    for code, file_name, kind in DEMO_IMPORTS:
        project = Project.objects.filter(code=code).first()
        path = FIXTURES / file_name
        if project is None or not path.is_file():
            stdout.write(f"  schedule: skipped {file_name} ({code} or the file is missing)")
            continue
        version = schedule_import_file(
            project=project, file_bytes=path.read_bytes(), file_name=file_name, kind=kind
        )
        imported += not version.already_imported
    stdout.write(
        f"  schedule: {imported} files imported, {len(DEMO_IMPORTS) - imported} already there"
    )
