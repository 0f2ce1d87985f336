"""Read-only Django admin views of the ledger (the ledger pages are the real UI). Nothing here
can add, change or delete a row: the ledger is append-only."""

from django.contrib import admin

from apps.ledger.models import RefusedRequest, Transaction, TransactionEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ("id", "received_at", "direction", "system", "domain", "operation", "status")
    list_filter = ("direction", "status")
    search_fields = ("=id", "=idempotency_key", "=external_id", "=reference", "=correlation_id")
    list_select_related = ("system",)
    show_full_result_count = False  # a COUNT(*) over the whole ledger is not worth it
    exclude = ("raw_body", "payload", "canonical_payload")  # secrets: see the masked ledger page


@admin.register(TransactionEvent)
class TransactionEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "transaction_id", "kind", "from_status", "to_status", "actor_label", "at")
    show_full_result_count = False
    exclude = ("detail",)


@admin.register(RefusedRequest)
class RefusedRequestAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "at",
        "system_code",
        "endpoint",
        "http_status",
        "reason",
        "source_address",
    )
    list_filter = ("http_status", "reason")
