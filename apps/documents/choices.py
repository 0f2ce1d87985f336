from django.db import models


class StatusSetKind(models.TextChoices):
    SUITABILITY = "suitability", "ISO 19650 status / suitability codes"
    RESPONSE = "response", "Submittal response table"
    CUSTOM = "custom", "Custom status set"


class InformationState(models.TextChoices):
    """ISO 19650 information container states (plus the review states of a submittal)."""

    WORK_IN_PROGRESS = "wip", "Work in progress"
    SHARED = "shared", "Shared (non-contractual)"
    PUBLISHED = "published", "Published (contractual)"
    ARCHIVED = "archived", "Archived"
    REVIEW = "review", "Reviewer response"


class StatusMeaning(models.TextChoices):
    """What a status means to the hub's workflows, whatever the code is called locally.

    Colours follow the badge classes in static/css/app.css."""

    WORK_IN_PROGRESS = "wip", "Work in progress"
    SHARED = "shared", "Shared for coordination / information"
    IN_REVIEW = "in_review", "Issued for review"
    APPROVED = "approved", "Approved / authorised"
    APPROVED_AS_NOTED = "approved_as_noted", "Approved with comments"
    REVISE_RESUBMIT = "revise_resubmit", "Revise and resubmit"
    REJECTED = "rejected", "Rejected"
    FOR_RECORD = "for_record", "For information / record"
    VOID = "void", "Void / withdrawn"

    @property
    def colour(self) -> str:
        return MEANING_COLOURS[self.value]


MEANING_COLOURS = {
    "wip": "grey",
    "shared": "blue",
    "in_review": "amber",
    "approved": "green",
    "approved_as_noted": "green",
    "revise_resubmit": "amber",
    "rejected": "red",
    "for_record": "blue",
    "void": "grey",
}
# Meanings that release procurement (DESIGN §6 "Document-driven procurement").
RELEASING_MEANINGS = {StatusMeaning.APPROVED, StatusMeaning.APPROVED_AS_NOTED}
# Meanings that end a review: the review due date no longer applies.
REVIEW_CLOSED_MEANINGS = {
    StatusMeaning.APPROVED,
    StatusMeaning.APPROVED_AS_NOTED,
    StatusMeaning.REVISE_RESUBMIT,
    StatusMeaning.REJECTED,
    StatusMeaning.FOR_RECORD,
    StatusMeaning.VOID,
}


class DocumentKind(models.TextChoices):
    SUBMITTAL = "submittal", "Submittal"
    DRAWING = "drawing", "Drawing"
    DOCUMENT = "document", "Document"
    RFI = "rfi", "RFI"


class RevisionKind(models.TextChoices):
    """ISO 19650 UK NA revision codes: P01.01 while in progress, P01 shared, C01 contractual."""

    WORK_IN_PROGRESS = "wip", "Work in progress (P01.01)"
    PRELIMINARY = "preliminary", "Preliminary / shared (P01)"
    CONTRACTUAL = "contractual", "Contractual (C01)"
    OTHER = "other", "Platform revision"


class DocumentEventKind(models.TextChoices):
    SUBMITTAL_APPROVED = "submittal.approved", "Submittal approved"
    SUBMITTAL_REJECTED = "submittal.rejected", "Submittal rejected"
    SUBMITTAL_REVISE_RESUBMIT = "submittal.revise_resubmit", "Submittal: revise and resubmit"
    REVISION_ISSUED = "revision.issued", "Revision issued"
    REVISION_SUPERSEDED = "revision.superseded", "Revision superseded"
    DOCUMENT_APPROVED = "document.approved", "Document approved / authorised"
    DOCUMENT_REJECTED = "document.rejected", "Document rejected"

    @property
    def colour(self) -> str:
        if self.value.endswith("approved") or self.value == "revision.issued":
            return "green"
        if self.value.endswith("rejected"):
            return "red"
        return "amber" if "revise" in self.value else "grey"


class TransmittalPurpose(models.TextChoices):
    FOR_REVIEW = "for_review", "For review and comment"
    FOR_APPROVAL = "for_approval", "For approval"
    FOR_INFORMATION = "for_information", "For information"
    FOR_CONSTRUCTION = "for_construction", "For construction"
    FOR_TENDER = "for_tender", "For tender"
    FOR_RECORD = "for_record", "For record"


class TransmittalStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESPONDED = "responded", "Responded"
    CLOSED = "closed", "Closed"

    @property
    def colour(self) -> str:
        return {
            "draft": "grey",
            "sent": "blue",
            "acknowledged": "blue",
            "responded": "green",
            "closed": "grey",
        }[self.value]


class ChangeSource(models.TextChoices):
    PLATFORM = "platform", "Platform event"
    MANUAL = "manual", "Manual"
    RECONCILIATION = "reconciliation", "Reconciliation"
