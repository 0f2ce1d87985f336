from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.banking.choices import (
    CreditDebit,
    EntryStatus,
    MatchMethod,
    MatchState,
    MatchStatus,
    MatchTargetKind,
    StatementFormat,
)

MONEY = {"max_digits": 18, "decimal_places": 2}


class BankAccount(models.Model):
    """One of our accounts at a bank, identified by IBAN (or the bank's own account id)."""

    # IBAN, else "<BIC>/<account>" or the bare account number: what statements carry in :25:/Acct.
    identifier = models.CharField(max_length=80, unique=True)
    iban = models.CharField(max_length=34, blank=True)
    number = models.CharField(max_length=80, blank=True)
    bic = models.CharField(max_length=11, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    owner_name = models.CharField(max_length=200, blank=True)
    # A project account (escrow, joint venture) scopes its statements to the project's members.
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["identifier"]

    def __str__(self) -> str:
        return self.identifier


class BankStatementFile(models.Model):
    """A statement file as received (kept byte for byte), deduplicated by its SHA-256."""

    sha256 = models.CharField(max_length=64, unique=True)
    file_name = models.CharField(max_length=255, blank=True)
    size = models.PositiveIntegerField()
    content = models.BinaryField()
    format = models.CharField(max_length=20, choices=StatementFormat)
    version = models.CharField(max_length=40)
    variant = models.CharField(max_length=40, blank=True)
    message_id = models.CharField(max_length=140, blank=True)
    system = models.ForeignKey(
        "connectors.System", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The ledger transaction that carried the file, when it came through file ingest.
    ledger_transaction_id = models.BigIntegerField(null=True, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.file_name or self.sha256[:12]


class BankStatement(models.Model):
    """One statement, notification or report for one account (camt Stmt/Ntfctn/Rpt, MT940 :20:)."""

    file = models.ForeignKey(BankStatementFile, on_delete=models.PROTECT, related_name="statements")
    account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="statements")
    format = models.CharField(max_length=20, choices=StatementFormat)
    statement_id = models.CharField(max_length=140)
    sequence = models.CharField(max_length=40, blank=True)
    # Identity across deliveries: account + statement id + sequence + period, hashed.
    statement_key = models.CharField(max_length=64, unique=True)
    currency = models.CharField(max_length=3, blank=True)
    created_at_bank = models.DateTimeField(null=True, blank=True)
    period_from = models.DateTimeField(null=True, blank=True)
    period_to = models.DateTimeField(null=True, blank=True)
    opening_balance = models.DecimalField(null=True, blank=True, **MONEY)  # signed
    opening_date = models.DateField(null=True, blank=True)
    closing_balance = models.DecimalField(null=True, blank=True, **MONEY)  # signed
    closing_date = models.DateField(null=True, blank=True)
    # opening + booked entries − closing; non-zero means the file does not add up.
    balance_difference = models.DecimalField(null=True, blank=True, **MONEY)
    entry_count = models.PositiveIntegerField(default=0)
    # Entries the statement carried that an earlier delivery already imported (e.g. a camt.054
    # notification before the day's camt.053): kept once, counted here.
    known_entry_count = models.PositiveIntegerField(default=0)
    additional_info = models.TextField(blank=True)
    source_line = models.PositiveIntegerField(null=True, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    reconciled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["account", "statement_id"])]

    def __str__(self) -> str:
        return f"{self.account} {self.statement_id}" + (
            f" #{self.sequence}" if self.sequence else ""
        )

    @property
    def balances_agree(self) -> bool | None:
        if self.balance_difference is None:
            return None
        return self.balance_difference == Decimal("0")


class BankEntry(models.Model):
    """One booking on the account: a camt Ntry or an MT940 :61: line with its :86:."""

    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="entries")
    account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="entries")
    position = models.PositiveIntegerField()  # order within the statement, from 1
    # AcctSvcrRef-based or a hash of account+dates+amount+references+occurrence: the same booking
    # delivered twice (camt.054 then camt.053, or a re-sent file) is stored once.
    entry_key = models.CharField(max_length=200)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    credit_debit = models.CharField(max_length=4, choices=CreditDebit)
    reversal = models.BooleanField(default=False)
    status = models.CharField(max_length=10, default=EntryStatus.BOOKED)
    booking_date = models.DateField(null=True, blank=True)
    value_date = models.DateField(null=True, blank=True)
    entry_ref = models.CharField(max_length=140, blank=True)
    account_servicer_ref = models.CharField(max_length=140, blank=True)
    bank_transaction_code = models.CharField(max_length=80, blank=True)
    additional_info = models.TextField(blank=True)
    charges_amount = models.DecimalField(null=True, blank=True, **MONEY)
    batch_count = models.PositiveIntegerField(null=True, blank=True)
    customer_reference = models.CharField(max_length=80, blank=True)
    bank_reference = models.CharField(max_length=80, blank=True)
    raw_details = models.TextField(blank=True)  # MT940 :86: as received
    source_line = models.PositiveIntegerField(null=True, blank=True)
    details_derived = models.BooleanField(default=False)

    class Meta:
        ordering = ["statement_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["account", "entry_key"], name="uniq_bank_entry_key")
        ]

    def __str__(self) -> str:
        return f"{self.signed_amount} {self.currency} {self.booking_date}"

    @property
    def signed_amount(self) -> Decimal:
        return self.amount if self.credit_debit == CreditDebit.CREDIT else -self.amount


