"""Users are scoped by entity as well as by project."""

from __future__ import annotations

import pytest

from apps.accounts.models import ProjectMembership
from apps.accounts.selectors import scope_to_user_projects, user_can_see_project
from apps.projects.models import Project

pytestmark = pytest.mark.django_db


def test_entity_member_sees_every_project_of_the_entity_and_none_of_another(
    fred, school_de, depot_uk
):
    visible = set(scope_to_user_projects(Project.objects.all(), user=fred, field="id"))
    assert depot_uk in visible
    assert school_de not in visible
    assert not user_can_see_project(user=fred, project_id=school_de.id)


def test_stray_project_membership_in_another_entity_is_not_honoured(
    fred, school_de, depot_uk, member_of
):
    ProjectMembership.objects.create(user=fred, project=school_de)
    fred = type(fred).objects.get(pk=fred.pk)
    assert not user_can_see_project(user=fred, project_id=school_de.id)
    assert user_can_see_project(user=fred, project_id=depot_uk.id)


def test_user_without_entities_keeps_project_membership_scoping(fiona, school_de, depot_uk):
    assert user_can_see_project(user=fiona, project_id=school_de.id)
    assert not user_can_see_project(user=fiona, project_id=depot_uk.id)


def test_admin_sees_all_entities(ada, school_de, depot_uk):
    assert user_can_see_project(user=ada, project_id=depot_uk.id)
    assert user_can_see_project(user=ada, project_id=school_de.id)
