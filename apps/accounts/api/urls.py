from django.urls import path

from apps.accounts.api import views

app_name = "accounts-api"
urlpatterns = [path("me/", views.MeApi.as_view(), name="me")]
