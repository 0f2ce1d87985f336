import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection

from apps.connectors.models import System
from apps.core import crypto


def _raw_credentials(system_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM connectors_system WHERE id = %s", [system_id])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_credentials_are_encrypted_at_rest():
    system = System.objects.create(
        code="odoo", name="Odoo", kind="odoo", credentials={"password": "s3cret-pw"}
    )
    raw = _raw_credentials(system.id)
    assert "s3cret-pw" not in raw
    system.refresh_from_db()
    assert system.credentials == {"password": "s3cret-pw"}


@pytest.mark.django_db
def test_rotate_keys_reencrypts_with_new_key_without_losing_data(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    system = System.objects.create(
        code="odoo", name="Odoo", kind="odoo", credentials={"password": "s3cret-pw"}
    )
    before = _raw_credentials(system.id)

    settings.FIELD_ENCRYPTION_KEYS = [new, old]  # new key first, old still accepted
    call_command("rotate_keys")
    after = _raw_credentials(system.id)
    assert after != before
    Fernet(new.encode()).decrypt(after.encode())  # now readable with the new key alone
    with pytest.raises(InvalidToken):
        Fernet(old.encode()).decrypt(after.encode())

    settings.FIELD_ENCRYPTION_KEYS = [new]  # old key removed
    system.refresh_from_db()
    assert system.credentials == {"password": "s3cret-pw"}


@pytest.mark.django_db
def test_unknown_key_fails_loudly(settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    System.objects.create(code="x", name="X", kind="odoo", credentials={"a": "b"})
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.SecretDecryptionError):
        System.objects.get(code="x")
