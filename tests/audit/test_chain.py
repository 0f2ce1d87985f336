import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.audit.models import AuditEntry
from apps.audit.services import audit_record, audit_verify


@pytest.fixture
def chain(db):
    for i in range(5):
        audit_record(actor=None, action=f"test.{i}", detail={"i": i})


def test_intact_chain_verifies(chain):
    assert audit_verify() == []
    call_command("verify_audit")


def test_changed_row_detected(chain):
    AuditEntry.objects.filter(sequence=3).update(detail={"i": 99})
    problems = audit_verify()
    assert any("#3" in p and "changed" in p for p in problems)
    with pytest.raises(CommandError):
        call_command("verify_audit")


def test_deleted_row_detected(chain):
    AuditEntry.objects.filter(sequence=2).delete()
    assert any("gap" in p for p in audit_verify())


def test_deleted_last_row_detected(chain):
    AuditEntry.objects.filter(sequence=5).delete()
    assert any("head" in p for p in audit_verify())


def test_reordered_rows_detected(chain):
    a = AuditEntry.objects.get(sequence=2)
    b = AuditEntry.objects.get(sequence=4)
    AuditEntry.objects.filter(id=a.id).update(sequence=1000)
    AuditEntry.objects.filter(id=b.id).update(sequence=2)
    AuditEntry.objects.filter(id=a.id).update(sequence=4)
    assert audit_verify()


def test_login_is_audited(client, fiona):
    from tests.conftest import PASSWORD

    client.post("/accounts/login/", {"username": "fiona", "password": PASSWORD})
    from django.test import Client

    Client().post("/accounts/login/", {"username": "fiona", "password": "wrong"})
    actions = list(AuditEntry.objects.order_by("sequence").values_list("action", flat=True))
    assert "auth.login" in actions and "auth.login_failed" in actions
    assert "wrong" not in str(list(AuditEntry.objects.values_list("detail", flat=True)))
