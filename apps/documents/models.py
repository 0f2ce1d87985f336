from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.documents.choices import (
    MEANING_COLOURS,
    ChangeSource,
    DocumentEventKind,
    DocumentKind,
    InformationState,
    RevisionKind,
    StatusMeaning,
    StatusSetKind,
    TransmittalPurpose,
    TransmittalStatus,
)


class StatusSet(models.Model):
    """A configurable set of document status codes (an ISO 19650 annex, a response table...)."""

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=StatusSetKind)
    description = models.TextField(blank=True)
    # Shipped presets are re-created if missing on every seed; admins may edit their codes.
    is_preset = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class StatusCode(models.Model):
    """One code of a status set: its label, its ISO information state and what it means."""

    status_set = models.ForeignKey(StatusSet, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(max_length=40)
    label = models.CharField(max_length=200)
    state = models.CharField(max_length=20, choices=InformationState)
    meaning = models.CharField(max_length=30, choices=StatusMeaning)
    # Empty = the meaning's colour.
    colour = models.CharField(max_length=10, blank=True)
    # Who acts on it (ISO 19650: A appointing party, B lead appointed party, C appointed party).
    action_by = models.CharField(max_length=20, blank=True)
    # Other spellings platforms send for this code ("AAN", "R&R", "Approved as noted").
    aliases = models.JSONField(default=list, blank=True)
    # Deprecated: still accepted, shown with a warning (UK NA 2021 B codes). Withdrawn: no longer
    # part of the set (S6/S7/CR in NA 2021); kept so an incoming one is recognised and flagged.
    deprecated = models.BooleanField(default=False)
    withdrawn = models.BooleanField(default=False)
    sort_order = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["status_set", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["status_set", "code"], name="uniq_status_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.label}"

    @property
    def badge_colour(self) -> str:
        return self.colour or MEANING_COLOURS.get(self.meaning, "grey")


class ProjectDocumentSettings(models.Model):
    """Per project: which status set and response table apply, and the default review period."""

    project = models.OneToOneField(
        "projects.Project", on_delete=models.CASCADE, related_name="document_settings"
    )
    status_set = models.ForeignKey(
        StatusSet, on_delete=models.PROTECT, related_name="projects_by_status", null=True
    )
    response_set = models.ForeignKey(
        StatusSet,
        on_delete=models.PROTECT,
        related_name="projects_by_response",
        null=True,
        blank=True,
    )
    review_days = models.PositiveSmallIntegerField(default=10)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Document settings of {self.project}"


class Document(models.Model):
    """A register entry: a submittal, drawing or document with its current revision and status."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="documents"
    )
    system = models.ForeignKey(
        "connectors.System", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=DocumentKind)
    external_id = models.CharField(max_length=300, blank=True)
    number = models.CharField(max_length=120, blank=True)
    title = models.CharField(max_length=300, blank=True)
    discipline = models.CharField(max_length=120, blank=True)
    spec_section = models.CharField(max_length=40, blank=True)
    spec_section_title = models.CharField(max_length=200, blank=True)
    current_revision = models.CharField(max_length=40, blank=True)
    # The status as the platform sent it, and what the project's status set makes of it.
    status_code = models.CharField(max_length=60, blank=True)
    status_label = models.CharField(max_length=200, blank=True)
    status_meaning = models.CharField(max_length=30, choices=StatusMeaning, blank=True)
    status_known = models.BooleanField(default=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    received_on = models.DateField(null=True, blank=True)
    review_due_on = models.DateField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    procurement_refs = models.JSONField(default=list, blank=True)
    # The platform's own last-change time: an older snapshot never overwrites a newer one.
    source_updated_at = models.DateTimeField(null=True, blank=True)
    last_transaction_id = models.BigIntegerField(null=True, blank=True)
    url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "kind", "external_id"],
                condition=~models.Q(external_id=""),
                name="uniq_document_external",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "status_meaning"], name="doc_project_meaning"),
            models.Index(fields=["review_due_on"], name="doc_review_due"),
        ]

    def __str__(self) -> str:
        return f"{self.number or self.external_id} {self.title}".strip()

    @property
    def status_colour(self) -> str:
        return MEANING_COLOURS.get(self.status_meaning, "grey") if self.status_known else "red"


class Revision(models.Model):
    """One revision of a document (P01.01 / P01 / C01, or the platform's revision label)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="revisions")
    code = models.CharField(max_length=40)
    kind = models.CharField(max_length=20, choices=RevisionKind, default=RevisionKind.OTHER)
    external_id = models.CharField(max_length=300, blank=True)
    status_code = models.CharField(max_length=60, blank=True)
    status_meaning = models.CharField(max_length=30, choices=StatusMeaning, blank=True)
    is_current = models.BooleanField(default=False)
    issued_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="supersedes"
    )
    transaction_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["document", "code"], name="uniq_document_revision"),
        ]

    def __str__(self) -> str:
        return f"{self.document.number} rev {self.code}"


