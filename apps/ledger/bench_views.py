"""The benchmark baseline (benchmarks/bench_ingest.py): a bare Django view doing one durable
INSERT. Wired only when LEDGER_BENCHMARK_VIEWS is on (apps/ledger/api/urls.py)."""

from __future__ import annotations

from django.db import connection
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

SCRATCH_TABLE = "bench_bare_insert"


@csrf_exempt
def bare_insert(request):
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SCRATCH_TABLE} (body) VALUES (%s) RETURNING id",  # noqa: S608
            [request.body.decode("utf-8", "replace")],
        )
        row_id = cursor.fetchone()[0]
    return HttpResponse(b'{"id":%d}' % row_id, status=202, content_type="application/json")
