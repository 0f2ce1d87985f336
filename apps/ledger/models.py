"""The transaction ledger (DESIGN §3–§4b): every message in or out is a Transaction, every status
change a TransactionEvent. Rows are appended, never edited except their status fields."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.ledger.choices import (
    ATTENTION_STATUSES,
    OPEN_STATUSES,
    STATUS_COLOURS,
    TERMINAL_STATUSES,
    Direction,
    EventKind,
    TransactionStatus,
    Trigger,
)


class Transaction(models.Model):
    """One message in or out of the hub, with its lineage, payload and delivery state.

    Foreign keys INTO this table (parent, root, TransactionEvent, other apps' links) are declared
    with db_constraint=False so the table can become monthly partitions (README "The ledger").
    """

    id = models.BigAutoField(primary_key=True)
    direction = models.CharField(max_length=10, choices=Direction)
    system = models.ForeignKey(
        "connectors.System",
        on_delete=models.PROTECT,
        related_name="transactions",
        db_index=False,  # the (system, id) index and the unique key lead with it
    )
    domain = models.CharField(max_length=50)
    operation = models.CharField(max_length=50)
    # Dedupe key, unique per (system, direction): the event id, webhook-id, file sha256 or the
    # key the pipeline builds for an outbound write.
    idempotency_key = models.CharField(max_length=255)
    external_id = models.CharField(max_length=255, blank=True)
    # The main business reference found in the payload (PO / invoice number, activity id...);
    # more references live in TransactionReference.
    reference = models.CharField(max_length=120, blank=True)
    subject_domain = models.CharField(max_length=50, blank=True)
    subject_id = models.CharField(max_length=255, blank=True)
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # (project, id) serves it
        related_name="+",
    )
    # Time-ordered (see services.correlation_id_new) so the index grows at its right edge.
    correlation_id = models.CharField(max_length=64, db_index=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # partial index below
        related_name="children",
    )
    # The first transaction of the chain (NULL on a root itself: `lineage_root_id`).
    root = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # partial index below
        related_name="+",
    )
    trigger = models.CharField(max_length=10, choices=Trigger)
    schema_version = models.CharField(max_length=20, blank=True)
    # Exactly what arrived (webhook body text; repeated JSON keys survive here), empty for
    # outbound and file transactions.
    raw_body = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    canonical_payload = models.JSONField(null=True, blank=True)
    payload_sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveIntegerField(default=0)

    status = models.CharField(
        max_length=12, choices=TransactionStatus, default=TransactionStatus.RECEIVED
    )
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=8)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error_code = models.CharField(max_length=100, blank=True)
    last_error_message = models.TextField(blank=True)
    # Dispatcher lease: who holds the row and until when (a killed worker's rows come back).
    claimed_by = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    # When the event happened at its source (the platform's timestamp), for ordering updates to
    # the same subject; received_at is when the hub got it.
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["system", "direction", "idempotency_key"], name="ledger_tx_idempotency"
            )
        ]
        # Every index costs the ingest INSERT and every status change (a status change is never
        # a HOT update), so most are partial: a row only pays for the indexes that concern it.
        indexes = [
            # Dispatcher claims and the sweeper: only rows with work ahead (small, since most of
            # the ledger is at rest).
            models.Index(
                fields=["direction", "status", "next_attempt_at"],
                condition=Q(status__in=list(OPEN_STATUSES)),
                name="ledger_tx_open_work",
            ),
            # The statuses people look for (the list's status filter); the common ones
            # (delivered, ignored, duplicate) are found walking the primary key.
            models.Index(
                fields=["status", "id"],
                condition=Q(status__in=list(ATTENTION_STATUSES)),
                name="ledger_tx_attention",
            ),
            models.Index(fields=["system", "id"], name="ledger_tx_system_id"),
            models.Index(
                fields=["project", "id"],
                condition=Q(project__isnull=False),
                name="ledger_tx_project_id",
            ),
            models.Index(fields=["received_at"], name="ledger_tx_received_at"),
            models.Index(
                fields=["subject_domain", "subject_id"],
                condition=~Q(subject_id=""),
                name="ledger_tx_subject",
            ),
            models.Index(
                fields=["external_id"], condition=~Q(external_id=""), name="ledger_tx_external_id"
            ),
            models.Index(
                fields=["reference"], condition=~Q(reference=""), name="ledger_tx_reference"
            ),
            models.Index(
                fields=["parent"], condition=Q(parent__isnull=False), name="ledger_tx_parent"
            ),
            models.Index(fields=["root"], condition=Q(root__isnull=False), name="ledger_tx_root"),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.direction} {self.domain}.{self.operation} ({self.status})"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def lineage_root_id(self) -> int:
        return self.root_id or self.id

    @property
    def status_colour(self) -> str:
        return STATUS_COLOURS.get(self.status, "grey")


class TransactionEvent(models.Model):
    """An append-only record of one status change, attempt or note on a transaction."""

    id = models.BigAutoField(primary_key=True)
    transaction = models.ForeignKey(
        Transaction,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # (transaction, id) serves it
        related_name="events",
    )
    kind = models.CharField(max_length=12, choices=EventKind, default=EventKind.TRANSITION)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    # "system", "dispatcher:<host>", a username...
    actor_label = models.CharField(max_length=150, default="system")
    detail = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=100, blank=True)
    error_message = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["transaction", "id"], name="ledger_event_tx")]

    def __str__(self) -> str:
        if self.kind == EventKind.TRANSITION:
            return f"#{self.transaction_id}: {self.from_status or '∅'} → {self.to_status}"
        return f"#{self.transaction_id}: {self.kind}"


class TransactionReference(models.Model):
    """A business reference (PO number, invoice number, activity id...) that finds a transaction
    from the ledger search box. The pipeline adds them; ingest keeps the first one on the row."""

    id = models.BigAutoField(primary_key=True)
    transaction = models.ForeignKey(
        Transaction,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the unique (transaction, kind, value) serves it
        related_name="references",
    )
    kind = models.CharField(max_length=40)
    value = models.CharField(max_length=120, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["transaction", "kind", "value"], name="ledger_reference_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}={self.value}"


class TransactionFile(models.Model):
    """The bytes of a file-based feed (schedule export, bank statement, budget workbook).

    Kept in the database so a backup of PostgreSQL is a backup of everything received.
    """

    id = models.BigAutoField(primary_key=True)
    transaction = models.OneToOneField(
        Transaction, on_delete=models.DO_NOTHING, db_constraint=False, related_name="file"
    )
    file_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.file_name} ({self.size_bytes} bytes)"


class RefusedRequest(models.Model):
    """An ingest request the hub refused (4xx), recorded for admins. Never holds the body of an
    unauthenticated request: only its size and hash."""

    id = models.BigAutoField(primary_key=True)
    system_code = models.CharField(max_length=100, blank=True)
    endpoint = models.CharField(max_length=20, default="events")
    http_status = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=40)
    message = models.CharField(max_length=500)
    size_bytes = models.PositiveBigIntegerField(default=0)
    body_sha256 = models.CharField(max_length=64, blank=True)
    # Only when the signature was valid (an authenticated sender's malformed body helps them).
    body_excerpt = models.TextField(blank=True)
    signature_valid = models.BooleanField(default=False)
    source_address = models.GenericIPAddressField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["system_code", "id"], name="ledger_refused_system")]

    def __str__(self) -> str:
        return f"{self.http_status} {self.reason} ({self.system_code or '?'})"
