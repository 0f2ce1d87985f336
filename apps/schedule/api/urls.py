from django.urls import path

from apps.schedule.api import views

app_name = "schedule-api"
urlpatterns = [
    path("schedule/versions/", views.VersionListApi.as_view(), name="version-list"),
    path(
        "schedule/versions/<int:version_id>/",
        views.VersionDetailApi.as_view(),
        name="version-detail",
    ),
    path("schedule/milestones/", views.MilestoneListApi.as_view(), name="milestone-list"),
]
