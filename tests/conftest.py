"""Shared fixtures: personas (CONVENTIONS: fiona the finance reviewer, pat the PMO viewer, ada the
integration admin, rob the requester, alice the approver), projects and API clients."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from apps.accounts import roles
from apps.accounts.services import api_token_create, user_create
from apps.projects.models import Project

PASSWORD = "persona-pass-123"

# Fixture modules per area, so parallel work never edits this file for its fixtures.
pytest_plugins = [
    "tests.plugins.odoo",
    "tests.plugins.ledger",
    "tests.plugins.sync",
    "tests.plugins.platforms",
    "tests.plugins.procurement",
    "tests.plugins.monitoring",
]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def school(db) -> Project:
    return Project.objects.create(code="SCH-001", name="Riverside Primary School")


@pytest.fixture
def bridge(db) -> Project:
    return Project.objects.create(code="BRG-003", name="Harbour Bridge Rehabilitation")


def _persona(username, role, projects):
    return user_create(username=username, password=PASSWORD, roles=[role], projects=projects)


@pytest.fixture
def fiona(db, school):
    """Finance reviewer on the school project only."""
    return _persona("fiona", roles.FINANCE, [school])


@pytest.fixture
def pat(db, school):
    """PMO viewer on the school project only."""
    return _persona("pat", roles.PMO, [school])


@pytest.fixture
def ada(db):
    """Integration admin: sees every project."""
    return _persona("ada", roles.INTEGRATION_ADMIN, [])


@pytest.fixture
def rob(db, school):
    return _persona("rob", roles.REQUESTER, [school])


@pytest.fixture
def alice(db, school):
    return _persona("alice", roles.APPROVER, [school])


@pytest.fixture
def client_for():
    """A logged-in browser client for a persona."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_client_for():
    """An API client authenticated with a real, freshly created API token for a persona."""

    def make(user) -> APIClient:
        _, raw = api_token_create(user=user, name="test")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make
