from django.urls import path

from apps.exceptions import views

app_name = "exceptions"
urlpatterns = [path("", views.queue, name="queue")]
