from django.urls import path

from apps.documents.api import views

app_name = "documents-api"
urlpatterns = [
    path("documents/", views.DocumentListApi.as_view(), name="document-list"),
    path("documents/<int:document_id>/", views.DocumentDetailApi.as_view(), name="document-detail"),
    path("document-events/", views.DocumentEventListApi.as_view(), name="document-event-list"),
    path("document-status-sets/", views.StatusSetListApi.as_view(), name="status-set-list"),
]
