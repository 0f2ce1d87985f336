from django.urls import path

from apps.banking import views

app_name = "banking"
urlpatterns = [
    path("", views.statement_list, name="statements"),
    path("upload/", views.upload, name="upload"),
    path("lines/", views.line_list, name="lines"),
    path("statements/<int:statement_id>/", views.statement_detail, name="statement"),
    path(
        "statements/<int:statement_id>/reconcile/",
        views.statement_reconcile,
        name="statement-reconcile",
    ),
]
