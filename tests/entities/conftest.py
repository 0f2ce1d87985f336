"""Two entities of the group with different currencies, and users scoped to one of them."""

from __future__ import annotations

import pytest

from apps.accounts import roles
from apps.accounts.services import user_create
from apps.entities.models import Entity, EntityMembership
from apps.projects.models import Project


@pytest.fixture
def entity_de(db) -> Entity:
    return Entity.objects.create(code="nb-de", name="Northbridge Construction GmbH", currency="EUR")


@pytest.fixture
def entity_uk(db) -> Entity:
    return Entity.objects.create(code="nb-uk", name="Northbridge Construction Ltd", currency="GBP")


@pytest.fixture
def school_de(school, entity_de) -> Project:
    school.entity = entity_de
    school.save(update_fields=["entity"])
    return school


@pytest.fixture
def depot_uk(db, entity_uk) -> Project:
    return Project.objects.create(
        code="DEP-UK1", name="Leeds Depot", currency="GBP", entity=entity_uk
    )


@pytest.fixture
def member_of():
    def add(user, *entities):
        for entity in entities:
            EntityMembership.objects.create(user=user, entity=entity)
        for attr in ("_ihub_project_ids", "_ihub_entity_ids"):
            if hasattr(user, attr):
                delattr(user, attr)
        return user

    return add


@pytest.fixture
def fred(db, member_of, entity_uk):
    """Finance reviewer of the UK entity only (no project memberships)."""
    user = user_create(username="fred", password="persona-pass-123", roles=[roles.FINANCE])
    return member_of(user, entity_uk)
