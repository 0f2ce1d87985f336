from django.urls import path

from apps.procurement import views

app_name = "procurement"
urlpatterns = [
    path("", views.index, name="index"),
    path("requisitions/", views.requisition_list_view, name="requisitions"),
    path("requisitions/new/", views.requisition_new, name="requisition_new"),
    path("requisitions/check/", views.requisition_check, name="requisition_check"),
    path(
        "requisitions/<int:requisition_id>/",
        views.requisition_detail,
        name="requisition_detail",
    ),
    path(
        "requisitions/<int:requisition_id>/<str:action>/",
        views.requisition_action,
        name="requisition_action",
    ),
    path("commitments/", views.commitment_list_view, name="commitments"),
    path("commitments/<int:commitment_id>/", views.commitment_detail, name="commitment_detail"),
    path(
        "commitments/<int:commitment_id>/receipts/new/",
        views.receipt_new,
        name="receipt_new",
    ),
    path(
        "commitments/<int:commitment_id>/claims/<str:action>/",
        views.claim_decide,
        name="claim_decide",
    ),
    path("invoices/", views.invoice_list_view, name="invoices"),
    path("invoices/<int:invoice_id>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:invoice_id>/<str:action>/", views.invoice_action, name="invoice_action"),
    path("change-orders/", views.change_order_list_view, name="change_orders"),
    path(
        "change-orders/new/<str:project_code>/",
        views.change_order_new,
        name="change_order_new",
    ),
    path("vendors/", views.vendor_list_view, name="vendors"),
    path("vendors/<str:action>/", views.vendor_action, name="vendor_action"),
    path("budget/<str:project_code>/", views.budget, name="budget"),
    path("budget-import/", views.budget_import, name="budget_import"),
    path(
        "budget-import/<int:import_id>/",
        views.budget_import_detail,
        name="budget_import_detail",
    ),
]
