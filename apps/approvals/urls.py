from django.urls import path

from apps.approvals import views

app_name = "approvals"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:request_id>/<str:decision>/", views.decide, name="decide"),
    path("delegations/new/", views.delegation_new, name="delegation_new"),
    path("delegations/<int:delegation_id>/end/", views.delegation_end, name="delegation_end"),
]
