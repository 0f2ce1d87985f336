"""Demo data for the document register (idempotent): the status-set presets, per-project
settings (the bridge job runs the 2018 annex to show the set is configurable), the Procore/ACC
project-reference mappings the platform simulator needs, and a register with history seeded
from the simulator's own world (when the register is empty), plus two transmittals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apps.connectors.models import System
from apps.documents.models import Document, StatusSet, Transmittal
from apps.documents.presets import NA_2018, PROCORE_RESPONSES
from apps.documents.services import (
    document_apply_resource,
    project_document_settings_get,
    status_sets_load_presets,
    transmittal_create,
)
from apps.projects.models import Project


def _mappings(projects: list[Project]) -> int:
    try:
        from apps.sync.selectors import mapping_lookup
        from apps.sync.services import mapping_save
    except ImportError:
        return 0
    from apps.simulators.platforms.world import platform_project_refs

    made = 0
    for code in ("procore", "acc"):
        system = System.objects.filter(code=code).first()
        if system is None:
            continue
        for project in projects:
            external = platform_project_refs(project.code)[code]
            current = mapping_lookup(
                kind="project", system=system, external_value=external, scope="", project_id=None
            )
            if current == project.code:
                continue  # already mapped: no new mapping version on every demo start
            mapping_save(
                actor=None,
                kind="project",
                system=system,
                external_value=external,
                canonical_value=project.code,
                external_label=f"{system.name} project {project.code}",
                note="demo seed: the platform simulator's project id",
            )
            made += 1
    return made


def _register(projects: list[Project]) -> int:
    """Documents with history, from the simulator's world (a month of activity)."""
    from apps.connectors.documents.acc import version_normalise
    from apps.connectors.documents.procore import (
        drawing_revision_normalise,
        submittal_normalise,
    )
    from apps.simulators.platforms.payloads import acc_version_resource
    from apps.simulators.platforms.world import PlatformWorld

    procore = System.objects.filter(code="procore").first()
    acc = System.objects.filter(code="acc").first()
    if procore is None or acc is None:
        return 0
    start = datetime.now(UTC) - timedelta(days=30)
    ticks = iter(range(100_000))
    world = PlatformWorld(
        seed=2026,
        projects=[(p.code, p.name) for p in projects],
        now=lambda: start + timedelta(hours=6 * next(ticks)),
    )
    by_code = {p.code: p for p in projects}
    applied = 0
    for _ in range(60):
        delivery = world.delivery(family="documents")
        with world.lock:
            if delivery.platform == "procore":
                resource_id = delivery.meta["resource_id"]
                if resource_id in world.submittals:
                    resource = submittal_normalise(world.submittals[resource_id])
                elif resource_id in world.drawing_revisions:
                    resource = drawing_revision_normalise(world.drawing_revisions[resource_id])
                else:
                    continue  # change events are not register documents
                system = procore
            else:
                version = world.acc_versions[delivery.meta["urn"]]
                resource = version_normalise(acc_version_resource(version))
                system = acc
        project = by_code.get(resource.get("project_number", ""))
        if project is None:
            continue
        document_apply_resource(project=project, system=system, resource=resource)
        applied += 1
    return applied


def seed(stdout) -> None:
    status_sets_load_presets()
    projects = list(Project.objects.filter(code__in=["SCH-001", "HOS-002", "BRG-003"]))
    for project in projects:
        settings_row = project_document_settings_get(project=project)
        if project.code == "BRG-003" and settings_row.status_set.code != NA_2018:
            settings_row.status_set = StatusSet.objects.get(code=NA_2018)
            settings_row.response_set = StatusSet.objects.get(code=PROCORE_RESPONSES)
            settings_row.save()
    mappings = _mappings(projects)
    applied = 0
    if not Document.objects.exists():
        applied = _register(projects)
    made = 0
    for project in projects:
        if Transmittal.objects.filter(project=project).exists():
            continue
        documents = list(Document.objects.filter(project=project).order_by("id")[:3])
        if documents:
            transmittal_create(
                project=project,
                actor=None,
                number=f"TR-{project.code}-0001",
                subject="Design package for review",
                purpose="for_review",
                to_party="Client's design team",
                from_party="Main contractor",
                due_on=datetime.now(UTC).date() + timedelta(days=10),
                documents=documents,
            )
            made += 1
    stdout.write(
        f"  documents: presets loaded, {mappings} project mappings, "
        f"{applied} platform resources applied, {made} transmittals"
    )
