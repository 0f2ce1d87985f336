from django.urls import path

from apps.documents import views

app_name = "documents"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:document_id>/", views.detail, name="detail"),
    path("transmittals/", views.transmittals, name="transmittals"),
    path("transmittals/new/", views.transmittal_new, name="transmittal_new"),
    path("transmittals/<int:transmittal_id>/", views.transmittal_detail, name="transmittal_detail"),
    path(
        "transmittals/<int:transmittal_id>/status/",
        views.transmittal_move,
        name="transmittal_move",
    ),
    path("settings/", views.settings_view, name="settings"),
    path("rfis/", views.rfis, name="rfis"),
    path("rfis/<int:document_id>/change-order/", views.rfi_change_order, name="rfi_change_order"),
]
