from django.urls import path

from apps.entities.api import views

app_name = "entities-api"
urlpatterns = [
    path("entities/", views.EntityListApi.as_view(), name="entities"),
    path("entities/group-report/", views.GroupReportApi.as_view(), name="group-report"),
    path("entities/<int:entity_id>/", views.EntityDetailApi.as_view(), name="entity"),
    path("fx-rates/", views.FxRateListApi.as_view(), name="fx-rates"),
    path("fx-rates/pull/", views.FxRatePullApi.as_view(), name="fx-rates-pull"),
]
