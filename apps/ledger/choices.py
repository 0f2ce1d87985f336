"""Ledger vocabulary (DESIGN §3–§4): directions, the twelve statuses with their colours, triggers
and the allowed status transitions."""

from __future__ import annotations

from django.db import models


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class TransactionStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    VALIDATED = "validated", "Validated"
    MAPPED = "mapped", "Mapped"
    APPLIED = "applied", "Applied"
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    DUPLICATE = "duplicate", "Duplicate"
    HELD = "held", "Held"
    RETRYING = "retrying", "Retrying"
    DEAD = "dead", "Dead-lettered"
    FAILED = "failed", "Failed"
    IGNORED = "ignored", "Ignored"

    @property
    def colour(self) -> str:
        return STATUS_COLOURS[self.value]


# Badge colours (static/css/app.css badge-<colour>): blue = in flight, amber = needs time or a
# person, green = done, red = failed for good, grey = deliberately no effect.
STATUS_COLOURS = {
    "received": "blue",
    "validated": "blue",
    "mapped": "blue",
    "applied": "blue",
    "pending": "blue",
    "delivered": "green",
    "duplicate": "grey",
    "held": "amber",
    "retrying": "amber",
    "dead": "red",
    "failed": "red",
    "ignored": "grey",
}

# Hex colours for pictures (lineage graph), matching the badge palette.
STATUS_HEX = {
    "blue": "#1f5fae",
    "green": "#1e7d4f",
    "amber": "#c98a00",
    "red": "#a4262c",
    "grey": "#8a94a3",
}


class Trigger(models.TextChoices):
    WEBHOOK = "webhook", "Webhook"
    POLL = "poll", "Poll"
    SCHEDULE = "schedule", "Schedule"
    FILE = "file", "File"
    MANUAL = "manual", "Manual"
    REPLAY = "replay", "Replay"


class EventKind(models.TextChoices):
    """What a TransactionEvent records: a status change, one attempt (e.g. an Odoo round trip
    with its timing) or a note (e.g. "replayed as #123")."""

    TRANSITION = "transition", "Status change"
    ATTEMPT = "attempt", "Attempt"
    NOTE = "note", "Note"


S = TransactionStatus

# Terminal statuses never change again; replay makes a child instead.
TERMINAL_STATUSES = frozenset({S.DELIVERED, S.DUPLICATE, S.DEAD, S.FAILED, S.IGNORED})

# DESIGN §4. The forward path is received → validated → mapped → applied → (children) pending →
# delivered; side exits: duplicate, held, retrying, dead, failed, ignored.
# - Inbound processing may hit a transient problem (a follow-up GET to the platform times out), so
#   the processing stages may go to `retrying` and `retrying` may resume at any stage.
# - `applied` may fail or be held when routing the children fails; inbound transactions whose
#   effects are only in the hub go applied → delivered.
# - `held` is released after a fix back to the stage it was held at (or later).
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    S.RECEIVED: {S.VALIDATED, S.FAILED, S.HELD, S.IGNORED, S.DUPLICATE, S.RETRYING},
    S.VALIDATED: {S.MAPPED, S.HELD, S.FAILED, S.IGNORED, S.RETRYING},
    S.MAPPED: {S.APPLIED, S.HELD, S.FAILED, S.IGNORED, S.RETRYING},
    S.APPLIED: {S.PENDING, S.DELIVERED, S.HELD, S.FAILED},
    S.PENDING: {S.DELIVERED, S.RETRYING, S.FAILED, S.DEAD, S.HELD},
    S.RETRYING: {
        S.PENDING,
        S.DELIVERED,
        S.RETRYING,
        S.DEAD,
        S.FAILED,
        S.HELD,
        S.RECEIVED,
        S.VALIDATED,
        S.MAPPED,
        S.APPLIED,
        S.IGNORED,
    },
    S.HELD: {S.RECEIVED, S.VALIDATED, S.MAPPED, S.APPLIED, S.PENDING, S.IGNORED, S.FAILED},
    S.DELIVERED: set(),
    S.DUPLICATE: set(),
    S.DEAD: set(),
    S.FAILED: set(),
    S.IGNORED: set(),
}

# What the dispatcher claims: inbound rows waiting for the pipeline, outbound rows waiting for
# delivery; `retrying` rows only once their next_attempt_at has come.
INBOUND_CLAIMABLE = (S.RECEIVED, S.RETRYING)
OUTBOUND_CLAIMABLE = (S.PENDING, S.RETRYING)
# Inbound rows caught mid-pipeline when their worker died (lease expired): claimed again, and the
# processor resumes at the stage the row is in.
INBOUND_RESUMABLE = (S.VALIDATED, S.MAPPED)
# Statuses that still have work ahead (for the partial "open work" index and stuck detection).
OPEN_STATUSES = (S.RECEIVED, S.VALIDATED, S.MAPPED, S.APPLIED, S.PENDING, S.RETRYING)

# Statuses a person looks for (partial index for the ledger's status filter).
ATTENTION_STATUSES = (S.HELD, S.RETRYING, S.DEAD, S.FAILED)

# A replay makes sense once the original has come to rest.
REPLAYABLE_STATUSES = frozenset(TERMINAL_STATUSES | {S.HELD})


class RefusalReason(models.TextChoices):
    UNKNOWN_SYSTEM = "unknown_system", "Unknown system"
    SYSTEM_DISABLED = "system_disabled", "System disabled"
    BODY_TOO_LARGE = "body_too_large", "Body too large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type", "Wrong content type"
    SIGNATURE_MISSING = "signature_missing", "Signature missing"
    SIGNATURE_INVALID = "signature_invalid", "Signature invalid"
    TIMESTAMP_STALE = "timestamp_stale", "Timestamp outside tolerance"
    MALFORMED_JSON = "malformed_json", "Malformed JSON"
    MISSING_FIELDS = "missing_fields", "Missing fields"
    MALFORMED_REQUEST = "malformed_request", "Malformed request"
    METHOD_NOT_ALLOWED = "method_not_allowed", "Method not allowed"
    BATCH_TOO_LARGE = "batch_too_large", "Too many events in a batch"
