"""The demo seed: idempotent, fills the register and the mappings the emitter needs."""

from __future__ import annotations

import io

import pytest

from apps.connectors.demo import seed as seed_systems
from apps.documents.demo import seed
from apps.documents.models import Document, ProjectDocumentSettings, Transmittal
from apps.projects.demo import seed as seed_projects
from apps.simulators.platforms.world import platform_project_refs

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent_and_maps_the_platform_projects():
    from apps.sync.models import Mapping

    out = io.StringIO()
    seed_projects(out)
    seed_systems(out)
    seed(out)
    documents = Document.objects.count()
    assert documents > 10
    assert Transmittal.objects.count() == 3
    assert ProjectDocumentSettings.objects.get(project__code="BRG-003").status_set.code == (
        "iso19650-uk-na-2018"
    )
    mapping = Mapping.objects.get(
        kind="project",
        system__code="procore",
        external_value=platform_project_refs("SCH-001")["procore"],
    )
    assert mapping.canonical_value == "SCH-001"
    seed(out)
    assert Document.objects.count() == documents
    assert Transmittal.objects.count() == 3
    assert Mapping.objects.filter(kind="project", system__code__in=["procore", "acc"]).count() == 6
