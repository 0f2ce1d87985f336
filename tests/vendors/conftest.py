from __future__ import annotations

import pytest

from apps.accounts import roles
from apps.accounts.services import user_create


@pytest.fixture
def frank(db, school):
    """A second finance reviewer: the one who verifies what fiona entered."""
    return user_create(
        username="frank", password="persona-pass-123", roles=[roles.FINANCE], projects=[school]
    )


CHECKLIST_DONE = {
    "called_known_number": True,
    "contact_confirmed_change": True,
    "account_holder_matches": True,
    "documentation_on_file": True,
}
