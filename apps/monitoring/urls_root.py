"""Paths at the site root owned by monitoring (e.g. /metrics)."""

urlpatterns: list = []
