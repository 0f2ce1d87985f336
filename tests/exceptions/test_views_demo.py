import io

import pytest
from django.urls import reverse

from apps.exceptions.demo import seed
from apps.exceptions.models import ExceptionItem

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent_and_fills_the_dedicated_queues(school, ada, client_for):
    seed(io.StringIO())
    seed(io.StringIO())
    assert ExceptionItem.objects.filter(trace_key__startswith="demo:").count() == 5
    assert ExceptionItem.objects.get(trace_key="demo:cost_code:p6:03-300").occurrences == 1
    client = client_for(ada)
    assert "03 30 00" in client.get(reverse("exceptions:cost_codes")).content.decode()
    assert "INV-2291" in client.get(reverse("exceptions:unmatched_invoices")).content.decode()
    overdue = client.get(reverse("exceptions:queue"), {"view": "overdue"}).context["page"].rows
    assert [i.trace_key for i in overdue] == ["demo:approval:CO-17"]