class DocumentStatusChange(models.Model):
    """Append-only history of a document's status (who or what changed it, and when)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="status_changes")
    revision = models.ForeignKey(
        Revision, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_code = models.CharField(max_length=60, blank=True)
    to_code = models.CharField(max_length=60)
    meaning = models.CharField(max_length=30, choices=StatusMeaning, blank=True)
    # When it happened at the source; recorded_at is when the hub learnt it.
    at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=20, choices=ChangeSource, default=ChangeSource.PLATFORM)
    transaction_id = models.BigIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["document", "-at", "-id"]

    def __str__(self) -> str:
        return f"{self.document}: {self.from_code or '—'} → {self.to_code}"


class DocumentEvent(models.Model):
    """A business event the register derived (submittal approved, revision superseded...).

    The workflows issue turns approved submittals linked to procurement lines into release
    events; `dedupe_key` makes a replayed delivery derive nothing twice."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="events")
    revision = models.ForeignKey(
        Revision, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    kind = models.CharField(max_length=40, choices=DocumentEventKind)
    dedupe_key = models.CharField(max_length=300, unique=True)
    at = models.DateTimeField()
    transaction_id = models.BigIntegerField(null=True, blank=True)
    procurement_refs = models.JSONField(default=list, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    # The ledger transaction that carries this event onward (set by the workflows issue).
    emitted_transaction_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["kind", "at"], name="docevent_kind_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.document}"


class Transmittal(models.Model):
    """A formal issue of documents to a party, with its purpose and response due date."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="transmittals"
    )
    number = models.CharField(max_length=60)
    subject = models.CharField(max_length=300)
    purpose = models.CharField(max_length=30, choices=TransmittalPurpose)
    status = models.CharField(
        max_length=20, choices=TransmittalStatus, default=TransmittalStatus.DRAFT
    )
    from_party = models.CharField(max_length=200, blank=True)
    to_party = models.CharField(max_length=200)
    sent_on = models.DateField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    system = models.ForeignKey(
        "connectors.System", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    external_id = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "-sent_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="uniq_transmittal_number"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def status_colour(self) -> str:
        return TransmittalStatus(self.status).colour


class TransmittalItem(models.Model):
    """A document (at a revision) carried by a transmittal."""

    transmittal = models.ForeignKey(Transmittal, on_delete=models.CASCADE, related_name="items")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="transmittals")
    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["transmittal", "document", "revision"], name="uniq_transmittal_item"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.transmittal.number}: {self.document}"


class Rfi(models.Model):
    """The RFI (or issue) fields of a register entry of kind rfi: who holds the ball, by when,
    and whether the answer may cost money or time."""

    document = models.OneToOneField(Document, on_delete=models.CASCADE, related_name="rfi")
    number = models.CharField(max_length=120, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=40, blank=True)  # the platform's (open, closed, draft)
    ball_in_court = models.CharField(max_length=300, blank=True)
    due_date = models.DateField(null=True, blank=True)
    cost_impact = models.BooleanField(default=False)
    cost_impact_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    schedule_impact = models.BooleanField(default=False)
    schedule_impact_days = models.IntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["document__project", "number"]
        verbose_name = "RFI"

    def __str__(self) -> str:
        return f"RFI {self.number} {self.subject}".strip()


class PotentialChange(models.Model):
    """A change that may come: opened once by an RFI flagged with cost impact; change management
    turns it into a draft owner change order (linked both ways: `change_order` here,
    `ChangeOrder.potential_changes` there)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CHANGE_ORDER = "change_order", "Change order raised"
        CLOSED = "closed", "Closed (no change)"

    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="potential_changes"
    )
    rfi = models.OneToOneField(Rfi, on_delete=models.PROTECT, related_name="potential_change")
    title = models.CharField(max_length=300)
    status = models.CharField(max_length=20, choices=Status, default=Status.OPEN)
    estimated_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3)
    change_order = models.ForeignKey(
        "procurement.ChangeOrder",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="potential_changes",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"PC for RFI {self.rfi.number}: {self.title}"
