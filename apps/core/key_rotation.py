"""Re-encrypt every stored secret with the newest key (`manage.py rotate_keys`)."""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps as django_apps
from django.db import transaction

from apps.core.crypto import rotate_token
from apps.core.fields import EncryptedJSONField, EncryptedTextField


def encrypted_fields() -> list[tuple[type, list[str]]]:
    """(model, [field names]) for every model that stores encrypted values."""
    found = []
    for model in django_apps.get_models():
        names = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, EncryptedTextField | EncryptedJSONField)
        ]
        if names:
            found.append((model, names))
    return found


def secrets_rotate(*, progress: Callable[[str, int], None] | None = None) -> int:
    """Rotate row by row, reading and writing the raw ciphertext so plaintext never leaves here.

    Each row is its own short transaction: web and workers keep running during the rotation
    because MultiFernet still decrypts both the old and the new ciphertexts.
    """
    rotated = 0
    for model, names in encrypted_fields():
        table = model._meta.db_table
        columns = [model._meta.get_field(n).column for n in names]
        pk = model._meta.pk.column
        label = model._meta.label
        # .values() would decrypt through from_db_value; read the raw columns instead.
        from django.db import connection

        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote(pk)}, {', '.join(quote(c) for c in columns)} FROM {quote(table)}"  # noqa: S608
            )
            rows = cursor.fetchall()
        for row in rows:
            updates = {
                column: rotate_token(value)
                for column, value in zip(columns, row[1:], strict=True)
                if value
            }
            if not updates:
                continue
            assignments = ", ".join(f"{quote(c)} = %s" for c in updates)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {quote(table)} SET {assignments} WHERE {quote(pk)} = %s",  # noqa: S608
                    [*updates.values(), row[0]],
                )
            rotated += 1
            if progress:
                progress(label, rotated)
    return rotated
