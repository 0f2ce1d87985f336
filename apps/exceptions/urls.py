from django.urls import path

from apps.exceptions import views

app_name = "exceptions"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("unmatched-invoices/", views.unmatched_invoices, name="unmatched_invoices"),
    path("cost-codes/", views.cost_codes, name="cost_codes"),
    path("approvals/", views.approvals, name="approvals"),
    path("export/", views.export, name="export"),
    path("bulk/", views.bulk, name="bulk"),
    path("filters/", views.saved_filter_save, name="filter_save"),
    path("filters/<int:filter_id>/delete/", views.saved_filter_delete, name="filter_delete"),
    path("<int:item_id>/", views.detail, name="detail"),
    path("<int:item_id>/transactions/", views.detail_transactions, name="transactions"),
    path("<int:item_id>/assign/", views.assign, name="assign"),
    path("<int:item_id>/take/", views.assign_me, name="take"),
    path("<int:item_id>/comment/", views.comment, name="comment"),
    path("<int:item_id>/resolve/", views.resolve, name="resolve"),
    path("<int:item_id>/ignore/", views.ignore, name="ignore"),
    path("<int:item_id>/status/", views.status, name="status"),
    path("<int:item_id>/fix-mapping/", views.fix_mapping, name="fix_mapping"),
    path("<int:item_id>/retry/", views.retry, name="retry"),
    path("<int:item_id>/edit-payload/", views.edit_payload, name="edit_payload"),
    path("<int:item_id>/override/", views.override, name="override"),
    path("<int:item_id>/manual-match/", views.manual_match, name="manual_match"),
    path(
        "<int:item_id>/manual-match/preview/",
        views.manual_match_preview,
        name="manual_match_preview",
    ),
    path(
        "<int:item_id>/override/<int:request_id>/",
        views.override_decide,
        name="override_decide",
    ),
]
