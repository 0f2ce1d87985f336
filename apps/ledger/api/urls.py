from django.urls import re_path

from apps.ledger import ingest

app_name = "ledger-api"
urlpatterns = [
    # Plain Django views (the hot path); a trailing slash is optional for senders' convenience.
    re_path(
        r"^inbound/(?P<system_code>[-\w]+)/events/?$", ingest.inbound_events, name="inbound-events"
    ),
    re_path(
        r"^inbound/(?P<system_code>[-\w]+)/files/?$", ingest.inbound_files, name="inbound-files"
    ),
]
