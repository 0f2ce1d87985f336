from django.urls import path

from apps.ledger import views

app_name = "ledger"
urlpatterns = [
    path("", views.ledger_list, name="list"),
    path("export.csv", views.ledger_export, name="export"),
    path("refused/", views.refused_list, name="refused"),
    path("<int:transaction_id>/", views.ledger_detail, name="detail"),
    path("<int:transaction_id>/replay/", views.ledger_replay, name="replay"),
    path("<int:transaction_id>/file/", views.ledger_file, name="file"),
]
