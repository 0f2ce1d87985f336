from django.urls import path

from apps.vendors.api import views

app_name = "vendors-api"
urlpatterns = [
    path("vendors/bank-changes/", views.BankChangeListApi.as_view(), name="bank-changes"),
    path(
        "vendors/bank-changes/<int:bank_change_id>/",
        views.BankChangeDetailApi.as_view(),
        name="bank-change",
    ),
    path(
        "vendors/bank-changes/<int:bank_change_id>/verify/",
        views.BankChangeVerifyApi.as_view(),
        name="bank-change-verify",
    ),
    path(
        "vendors/bank-changes/<int:bank_change_id>/reject/",
        views.BankChangeRejectApi.as_view(),
        name="bank-change-reject",
    ),
    path("vendors/duplicates/", views.DuplicateListApi.as_view(), name="duplicates"),
    path(
        "vendors/duplicates/link/",
        views.DuplicateResolveApi.as_view(action="link"),
        name="duplicates-link",
    ),
    path(
        "vendors/duplicates/merge/",
        views.DuplicateResolveApi.as_view(action="merge"),
        name="duplicates-merge",
    ),
]
