from django.urls import path

from apps.schedule import views

app_name = "schedule"
urlpatterns = [
    path("", views.index, name="index"),
    path("projects/<str:project_code>/settings/", views.settings_update, name="settings"),
    path("imports/", views.imports, name="imports"),
    path("imports/<int:job_id>/", views.import_detail, name="import"),
    path("versions/<int:version_id>/", views.version_detail, name="version"),
]
