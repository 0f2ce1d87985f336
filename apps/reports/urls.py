from django.urls import path

from apps.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("budget-lines/<int:budget_line_id>/", views.budget_line, name="budget_line"),
]
