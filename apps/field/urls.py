from django.urls import path

from apps.field import views

app_name = "field"
urlpatterns = [
    path("", views.index, name="index"),
    path("<str:project_code>/", views.project_field, name="project"),
]
