from django.urls import path

from apps.compliance.api import views

app_name = "compliance-api"
urlpatterns = [
    path("compliance/documents/", views.ComplianceDocumentListApi.as_view(), name="documents"),
    path("compliance/holds/", views.ComplianceHoldListApi.as_view(), name="holds"),
]
