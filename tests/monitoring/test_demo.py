import io

import pytest

from apps.monitoring import demo
from apps.monitoring.models import AlertRule


@pytest.mark.django_db
def test_demo_seed_creates_the_example_rules_once():
    demo.seed(io.StringIO())
    demo.seed(io.StringIO())
    assert AlertRule.objects.count() == len(demo.DEMO_RULES)
    assert set(AlertRule.objects.values_list("metric", flat=True)) >= {
        "failure_rate",
        "dead_letters",
        "queue_age",
        "quota_use",
        "unmatched_invoices",
    }
