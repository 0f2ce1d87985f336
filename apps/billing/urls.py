from django.urls import path

from apps.billing import views

app_name = "billing"
urlpatterns = [
    path("", views.index, name="index"),
    path("contracts/<int:contract_id>/", views.contract, name="contract"),
    path(
        "pay-applications/<int:pay_application_id>/",
        views.pay_application,
        name="pay_application",
    ),
    path(
        "pay-applications/<int:pay_application_id>/<str:action>/",
        views.pay_application_action,
        name="pay_application_action",
    ),
]
