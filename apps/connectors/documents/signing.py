"""Signature helpers shared by the document connectors.

Secrets convention (the same for every inbound system of the hub): a secret written
`whsec_<base64>` means "the key is the base64-decoded part after the prefix" (Standard Webhooks);
any other secret string is used as its UTF-8 bytes, which is how ACC hook secrets are configured.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

ADSK_SIGNATURE_PREFIX = "sha1hash="


def secret_key_bytes(secret: str) -> bytes:
    """The HMAC key for a configured secret (see the module docstring for the convention)."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_") :], validate=True)
        except (binascii.Error, ValueError):
            # A malformed whsec_ secret is still a secret: fall back to its bytes rather than
            # failing every delivery; the admin sees the mismatch as refused requests.
            pass
    return secret.encode("utf-8")


def adsk_signature(*, body: bytes, secret: str) -> str:
    """`sha1hash=<hex HMAC-SHA1 of the body>` as Autodesk sends it in `x-adsk-signature`."""
    digest = hmac.new(secret_key_bytes(secret), body, hashlib.sha1).hexdigest()
    return ADSK_SIGNATURE_PREFIX + digest


def adsk_signature_valid(*, header_value: str, body: bytes, secrets: list[str]) -> bool:
    """True when the header matches the body under any active secret (rotation overlap)."""
    value = (header_value or "").strip()
    if not value.lower().startswith(ADSK_SIGNATURE_PREFIX):
        return False
    received = value[len(ADSK_SIGNATURE_PREFIX) :].strip().lower()
    if not received:
        return False
    for secret in secrets:
        if not secret:
            continue
        expected = adsk_signature(body=body, secret=secret)[len(ADSK_SIGNATURE_PREFIX) :]
        if hmac.compare_digest(expected, received):
            return True
    return False
