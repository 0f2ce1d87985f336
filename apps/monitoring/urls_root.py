"""Paths at the site root owned by monitoring (e.g. /metrics)."""

from django.urls import path

from apps.monitoring.metrics import metrics

urlpatterns: list = [path("metrics", metrics, name="metrics")]
