from __future__ import annotations

from django.db import models


class ChangeSource(models.TextChoices):
    ODOO = "odoo", "Odoo"
    PORTAL = "portal", "Supplier portal"
    PLATFORM = "platform", "Platform event"
    MANUAL = "manual", "Entered in the hub"


class ChangeStatus(models.TextChoices):
    PENDING = "pending", "Waiting for verification"
    VERIFIED = "verified", "Verified and applied"
    REJECTED = "rejected", "Rejected"
    SUPERSEDED = "superseded", "Superseded by a later change"

    @property
    def colour(self) -> str:
        return {"pending": "amber", "verified": "green", "rejected": "red", "superseded": "grey"}[
            self.value
        ]


class DuplicateStatus(models.TextChoices):
    OPEN = "open", "Open"
    LINKED = "linked", "Linked (kept apart, same party)"
    MERGED = "merged", "Merged"
    DISMISSED = "dismissed", "Not a duplicate"


# Protected vendor fields: a change to any of them waits for a second person.
PROTECTED_FIELDS = ("iban", "bank_account", "bank_name", "vat")
FIELD_LABELS = {
    "iban": "IBAN",
    "bank_account": "Account number",
    "bank_name": "Bank",
    "vat": "Tax id",
}

# The call-back checklist the verifier completes before confirming (all items required).
CALLBACK_CHECKLIST = {
    "called_known_number": "Called the vendor on a number from the vendor file, not from the "
    "change request",
    "contact_confirmed_change": "A known contact confirmed the new details by phone",
    "account_holder_matches": "Account holder name matches the vendor's legal name",
    "documentation_on_file": "Bank letter or signed change form is on file",
}
