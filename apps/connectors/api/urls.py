from django.urls import path

from apps.connectors.api import views

app_name = "connectors-api"
urlpatterns = [
    path("systems/", views.SystemListApi.as_view(), name="system-list"),
    path("systems/<slug:code>/", views.SystemDetailApi.as_view(), name="system-detail"),
    path("systems/<slug:code>/secrets/", views.SystemSecretsApi.as_view(), name="system-secrets"),
    path(
        "systems/<slug:code>/secrets/<str:secret_id>/retire/",
        views.SystemSecretRetireApi.as_view(),
        name="system-secret-retire",
    ),
]
