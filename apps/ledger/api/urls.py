from django.conf import settings
from django.urls import path, re_path

from apps.ledger import ingest
from apps.ledger.api import views

app_name = "ledger-api"
urlpatterns = [
    # Plain Django views (the hot path); a trailing slash is optional for senders' convenience.
    re_path(
        r"^inbound/(?P<system_code>[-\w]+)/events/?$", ingest.inbound_events, name="inbound-events"
    ),
    re_path(
        r"^inbound/(?P<system_code>[-\w]+)/files/?$", ingest.inbound_files, name="inbound-files"
    ),
    re_path(
        r"^inbound/(?P<system_code>[-\w]+)/batches/?$",
        ingest.inbound_batches,
        name="inbound-batches",
    ),
    path("transactions/", views.TransactionListApi.as_view(), name="transaction-list"),
    path(
        "transactions/<int:transaction_id>/",
        views.TransactionDetailApi.as_view(),
        name="transaction-detail",
    ),
    path(
        "transactions/<int:transaction_id>/lineage/",
        views.TransactionLineageApi.as_view(),
        name="transaction-lineage",
    ),
    path(
        "transactions/<int:transaction_id>/replay/",
        views.TransactionReplayApi.as_view(),
        name="transaction-replay",
    ),
    path("refused-requests/", views.RefusedRequestListApi.as_view(), name="refused-list"),
]

if getattr(settings, "LEDGER_BENCHMARK_VIEWS", False):
    # Only for `make bench` (benchmarks/bench_ingest.py): the baseline a bare durable INSERT sets.
    from apps.ledger import bench_views

    urlpatterns.append(path("bench/bare-insert", bench_views.bare_insert, name="bench-bare-insert"))
