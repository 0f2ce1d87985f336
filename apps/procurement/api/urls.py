from django.urls import path

from apps.procurement.api import views

app_name = "procurement-api"
urlpatterns = [
    path("budget-check/", views.BudgetCheckApi.as_view(), name="budget-check"),
    path("budget-lines/", views.BudgetLineListApi.as_view(), name="budget-lines"),
    path("requisitions/", views.RequisitionListApi.as_view(), name="requisitions"),
    path(
        "requisitions/<int:requisition_id>/",
        views.RequisitionDetailApi.as_view(),
        name="requisition",
    ),
    path(
        "requisitions/<int:requisition_id>/submit/",
        views.RequisitionSubmitApi.as_view(),
        name="requisition-submit",
    ),
    path("commitments/", views.CommitmentListApi.as_view(), name="commitments"),
    path(
        "commitments/<int:commitment_id>/",
        views.CommitmentDetailApi.as_view(),
        name="commitment",
    ),
    path(
        "commitments/<int:commitment_id>/receipts/",
        views.ReceiptCreateApi.as_view(),
        name="commitment-receipts",
    ),
    path("invoices/", views.InvoiceListApi.as_view(), name="invoices"),
    path("invoices/<int:invoice_id>/", views.InvoiceDetailApi.as_view(), name="invoice"),
]
