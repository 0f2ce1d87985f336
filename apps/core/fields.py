"""Model fields for secrets: encrypted at rest, never rendered in full."""

from __future__ import annotations

import json

from django.db import models

from apps.core.crypto import decrypt_text, encrypt_text


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token; Python code sees the plaintext."""

    description = "Text encrypted at rest with MultiFernet"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt_text(value)

    def get_prep_value(self, value):
        if value is None or value == "":
            return value
        return encrypt_text(str(value))


class EncryptedJSONField(models.TextField):
    """A JSON document (e.g. credentials, a list of signing secrets) encrypted at rest."""

    description = "JSON encrypted at rest with MultiFernet"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return None
        return json.loads(decrypt_text(value))

    def to_python(self, value):
        if value is None or isinstance(value, dict | list):
            return value
        return json.loads(value)

    def get_prep_value(self, value):
        if value is None:
            return None
        return encrypt_text(json.dumps(value, sort_keys=True))


def mask_secret(value: str | None, visible: int = 4) -> str:
    """'whsec_abcd…' style masking for display: the tail only, never the whole secret."""
    if not value:
        return ""
    if len(value) <= visible * 2:
        return "•" * 8
    return "•" * 8 + value[-visible:]


def fingerprint_value(value: str | None) -> str:
    """A keyed SHA-256 of a normalised secret (IBAN, tax id): equal values can be found (duplicate
    detection) without storing or comparing the plaintext. Empty for an empty value."""
    import hashlib
    import hmac

    from django.conf import settings

    normalised = "".join(str(value or "").split()).upper()
    if not normalised:
        return ""
    key = f"ihub-fingerprint:{settings.SECRET_KEY}".encode()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


def mask_account(value: str | None, visible: int = 4) -> str:
    """An IBAN, account number or tax id for display: country prefix and the last digits only."""
    compact = "".join(str(value or "").split()).upper()
    if not compact:
        return ""
    if len(compact) <= visible + 2:
        return "•" * len(compact)
    return compact[:2] + "•" * (len(compact) - 2 - visible) + compact[-visible:]
