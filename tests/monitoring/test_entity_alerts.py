"""Per-entity alert rules (issue #13): a rule for entity A measures A's projects (exception
items, open transactions) or A's Odoo System (failure rate, dead letters, quota), never B's."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.entities.models import Entity
from apps.exceptions.services import exception_open
from apps.monitoring.models import Alert, AlertRule
from apps.monitoring.selectors import alert_metric_value
from apps.monitoring.services import alert_rule_evaluate, alerts_evaluate, rollups_update
from apps.projects.models import Project

pytestmark = pytest.mark.django_db


@pytest.fixture
def odoo_a(system_factory):
    return system_factory("odoo-a", kind="odoo")


@pytest.fixture
def odoo_b(system_factory):
    return system_factory("odoo-b", kind="odoo")


@pytest.fixture
def entity_a(odoo_a) -> Entity:
    return Entity.objects.create(code="nb-de", name="GmbH", odoo_system=odoo_a, odoo_company_id=1)


@pytest.fixture
def entity_b(odoo_b) -> Entity:
    return Entity.objects.create(code="nb-uk", name="Ltd", odoo_system=odoo_b, odoo_company_id=2)


@pytest.fixture
def project_a(entity_a) -> Project:
    return Project.objects.create(code="A-1", name="A's project", entity=entity_a)


@pytest.fixture
def project_b(entity_b) -> Project:
    return Project.objects.create(code="B-1", name="B's project", entity=entity_b)


def _item(project, key, system=None):
    return exception_open(
        category="cost_code_error",
        title="Unknown cost code",
        reason="no mapping",
        trace_key=key,
        project=project,
        system=system,
    )


def _rule(entity, metric, threshold="0", **extra):
    return AlertRule.objects.create(
        name=f"{entity.code} {metric}",
        metric=metric,
        entity=entity,
        condition="gt",
        threshold=Decimal(threshold),
        window_minutes=10,
        **extra,
    )


def test_entity_rule_fires_on_its_projects_exceptions_and_not_on_another_entitys(
    entity_a, entity_b, project_a, project_b
):
    rule_a = _rule(entity_a, "open_exceptions")
    _item(project_b, "b-1")
    _item(None, "group-1")  # a group item of no entity's System
    assert alert_metric_value(rule=rule_a) == 0
    assert alert_rule_evaluate(rule=rule_a) is None

    _item(project_a, "a-1")
    assert alert_metric_value(rule=rule_a) == 1
    alert = alert_rule_evaluate(rule=rule_a)
    assert alert is not None and alert.status == "open" and alert.value == 1


def test_entity_rule_counts_project_less_items_of_its_odoo_system(
    entity_a, entity_b, odoo_a, odoo_b
):
    rule_a = _rule(entity_a, "open_exceptions")
    _item(None, "odoo-b-1", system=odoo_b)
    assert alert_metric_value(rule=rule_a) == 0
    _item(None, "odoo-a-1", system=odoo_a)
    assert alert_metric_value(rule=rule_a) == 1


def test_entity_failure_rate_rule_reads_its_odoo_system_only(
    entity_a, entity_b, odoo_a, odoo_b, ledger_traffic
):
    rule_a = _rule(entity_a, "failure_rate", threshold="5")
    rule_b = _rule(entity_b, "failure_rate", threshold="5")
    ledger_traffic(odoo_a, "invoice", ["delivered", "failed", "dead"])
    ledger_traffic(odoo_b, "invoice", ["delivered", "delivered"])
    now = timezone.now() + timedelta(seconds=30)
    rollups_update(now=now)

    assert alerts_evaluate(now=now) == {"open": 1}
    assert Alert.objects.get(status="open").rule == rule_a
    assert alert_metric_value(rule=rule_a, now=now) == Decimal("66.67")
    assert alert_metric_value(rule=rule_b, now=now) == 0


def test_entity_queue_depth_counts_its_projects_transactions(
    entity_a, project_a, project_b, odoo_a, system_factory, ledger_traffic
):
    rule_a = _rule(entity_a, "queue_depth")
    other = system_factory("sched")
    (b_tx,) = ledger_traffic(other, "activity", ["open"])
    b_tx.project = project_b
    b_tx.save(update_fields=["project"])
    assert alert_metric_value(rule=rule_a) == 0
    (a_tx,) = ledger_traffic(other, "activity", ["open"])
    a_tx.project = project_a
    a_tx.save(update_fields=["project"])
    assert alert_metric_value(rule=rule_a) == 1


def test_alert_rule_page_sets_and_shows_the_entity(client_for, ada, entity_a):
    client = client_for(ada)
    response = client.post(
        reverse("monitoring:alerts"),
        {
            "name": "GmbH exceptions",
            "metric": "open_exceptions",
            "entity": entity_a.pk,
            "condition": "gt",
            "threshold": "3",
            "window_minutes": 10,
            "severity": "warning",
            "repeat_minutes": 60,
            "enabled": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert AlertRule.objects.get().entity == entity_a
    assert "entity nb-de" in client.get(reverse("monitoring:alerts")).content.decode()


def test_alert_rule_form_refuses_a_per_system_metric_for_an_entity_without_odoo(
    client_for, ada, project_a
):
    bare = Entity.objects.create(code="nb-nl", name="BV")
    response = client_for(ada).post(
        reverse("monitoring:alerts"),
        {
            "name": "BV failures",
            "metric": "failure_rate",
            "entity": bare.pk,
            "condition": "gt",
            "threshold": "5",
            "window_minutes": 10,
            "severity": "warning",
            "repeat_minutes": 60,
            "enabled": "on",
        },
    )
    assert response.status_code == 400
    assert "the entity has no Odoo System" in response.content.decode()
    assert not AlertRule.objects.exists()
