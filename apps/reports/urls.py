from django.urls import path

from apps.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("budget-lines/<int:budget_line_id>/", views.budget_line, name="budget_line"),
    path("cash-flow/", views.cash_flow, name="cash_flow"),
    path("schedule-health/", views.schedule_health, name="schedule_health"),
    path("documents/", views.documents, name="documents"),
    path("procurement-pipeline/", views.procurement_pipeline, name="pipeline"),
]
