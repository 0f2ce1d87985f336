from django.urls import path

from apps.approvals.api import views

app_name = "approvals-api"
urlpatterns = [
    path("approvals/", views.WaitingForMeApi.as_view(), name="waiting"),
    path("approvals/<int:request_id>/approve", views.ApproveApi.as_view(), name="approve"),
    path("approvals/<int:request_id>/reject", views.RejectApi.as_view(), name="reject"),
]