class BankTransactionDetail(models.Model):
    """A bank line for reconciliation: one camt TxDtls (a batch entry has many), or the entry
    itself when the bank sent no details (MT940, camt without TxDtls)."""

    entry = models.ForeignKey(BankEntry, on_delete=models.CASCADE, related_name="details")
    account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveIntegerField()
    booking_date = models.DateField(null=True, blank=True)  # the entry's, for filtering
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    credit_debit = models.CharField(max_length=4, choices=CreditDebit)
    reversal = models.BooleanField(default=False)  # the entry's RvslInd / RC / RD
    end_to_end_id = models.CharField(max_length=140, blank=True, db_index=True)
    instruction_id = models.CharField(max_length=140, blank=True)
    mandate_id = models.CharField(max_length=140, blank=True)
    transaction_id = models.CharField(max_length=140, blank=True)
    account_servicer_ref = models.CharField(max_length=140, blank=True)
    payment_info_id = models.CharField(max_length=140, blank=True)
    remittance_unstructured = models.TextField(blank=True)
    creditor_reference = models.CharField(max_length=140, blank=True)
    counterparty_name = models.CharField(max_length=200, blank=True)
    counterparty_iban = models.CharField(max_length=34, blank=True, db_index=True)
    counterparty_account = models.CharField(max_length=80, blank=True)
    counterparty_bic = models.CharField(max_length=11, blank=True)
    bank_transaction_code = models.CharField(max_length=80, blank=True)
    charges_amount = models.DecimalField(null=True, blank=True, **MONEY)
    return_reason = models.CharField(max_length=40, blank=True)
    additional_info = models.TextField(blank=True)
    extra = models.JSONField(default=dict, blank=True)
    # --- reconciliation ---
    match_status = models.CharField(
        max_length=20, choices=MatchStatus, default=MatchStatus.UNMATCHED, db_index=True
    )
    match_method = models.CharField(max_length=20, choices=MatchMethod, blank=True)
    match_confidence = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    match_note = models.CharField(max_length=500, blank=True)
    matched_at = models.DateTimeField(null=True, blank=True)
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reversed_by"
    )
    # The exception item opened for this line (apps.exceptions) and its trace key, kept to
    # resolve it when the line is matched later.
    exception_item_id = models.BigIntegerField(null=True, blank=True)
    exception_trace_key = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["entry_id", "position"]
        indexes = [models.Index(fields=["account", "match_status", "booking_date"])]

    def __str__(self) -> str:
        return (
            f"{self.signed_amount} {self.currency} {self.counterparty_name or self.end_to_end_id}"
        )

    @property
    def signed_amount(self) -> Decimal:
        return self.amount if self.credit_debit == CreditDebit.CREDIT else -self.amount

    @property
    def match_status_colour(self) -> str:
        return MatchStatus(self.match_status).colour

    @property
    def remittance_text(self) -> str:
        parts = [self.remittance_unstructured, self.creditor_reference, self.additional_info]
        return " ".join(p for p in parts if p)


class BankLineMatch(models.Model):
    """A bank line reconciled to a payment or a vendor bill, with how and how sure."""

    line = models.ForeignKey(
        BankTransactionDetail, on_delete=models.CASCADE, related_name="matches"
    )
    target_kind = models.CharField(max_length=10, choices=MatchTargetKind)
    # The payment's or bill's id in apps.procurement (not a foreign key: banking reads procurement
    # through its selectors only, and a match must survive a re-sync of the target).
    target_id = models.BigIntegerField()
    target_reference = models.CharField(max_length=140, blank=True)
    target_amount = models.DecimalField(null=True, blank=True, **MONEY)
    target_currency = models.CharField(max_length=3, blank=True)
    target_project_id = models.BigIntegerField(null=True, blank=True)
    method = models.CharField(max_length=20, choices=MatchMethod)
    confidence = models.DecimalField(max_digits=4, decimal_places=3)
    amount_difference = models.DecimalField(default=Decimal("0"), **MONEY)
    state = models.CharField(max_length=10, choices=MatchState, default=MatchState.ACTIVE)
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by_line = models.ForeignKey(
        BankTransactionDetail, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            # A payment or bill is settled by one bank line at a time.
            models.UniqueConstraint(
                fields=["target_kind", "target_id"],
                condition=Q(state="active"),
                name="uniq_active_bank_match_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.line_id} → {self.target_kind} {self.target_reference or self.target_id}"
