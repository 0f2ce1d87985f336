from django.urls import path

from apps.workflows import views

app_name = "workflows"
urlpatterns = [
    path("", views.index, name="index"),
    path("initiate/", views.project_initiate, name="project_initiate"),
    path("<slug:workflow_key>/", views.detail, name="detail"),
]
