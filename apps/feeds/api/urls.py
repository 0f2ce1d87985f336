from django.urls import path

from apps.feeds.api.views import FEED_VIEWS

app_name = "feeds-api"
urlpatterns = [
    path(f"feeds/{entity}/", view.as_view(), name=f"feed-{entity.replace('_', '-')}")
    for entity, view in FEED_VIEWS.items()
]
