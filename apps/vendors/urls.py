from django.urls import path

from apps.vendors import views

app_name = "vendors"
urlpatterns = [
    path("bank-changes/", views.bank_changes, name="bank_changes"),
    path("bank-changes/decide/", views.bank_change_decide, name="bank_change_decide"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/detect/", views.duplicates_detect, name="duplicates_detect"),
    path("duplicates/resolve/", views.duplicate_resolve, name="duplicate_resolve"),
]
