import pytest

from apps.sync import handlers


@pytest.fixture(autouse=True)
def _sync_defaults(db):
    """The seeded defaults (SoR rules, exception category configs) come from data migrations;
    a transactional test anywhere in the suite flushes them, so restore them per test."""
    from apps.exceptions.services import exception_category_configs_seed
    from apps.sync.services import sor_rules_seed

    sor_rules_seed()
    exception_category_configs_seed()


@pytest.fixture
def temporary_registry():
    """Tests may register handlers/controls; the registry is restored afterwards."""
    saved_handlers = dict(handlers._HANDLERS)
    saved_controls = {k: list(v) for k, v in handlers._CONTROLS.items()}
    yield
    handlers._HANDLERS.clear()
    handlers._HANDLERS.update(saved_handlers)
    handlers._CONTROLS.clear()
    handlers._CONTROLS.update(saved_controls)
