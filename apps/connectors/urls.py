from django.urls import path

from apps.connectors import views

app_name = "connectors"
urlpatterns = [
    path("", views.systems, name="systems"),
    path("new/", views.system_new, name="new"),
    path("<slug:code>/", views.system_detail, name="detail"),
    path("<slug:code>/secrets/", views.secret_generate, name="secret-generate"),
    path("<slug:code>/secrets/<str:secret_id>/retire/", views.secret_retire, name="secret-retire"),
]
