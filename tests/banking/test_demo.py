from io import StringIO

import pytest

from apps.banking.demo import seed
from apps.banking.models import BankEntry, BankStatement

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent_and_its_statement_adds_up(open_items):
    seed(StringIO())
    out = StringIO()
    seed(out)
    assert "already imported" in out.getvalue()
    statement = BankStatement.objects.get()
    assert statement.balance_difference == 0
    assert BankEntry.objects.count() == 5
