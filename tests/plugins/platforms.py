"""pytest fixtures for the platforms work (registered in tests/conftest.py).

- `platform_world`: a PlatformWorld (seed 1) over the three demo projects;
- `platform_server`: the follow-up GET server on a free loopback port over `platform_world`
  (`.url`, `.world`, `.stats`, `.faults`), stopped after the test;
- `platform_projects`: the demo projects (SCH-001, HOS-002, BRG-003) in the database;
- `platform_cost_codes`: the world's cost codes in the hub's cost-code structure;
- `platform_systems`: the hub systems the emitter targets (p6, procore, acc, estimating, field)
  with their connectors, a signing secret each (`PLATFORM_SECRETS`) and, for procore/acc, the
  base URL of `platform_server`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from apps.connectors.models import System
from apps.simulators.platforms.server import PlatformServer
from apps.simulators.platforms.world import DEFAULT_COST_CODES, DEMO_PROJECTS, PlatformWorld

PLATFORM_SECRETS = {
    "p6": "whsec_cDYtdGVzdC1zaWduaW5nLXNlY3JldC0wMDAwMDAwMQ==",
    "procore": "whsec_cHJvY29yZS10ZXN0LXNpZ25pbmctc2VjcmV0LTAx",
    # ACC hook secrets are plain strings, signed as their UTF-8 bytes.
    "acc": "acc-hook-secret-for-tests-0001",
    "estimating": "whsec_ZXN0aW1hdGluZy10ZXN0LXNpZ25pbmctc2VjcmV0",
    "field": "whsec_ZmllbGQtdGVzdC1zaWduaW5nLXNlY3JldC0wMDAx",
}
PLATFORM_CONNECTORS = {
    "p6": ("scheduling", "p6"),
    "procore": ("document_control", "procore"),
    "acc": ("document_control", "acc"),
    "estimating": ("estimating", "estimating"),
    "field": ("field", "field"),
}


@pytest.fixture
def platform_world() -> PlatformWorld:
    return PlatformWorld(seed=1)


@pytest.fixture
def platform_server(platform_world):
    server = PlatformServer(platform_world, port=0).start()
    yield server
    server.stop()


@pytest.fixture
def platform_projects(db):
    from apps.projects.models import Project

    return [
        Project.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in DEMO_PROJECTS
    ]


@pytest.fixture
def platform_cost_codes(db):
    from apps.projects.models import CostCode

    return [
        CostCode.objects.get_or_create(code=code, defaults={"title": title, "level": 3})[0]
        for code, title in DEFAULT_COST_CODES
    ]


@pytest.fixture
def platform_systems(db, platform_server) -> dict[str, System]:
    now = datetime.now(UTC).isoformat()
    systems = {}
    for code, (kind, connector) in PLATFORM_CONNECTORS.items():
        systems[code] = System.objects.create(
            code=code,
            name=code.upper(),
            kind=kind,
            connector=connector,
            base_url=platform_server.url if code in ("procore", "acc") else "",
            webhook_secrets=[
                {
                    "id": "key1",
                    "secret": PLATFORM_SECRETS[code],
                    "created_at": now,
                    "expires_at": None,
                }
            ],
        )
    return systems


@pytest.fixture
def platform_project_mappings(db, platform_projects, platform_systems):
    """Project-reference mappings for the Procore and ACC project ids of the demo projects (as
    the demo seeds them), through the sync engine's mapping service."""
    from apps.simulators.platforms.world import platform_project_refs
    from apps.sync.services import mapping_save

    mappings = []
    for project in platform_projects:
        refs = platform_project_refs(project.code)
        for code in ("procore", "acc"):
            mappings.append(
                mapping_save(
                    actor=None,
                    kind="project",
                    system=platform_systems[code],
                    external_value=refs[code],
                    canonical_value=project.code,
                )
            )
    return mappings
