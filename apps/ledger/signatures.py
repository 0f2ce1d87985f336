"""Standard Webhooks signatures (reference/platform-formats.md "Inbound webhooks to the hub").

signed content = "<webhook-id>.<webhook-timestamp>.<body>"
webhook-signature = "v1,<base64 HMAC-SHA256>" (several, space-separated, during key rotation)
A secret written "whsec_<base64>" signs with the base64-decoded bytes (the convention); any
other secret signs with its UTF-8 bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as pysecrets
import time
from dataclasses import dataclass

SECRET_PREFIX = "whsec_"


class SignatureError(Exception):
    """Why a delivery's signature was refused; `reason` is a RefusalReason value."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


def secret_key_bytes(secret: str) -> bytes:
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            pass  # not valid base64: fall back to the literal text, as a plain shared secret
    return secret.encode("utf-8")


def secret_generate() -> str:
    """A new signing secret in the Standard Webhooks format: whsec_ + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(pysecrets.token_bytes(32)).decode("ascii")


def signature_compute(*, key: bytes, msg_id: str, timestamp: str, body: bytes) -> str:
    signed = msg_id.encode("utf-8") + b"." + timestamp.encode("utf-8") + b"." + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def webhook_headers(
    secret: str, body: bytes | str, *, msg_id: str | None = None, timestamp: int | None = None
) -> dict[str, str]:
    """Headers that sign `body` with `secret` (for senders, the emitter, tests and the README)."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    msg_id = msg_id or "msg_" + pysecrets.token_hex(12)
    ts = str(int(time.time()) if timestamp is None else int(timestamp))
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": ts,
        "webhook-signature": signature_compute(
            key=secret_key_bytes(secret), msg_id=msg_id, timestamp=ts, body=body
        ),
    }


@dataclass(frozen=True)
class SigningKey:
    """One active secret, decoded once (cached with the system)."""

    secret_id: str
    key: bytes
    expires_at: float | None  # unix time; None = no expiry


def signature_verify(
    *,
    keys: list[SigningKey],
    msg_id: str,
    timestamp: str,
    signature_header: str,
    body: bytes,
    tolerance_seconds: int,
    now: float | None = None,
) -> str:
    """Return the id of the secret that matched; raise SignatureError otherwise."""
    if not msg_id or not timestamp or not signature_header:
        raise SignatureError(
            "signature_missing",
            "Missing webhook-id, webhook-timestamp or webhook-signature header.",
        )
    try:
        ts = int(timestamp)
    except ValueError:
        raise SignatureError("timestamp_stale", "webhook-timestamp must be unix seconds.") from None
    now = time.time() if now is None else now
    if abs(now - ts) > tolerance_seconds:
        raise SignatureError(
            "timestamp_stale",
            f"webhook-timestamp is more than {tolerance_seconds} seconds from the hub's clock.",
        )
    offered = []
    for part in signature_header.split():
        version, _, value = part.partition(",")
        if version == "v1" and value:
            offered.append(value.encode("ascii", "replace"))
    if not offered:
        raise SignatureError("signature_invalid", "webhook-signature has no v1 signature.")
    signed = msg_id.encode("utf-8") + b"." + timestamp.encode("utf-8") + b"." + body
    for key in keys:
        if key.expires_at is not None and key.expires_at <= now:
            continue
        expected = base64.b64encode(hmac.new(key.key, signed, hashlib.sha256).digest())
        for value in offered:
            if hmac.compare_digest(expected, value):
                return key.secret_id
    raise SignatureError("signature_invalid", "No signature matches an active signing secret.")
