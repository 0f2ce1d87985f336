"""Django admin: read-mostly views for support; business changes go through the services."""

from django.contrib import admin

from apps.procurement import models


@admin.register(models.Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "status", "insurance_expiry", "compliance_expiry")
    list_filter = ("status",)
    search_fields = ("code", "name")
    # Tax id and bank details change only through a verified change (apps.vendors), and are
    # never shown in full.
    exclude = ("vat", "iban", "bank_account", "bank_name")
    readonly_fields = ("vat_masked", "iban_masked")


@admin.register(models.MatchTolerance)
class MatchToleranceAdmin(admin.ModelAdmin):
    list_display = ("__str__", "quantity_pct", "quantity_amount", "price_pct", "price_amount")


class _ReadOnly(admin.ModelAdmin):
    """Documents change only through the services (budget figures follow them)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Requisition)
class RequisitionAdmin(_ReadOnly):
    list_display = ("number", "project", "title", "total_amount", "status")
    list_filter = ("status",)
    search_fields = ("number", "title")


@admin.register(models.Commitment)
class CommitmentAdmin(_ReadOnly):
    list_display = ("number", "kind", "project", "vendor", "total_amount", "status")
    list_filter = ("status", "kind")
    search_fields = ("number", "title", "external_ref")


@admin.register(models.Invoice)
class InvoiceAdmin(_ReadOnly):
    list_display = ("number", "vendor", "commitment", "payable_amount", "match_status", "status")
    list_filter = ("match_status", "status")
    search_fields = ("number", "external_ref")


@admin.register(models.ChangeOrder)
class ChangeOrderAdmin(_ReadOnly):
    list_display = ("number", "kind", "project", "amount", "status")


@admin.register(models.Payment)
class PaymentAdmin(_ReadOnly):
    list_display = ("number", "vendor", "amount", "paid_on", "source", "status")


@admin.register(models.BudgetImport)
class BudgetImportAdmin(_ReadOnly):
    list_display = ("id", "file_name", "status", "accepted_rows", "refused_rows", "created_at")
