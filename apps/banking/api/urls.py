from django.urls import path

from apps.banking.api import views

app_name = "banking-api"
urlpatterns = [
    path("bank-statements/", views.BankStatementListApi.as_view(), name="statements"),
    path(
        "bank-statements/<int:statement_id>/",
        views.BankStatementDetailApi.as_view(),
        name="statement",
    ),
    path("bank-lines/", views.BankLineListApi.as_view(), name="lines"),
    path("bank-lines/<int:line_id>/match/", views.BankLineMatchApi.as_view(), name="line-match"),
    path(
        "bank-lines/<int:line_id>/unmatch/",
        views.BankLineUnmatchApi.as_view(),
        name="line-unmatch",
    ),
]
