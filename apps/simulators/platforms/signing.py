"""Signing as the platforms do it. Written independently of the hub's verifiers on purpose: a
shared helper would hide a bug on both sides.

Secrets: `whsec_<base64>` means "sign with the base64-decoded bytes" (Standard Webhooks); any other
secret signs with its UTF-8 bytes (how ACC hook secrets are configured).
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def key_bytes(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[6:], validate=True)
        except ValueError:
            pass
    return secret.encode("utf-8")


def standard_webhooks_headers(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> dict:
    """`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key_bytes(secret), signed, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(digest).decode("ascii"),
    }


def adsk_headers(*, secret: str, delivery_id: str, body: bytes) -> dict:
    """`x-adsk-delivery-id` and `x-adsk-signature: sha1hash=<hex HMAC-SHA1 of the body>`."""
    digest = hmac.new(key_bytes(secret), body, hashlib.sha1).hexdigest()
    return {"x-adsk-delivery-id": delivery_id, "x-adsk-signature": f"sha1hash={digest}"}
