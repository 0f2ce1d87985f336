from django.urls import path

from apps.entities import views

app_name = "entities"
urlpatterns = [
    path("", views.index, name="index"),
    path("fx/pull/", views.fx_pull, name="fx_pull"),
    path(
        "intercompany/reconcile/",
        views.intercompany_reconcile_now,
        name="intercompany_reconcile",
    ),
]
