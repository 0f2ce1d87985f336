import threading

import pytest
from django.db import connection, connections

from apps.exceptions.models import ExceptionItem, ExceptionLink
from apps.exceptions.services import exception_open

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL row locks and real threads"
    ),
]


@pytest.mark.django_db(transaction=True)
def test_two_workers_opening_the_same_problem_make_one_item(sync_systems, make_inbound):
    transactions = [make_inbound(sync_systems.p6, "activity", {"n": i}) for i in range(8)]
    barrier = threading.Barrier(len(transactions))
    errors = []

    def worker(tx):
        try:
            barrier.wait(timeout=10)
            exception_open(
                category="cost_code_error",
                title="Unknown cost code",
                reason="no mapping",
                trace_key="cost_code:p6:RACE",
                transaction=tx,
            )
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(tx,)) for tx in transactions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    item = ExceptionItem.objects.get(trace_key="cost_code:p6:RACE")
    assert item.occurrences == len(transactions)
    assert ExceptionLink.objects.filter(item=item).count() == len(transactions)
