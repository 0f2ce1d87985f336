from django.urls import path

from apps.sync import views

app_name = "jobs"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("run/", views.job_start, name="start"),
    path("replay/", views.replay_new, name="replay"),
    path("<int:job_id>/", views.job_detail, name="detail"),
]
