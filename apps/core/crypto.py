"""Secrets at rest: MultiFernet over FIELD_ENCRYPTION_KEYS (newest key first).

Rotation = put a new key first, run `manage.py rotate_keys` (re-encrypts every secret with the
newest key), then drop the old key. Old ciphertexts stay readable during the whole window.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretDecryptionError(Exception):
    """A stored secret could not be decrypted with any configured key."""


def _dev_key() -> bytes:
    # Demo/test only: derived from SECRET_KEY so no variable is needed. Production refuses to
    # start without FIELD_ENCRYPTION_KEYS (settings.py).
    digest = hashlib.sha256(("field-encryption:" + settings.SECRET_KEY).encode()).digest()
    return base64.urlsafe_b64encode(digest)


@lru_cache(maxsize=8)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


def get_cipher() -> MultiFernet:
    keys = tuple(settings.FIELD_ENCRYPTION_KEYS) or (_dev_key().decode(),)
    return _multifernet(keys)


def encrypt_text(plaintext: str) -> str:
    return get_cipher().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt_text(token: str) -> str:
    try:
        return get_cipher().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise SecretDecryptionError("secret cannot be decrypted with the configured keys") from exc


def rotate_token(token: str) -> str:
    """Re-encrypt one ciphertext with the newest key."""
    return get_cipher().rotate(token.encode("ascii")).decode("ascii")


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")
