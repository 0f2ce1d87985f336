from django.urls import path

from apps.billing.api import views

app_name = "billing-api"
urlpatterns = [
    path("billing/contracts/", views.ContractListApi.as_view(), name="contracts"),
    path(
        "billing/contracts/<int:contract_id>/",
        views.ContractDetailApi.as_view(),
        name="contract",
    ),
    path(
        "billing/pay-applications/",
        views.PayApplicationListApi.as_view(),
        name="pay-applications",
    ),
    path(
        "billing/pay-applications/<int:pay_application_id>/",
        views.PayApplicationDetailApi.as_view(),
        name="pay-application",
    ),
    path(
        "billing/pay-applications/<int:pay_application_id>/submit/",
        views.PayApplicationSubmitApi.as_view(),
        name="pay-application-submit",
    ),
    path(
        "billing/pay-applications/<int:pay_application_id>/cancel/",
        views.PayApplicationCancelApi.as_view(),
        name="pay-application-cancel",
    ),
]
