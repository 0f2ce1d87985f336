from django.urls import path

from apps.exceptions.api import manual_match, views

app_name = "exceptions-api"
urlpatterns = [
    path("exceptions/", views.ExceptionListApi.as_view(), name="list"),
    path("exceptions/<int:item_id>/", views.ExceptionDetailApi.as_view(), name="detail"),
    path("exceptions/<int:item_id>/actions/", views.ExceptionActionApi.as_view(), name="actions"),
    path(
        "exceptions/<int:item_id>/manual-match/",
        manual_match.ExceptionManualMatchApi.as_view(),
        name="manual_match",
    ),
    path(
        "exceptions/<int:item_id>/manual-match/preview/",
        manual_match.ExceptionManualMatchPreviewApi.as_view(),
        name="manual_match_preview",
    ),
]
