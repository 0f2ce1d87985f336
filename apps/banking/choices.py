from django.db import models


class StatementFormat(models.TextChoices):
    CAMT053 = "camt.053", "camt.053 statement"
    CAMT054 = "camt.054", "camt.054 notification"
    CAMT052 = "camt.052", "camt.052 report"
    MT940 = "mt940", "MT940"


class CreditDebit(models.TextChoices):
    CREDIT = "CRDT", "Credit"
    DEBIT = "DBIT", "Debit"


class EntryStatus(models.TextChoices):
    BOOKED = "BOOK", "Booked"
    PENDING = "PDNG", "Pending"
    INFO = "INFO", "Information"
    FUTURE = "FUTR", "Future"


class MatchStatus(models.TextChoices):
    """Where a bank line stands in reconciliation; each status carries its badge colour."""

    UNMATCHED = "unmatched", "Unmatched"
    MATCHED = "matched", "Matched"
    DIFFERENCE = "difference", "Matched with difference"
    MANUAL = "manual", "Matched manually"
    REVERSED = "reversed", "Reversed"
    REVERSAL = "reversal", "Reversal"
    NOT_BOOKED = "not_booked", "Not booked"

    @property
    def colour(self) -> str:
        return {
            "unmatched": "red",
            "matched": "green",
            "difference": "amber",
            "manual": "blue",
            "reversed": "amber",
            "reversal": "grey",
            "not_booked": "grey",
        }[self.value]


RECONCILED_STATUSES = (MatchStatus.MATCHED, MatchStatus.DIFFERENCE, MatchStatus.MANUAL)


class MatchMethod(models.TextChoices):
    END_TO_END_ID = "end_to_end_id", "End-to-end id"
    REFERENCE = "reference", "Reference in remittance"
    AMOUNT_IBAN = "amount_iban", "Amount + counterparty IBAN"
    AMOUNT_NAME = "amount_name", "Amount + counterparty name"
    MANUAL = "manual", "Manual"


class MatchTargetKind(models.TextChoices):
    PAYMENT = "payment", "Payment"
    BILL = "bill", "Vendor bill"


class MatchState(models.TextChoices):
    ACTIVE = "active", "Active"
    REVERSED = "reversed", "Reversed by the bank"
    REMOVED = "removed", "Removed by a reviewer"
