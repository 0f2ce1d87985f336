from django.contrib import admin

from apps.banking.models import (
    BankAccount,
    BankEntry,
    BankLineMatch,
    BankStatement,
    BankStatementFile,
    BankTransactionDetail,
)


@admin.register(BankAccount)
class BankAccountAdmin(admin.ModelAdmin):
    list_display = ("identifier", "currency", "owner_name", "project")
    search_fields = ("identifier", "owner_name")


@admin.register(BankStatementFile)
class BankStatementFileAdmin(admin.ModelAdmin):
    list_display = ("id", "file_name", "format", "version", "variant", "size", "imported_at")
    exclude = ("content",)
    readonly_fields = ("sha256", "size", "format", "version", "variant", "message_id")


@admin.register(BankStatement)
class BankStatementAdmin(admin.ModelAdmin):
    list_display = ("id", "statement_id", "sequence", "account", "format", "closing_date")
    list_filter = ("format",)
    search_fields = ("statement_id", "account__identifier")


@admin.register(BankEntry)
class BankEntryAdmin(admin.ModelAdmin):
    list_display = ("id", "statement", "booking_date", "credit_debit", "amount", "currency")
    search_fields = ("entry_key", "account_servicer_ref")


@admin.register(BankTransactionDetail)
class BankTransactionDetailAdmin(admin.ModelAdmin):
    list_display = ("id", "booking_date", "amount", "counterparty_name", "match_status")
    list_filter = ("match_status",)
    search_fields = ("end_to_end_id", "counterparty_name", "counterparty_iban")


@admin.register(BankLineMatch)
class BankLineMatchAdmin(admin.ModelAdmin):
    list_display = ("id", "line", "target_kind", "target_reference", "method", "state")
    list_filter = ("method", "state")
