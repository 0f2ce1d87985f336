from django.urls import path

from apps.monitoring import views

app_name = "monitoring"
urlpatterns = [
    path("", views.index, name="index"),
    path("alerts/", views.alert_rules, name="alerts"),
]
