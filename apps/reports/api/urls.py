from django.urls import path

from apps.reports.api import views

app_name = "reports-api"
urlpatterns = [
    path(
        "reports/commitments-vs-budget/",
        views.BudgetReportApi.as_view(),
        name="commitments-vs-budget",
    ),
    path("reports/cash-flow/", views.CashFlowReportApi.as_view(), name="cash-flow"),
    path(
        "reports/schedule-health/", views.ScheduleHealthReportApi.as_view(), name="schedule-health"
    ),
    path("reports/documents/", views.DocumentStatusReportApi.as_view(), name="documents"),
    path(
        "reports/procurement-pipeline/",
        views.PipelineReportApi.as_view(),
        name="procurement-pipeline",
    ),
]
