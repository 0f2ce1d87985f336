"""Scale-out (issue #12): two django-q2 clusters (two `manage.py qcluster` processes, as on two
hosts) share the Redis broker (DB 7) and PostgreSQL; N signed events go through gunicorn and
each is delivered exactly once to the Odoo simulator. Both clusters really worked (their logs
name the tasks they processed) and no task was processed by both."""

from __future__ import annotations

import re

import pytest

from tests.chaos.checks import ODOO_MODEL, assert_exactly_once, wait_settled
from tests.chaos.harness import Sender, new_codes, run_id, wait_for

EVENTS = 60
PROCESSED = re.compile(r"Processed '([\w.]+)' \(([\w-]+)\)")


def _processed(hub, index: int) -> list[tuple[str, str]]:
    return PROCESSED.findall((hub.workdir / f"worker{index}.log").read_text(errors="replace"))


@pytest.mark.postgres
@pytest.mark.slow
def test_two_worker_clusters_deliver_each_event_exactly_once(hub):
    hub.worker_env = {"LOG_LEVEL": "INFO"}  # django-q2 logs every processed task at INFO
    for index in range(len(hub.workers)):
        hub.restart_worker(index)
    before = hub.odoo.stats()

    codes = new_codes(run_id(), EVENTS)
    sender = Sender(hub, codes).start()
    sender.join()
    sender.resend_until_acked(timeout=60)
    wait_settled(hub, codes, timeout=120)
    result = assert_exactly_once(hub, codes, sender.acked)
    assert result["delivered"] == EVENTS

    after = hub.odoo.stats()
    created = after["created"].get(ODOO_MODEL, 0) - before["created"].get(ODOO_MODEL, 0)
    assert created == EVENTS, f"{created} Odoo records created for {EVENTS} events"

    # Both clusters took tasks from the shared queue, and never the same task.
    tasks = [wait_for(lambda i=i: _processed(hub, i), timeout=10, what="a log") for i in (0, 1)]
    names = [{name for _, name in t} for t in tasks]
    assert names[0] and names[1], "one cluster did nothing"
    assert not names[0] & names[1], f"processed by both clusters: {names[0] & names[1]}"
    funcs = {func for t in tasks for func, _ in t}
    assert "apps.ledger.tasks.process_transactions" in funcs  # the on-commit enqueue of ingest
