from django.urls import path

from apps.exceptions.api import views

app_name = "exceptions-api"
urlpatterns = [
    path("exceptions/", views.ExceptionListApi.as_view(), name="list"),
    path("exceptions/<int:item_id>/", views.ExceptionDetailApi.as_view(), name="detail"),
    path("exceptions/<int:item_id>/actions/", views.ExceptionActionApi.as_view(), name="actions"),
]
