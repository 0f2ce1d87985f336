import pytest


@pytest.fixture(autouse=True)
def _sync_defaults(db):
    """The seeded defaults (SoR rules, exception category configs) come from data migrations;
    a transactional test anywhere in the suite flushes them, so restore them per test."""
    from apps.exceptions.services import exception_category_configs_seed
    from apps.sync.services import sor_rules_seed

    sor_rules_seed()
    exception_category_configs_seed()
