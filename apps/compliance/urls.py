from django.urls import path

from apps.compliance import views

app_name = "compliance"
urlpatterns = [
    path("", views.index, name="index"),
    path("documents/record/", views.document_record, name="document_record"),
]
