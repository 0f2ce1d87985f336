from django.contrib import admin

from apps.documents.models import (
    Document,
    DocumentEvent,
    DocumentStatusChange,
    ProjectDocumentSettings,
    Revision,
    StatusCode,
    StatusSet,
    Transmittal,
    TransmittalItem,
)


class StatusCodeInline(admin.TabularInline):
    model = StatusCode
    extra = 0
    fields = ("code", "label", "state", "meaning", "colour", "action_by", "aliases", "deprecated",
              "withdrawn", "sort_order")  # fmt: skip


@admin.register(StatusSet)
class StatusSetAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "is_preset")
    inlines = [StatusCodeInline]


@admin.register(ProjectDocumentSettings)
class ProjectDocumentSettingsAdmin(admin.ModelAdmin):
    list_display = ("project", "status_set", "response_set", "review_days")


class RevisionInline(admin.TabularInline):
    model = Revision
    extra = 0
    fields = ("code", "kind", "status_code", "is_current", "issued_at", "superseded_at")
    readonly_fields = fields


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("number", "title", "project", "kind", "current_revision", "status_code",
                    "review_due_on")  # fmt: skip
    list_filter = ("kind", "status_meaning", "project")
    search_fields = ("number", "title", "external_id")
    inlines = [RevisionInline]


@admin.register(DocumentStatusChange)
class DocumentStatusChangeAdmin(admin.ModelAdmin):
    list_display = ("document", "from_code", "to_code", "at", "source")


@admin.register(DocumentEvent)
class DocumentEventAdmin(admin.ModelAdmin):
    list_display = ("document", "kind", "at", "emitted_transaction_id")
    list_filter = ("kind",)


class TransmittalItemInline(admin.TabularInline):
    model = TransmittalItem
    extra = 0


@admin.register(Transmittal)
class TransmittalAdmin(admin.ModelAdmin):
    list_display = ("number", "project", "subject", "purpose", "status", "sent_on", "due_on")
    inlines = [TransmittalItemInline]
