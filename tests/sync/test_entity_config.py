"""Per-entity sync policies and mappings (issue #13): an entity's row overrides the group row for
the entity's projects; a project's own row still wins; other entities keep the group row."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from apps.core.errors import ApplicationError
from apps.entities.models import Entity
from apps.ledger.models import Transaction
from apps.projects.models import Project
from apps.sync.handlers import Mapper
from apps.sync.models import Mapping, SyncPolicy
from apps.sync.selectors import mapping_lookup, mapping_reverse, route_policies
from apps.sync.services import batch_policies, mapping_save, sync_policy_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def entity_a(db) -> Entity:
    return Entity.objects.create(code="nb-de", name="Northbridge Construction GmbH")


@pytest.fixture
def entity_b(db) -> Entity:
    return Entity.objects.create(code="nb-uk", name="Northbridge Construction Ltd")


@pytest.fixture
def school_a(school, entity_a) -> Project:
    school.entity = entity_a
    school.save(update_fields=["entity"])
    return school


@pytest.fixture
def bridge_b(bridge, entity_b) -> Project:
    bridge.entity = entity_b
    bridge.save(update_fields=["entity"])
    return bridge


@pytest.fixture
def depot_a(entity_a) -> Project:
    return Project.objects.create(code="DEP-A1", name="Depot", entity=entity_a)


def _routes(sync_systems, project):
    return route_policies(
        domain="cost_report", source_system=sync_systems.estimating, project_id=project.pk
    )


def test_entity_policy_overrides_the_group_for_its_projects_and_project_policy_still_wins(
    sync_systems, ada, entity_a, school_a, depot_a, bridge_b
):
    group = sync_policy_save(
        actor=ada,
        domain="cost_report",
        source_system=sync_systems.estimating,
        target_system=sync_systems.odoo,
    )
    entity_row = sync_policy_save(
        actor=ada,
        domain="cost_report",
        source_system=sync_systems.estimating,
        target_system=sync_systems.odoo,
        entity=entity_a,
        enabled=False,
    )
    project_row = sync_policy_save(
        actor=ada,
        domain="cost_report",
        source_system=sync_systems.estimating,
        target_system=sync_systems.odoo,
        project=depot_a,
        batch_size=7,
    )

    assert _routes(sync_systems, school_a) == []  # the entity switched the route off
    assert _routes(sync_systems, bridge_b) == [group]  # entity B inherits the group row
    assert _routes(sync_systems, depot_a) == [project_row]  # the project's own row wins
    assert route_policies(
        domain="cost_report", source_system=sync_systems.estimating, project_id=None
    ) == [group]

    entity_row = sync_policy_save(
        actor=ada,
        policy=entity_row,
        domain="cost_report",
        source_system=sync_systems.estimating,
        target_system=sync_systems.odoo,
        entity=entity_a,
        batch_size=50,
    )
    (chosen,) = _routes(sync_systems, school_a)
    assert chosen.pk == entity_row.pk and chosen.batch_size == 50
    assert str(entity_row) == "cost_report: estimating → odoo [entity nb-de]"


def test_pipeline_routes_each_entitys_records_by_its_own_policy(
    sync_systems, ada, entity_a, school_a, bridge_b, make_inbound, run_pipeline
):
    sync_policy_save(
        actor=ada,
        domain="cost_report",
        source_system=sync_systems.estimating,
        target_system=sync_systems.odoo,
    )
    sync_policy_save(
        actor=ada,
        domain="cost_report",
        source_system=sync_systems.estimating,
        target_system=sync_systems.odoo,
        entity=entity_a,
        enabled=False,
    )
    a_tx = make_inbound(sync_systems.estimating, "cost_report", {"id": "R-A", "project": "SCH-001"})
    b_tx = make_inbound(sync_systems.estimating, "cost_report", {"id": "R-B", "project": "BRG-003"})
    a_tx, b_tx = run_pipeline(a_tx, b_tx)
    assert (a_tx.status, a_tx.project_id) == ("delivered", school_a.pk)
    assert not Transaction.objects.filter(parent=a_tx).exists()
    (child,) = Transaction.objects.filter(parent=b_tx)
    assert (child.system_id, child.project_id) == (sync_systems.odoo.pk, bridge_b.pk)


def test_a_row_is_scoped_to_a_project_or_an_entity_never_both(
    sync_systems, ada, entity_a, school_a
):
    with pytest.raises(ApplicationError) as refused:
        sync_policy_save(
            actor=ada,
            domain="cost_report",
            source_system=sync_systems.estimating,
            target_system=sync_systems.odoo,
            project=school_a,
            entity=entity_a,
        )
    assert refused.value.code == "project_and_entity"
    with pytest.raises(ApplicationError):
        mapping_save(
            actor=ada,
            kind="cost_code",
            system=sync_systems.odoo,
            external_value="X",
            canonical_value="Y",
            project=school_a,
            entity=entity_a,
        )
    # The database refuses it too (check constraints), whatever writes the row.
    with pytest.raises(IntegrityError), transaction.atomic():
        SyncPolicy.objects.create(
            domain="cost_report",
            source_system=sync_systems.estimating,
            target_system=sync_systems.odoo,
            project=school_a,
            entity=entity_a,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Mapping.objects.create(
            kind="cost_code",
            system=sync_systems.odoo,
            external_value="X",
            canonical_value="Y",
            project=school_a,
            entity=entity_a,
        )
    # One entity row per route, next to the group row.
    sync_policy_save(
        actor=ada,
        domain="cost_report",
        source_system=sync_systems.estimating,
        target_system=sync_systems.odoo,
        entity=entity_a,
    )
    with pytest.raises(ApplicationError) as duplicate:
        sync_policy_save(
            actor=ada,
            domain="cost_report",
            source_system=sync_systems.estimating,
            target_system=sync_systems.odoo,
            entity=entity_a,
        )
    assert duplicate.value.code == "duplicate"


def test_an_entity_batch_row_is_a_schedule_of_its_own(sync_systems, ada, entity_a):
    from apps.sync.schedules import policy_schedules

    group = sync_policy_save(
        actor=ada,
        domain="vendor",
        source_system=sync_systems.odoo,
        target_system=sync_systems.estimating,
        mode="interval",
        interval_minutes=60,
    )
    entity_row = sync_policy_save(
        actor=ada,
        domain="vendor",
        source_system=sync_systems.odoo,
        target_system=sync_systems.estimating,
        mode="interval",
        interval_minutes=5,
        entity=entity_a,
    )
    sync_policy_save(
        actor=ada,
        domain="vendor",
        source_system=sync_systems.odoo,
        target_system=sync_systems.p6,
        mode="interval",
        interval_minutes=5,
        entity=entity_a,
        enabled=False,
    )
    assert {p.pk for p in batch_policies()} == {group.pk, entity_row.pk}
    by_name = {spec.name: spec for spec in policy_schedules()}
    assert by_name[group.schedule_name].minutes == 60
    assert by_name[entity_row.schedule_name].minutes == 5


# --- mappings ------------------------------------------------------------------------------------


@pytest.fixture
def cost_mappings(sync_systems, ada, entity_a):
    """Estimating's "CONC" is 03 30 00 for the group and 03 31 13 for entity A; Odoo books
    03 31 13 as G-3113 for the group and DE-3113 for entity A."""
    for system, external, canonical, entity in (
        (sync_systems.estimating, "CONC", "03 30 00", None),
        (sync_systems.estimating, "CONC", "03 31 13", entity_a),
        (sync_systems.odoo, "G-3113", "03 31 13", None),
        (sync_systems.odoo, "DE-3113", "03 31 13", entity_a),
    ):
        mapping_save(
            actor=ada,
            kind="cost_code",
            system=system,
            external_value=external,
            canonical_value=canonical,
            entity=entity,
        )


def test_mapping_selectors_resolve_project_then_entity_then_group(
    sync_systems, ada, cost_mappings, school_a, depot_a, bridge_b
):
    estimating, odoo = sync_systems.estimating, sync_systems.odoo
    mapping_save(
        actor=ada,
        kind="cost_code",
        system=estimating,
        external_value="CONC",
        canonical_value="03 35 00",
        project=depot_a,
    )

    def lookup(project):
        return mapping_lookup(
            kind="cost_code", system=estimating, external_value="CONC", project_id=project
        )

    assert lookup(school_a.pk) == "03 31 13"  # entity A's own
    assert lookup(depot_a.pk) == "03 35 00"  # the project's own beats its entity's
    assert lookup(bridge_b.pk) == "03 30 00"  # entity B: group default
    assert lookup(None) == "03 30 00"

    def reverse(project_id, **kwargs):
        return mapping_reverse(
            kind="cost_code",
            system=odoo,
            canonical_value="03 31 13",
            project_id=project_id,
            **kwargs,
        )

    assert reverse(school_a.pk) == "DE-3113"
    assert reverse(bridge_b.pk) == "G-3113"
    assert reverse(None) == "G-3113"
    # A caller that knows the entity passes it (no project query): None means a group record.
    assert reverse(None, entity_id=school_a.entity_id) == "DE-3113"
    assert reverse(school_a.pk, entity_id=None) == "G-3113"


def test_pipeline_uses_entity_as_mappings_for_as_records_and_group_mappings_for_bs(
    sync_systems, ada, cost_mappings, school_a, bridge_b, make_inbound, run_pipeline
):
    sync_policy_save(
        actor=ada,
        domain="cost_report",
        source_system=sync_systems.estimating,
        target_system=sync_systems.odoo,
    )
    a_tx = make_inbound(
        sync_systems.estimating,
        "cost_report",
        {"id": "R-A", "project": "SCH-001", "cost_code": "CONC"},
    )
    b_tx = make_inbound(
        sync_systems.estimating,
        "cost_report",
        {"id": "R-B", "project": "BRG-003", "cost_code": "CONC"},
    )
    a_tx, b_tx = run_pipeline(a_tx, b_tx)
    assert a_tx.canonical_payload["cost_code"] == "03 31 13"
    assert b_tx.canonical_payload["cost_code"] == "03 30 00"
    (a_out,) = Transaction.objects.filter(parent=a_tx)
    (b_out,) = Transaction.objects.filter(parent=b_tx)
    assert a_out.payload["cost_code"] == "DE-3113"  # entity A's Odoo code
    assert b_out.payload["cost_code"] == "03 30 00"  # no Odoo mapping for it: unchanged


def test_mapper_reads_a_projects_entity_once_per_batch(
    sync_systems, cost_mappings, school_a, django_assert_num_queries
):
    mapper = Mapper(sync_systems.estimating, memo={})
    with django_assert_num_queries(2):  # the mapping table, then the project's entity
        for _ in range(5):
            assert mapper.cost_code("CONC", project_id=school_a.pk) == "03 31 13"
    with django_assert_num_queries(0):
        assert mapper.cost_code("CONC", project_id=school_a.pk) == "03 31 13"


def test_mapper_skips_the_entity_query_when_no_entity_has_its_own_mappings(
    sync_systems, ada, school_a, django_assert_num_queries
):
    mapping_save(
        actor=ada,
        kind="cost_code",
        system=sync_systems.estimating,
        external_value="CONC",
        canonical_value="03 30 00",
    )
    mapper = Mapper(sync_systems.estimating, memo={})
    with django_assert_num_queries(1):
        assert mapper.cost_code("CONC", project_id=school_a.pk) == "03 30 00"


# --- pages and API -------------------------------------------------------------------------------


@pytest.fixture
def ada_client(client_for, ada):
    return client_for(ada)


@pytest.fixture
def ada_api(api_client_for, ada):
    return api_client_for(ada)


def test_policy_page_sets_and_shows_the_entity(ada_client, sync_systems, entity_a):
    response = ada_client.post(
        reverse("sync:policy_new"),
        {
            "domain": "cost_report",
            "source_system": sync_systems.estimating.pk,
            "target_system": sync_systems.odoo.pk,
            "direction": "one_way",
            "mode": "event",
            "batch_size": 100,
            "enabled": "on",
            "entity": entity_a.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = SyncPolicy.objects.get()
    assert policy.entity == entity_a and policy.project is None
    page = ada_client.get(reverse("sync:policies")).content.decode()
    assert "entity nb-de" in page
    form = ada_client.get(reverse("sync:policy_edit", args=[policy.pk])).content.decode()
    assert 'name="entity"' in form


def test_policy_form_refuses_project_and_entity(ada_client, sync_systems, entity_a, school):
    response = ada_client.post(
        reverse("sync:policy_new"),
        {
            "domain": "cost_report",
            "source_system": sync_systems.estimating.pk,
            "target_system": sync_systems.odoo.pk,
            "direction": "one_way",
            "mode": "event",
            "batch_size": 100,
            "enabled": "on",
            "entity": entity_a.pk,
            "project": school.pk,
        },
    )
    assert response.status_code == 200
    assert "Choose a project or an entity, not both." in response.content.decode()
    assert not SyncPolicy.objects.exists()


def test_mapping_page_and_api_set_and_show_the_entity(ada_client, ada_api, sync_systems, entity_a):
    response = ada_client.post(
        reverse("sync:mapping_new"),
        {
            "kind": "cost_code",
            "system": sync_systems.odoo.pk,
            "entity": entity_a.pk,
            "external_value": "DE-3113",
            "canonical_value": "03 31 13",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    mapping = Mapping.objects.get()
    assert mapping.entity == entity_a
    assert "entity nb-de" in ada_client.get(reverse("sync:mappings")).content.decode()

    created = ada_api.post(
        "/api/v1/sync/mappings/",
        {
            "kind": "vendor",
            "system": "odoo",
            "entity": "nb-de",
            "external_value": "P-77",
            "canonical_value": "V-RMX",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["entity"] == "nb-de" and created.json()["project"] is None
    unknown = ada_api.post(
        "/api/v1/sync/mappings/",
        {
            "kind": "vendor",
            "system": "odoo",
            "entity": "nb-xx",
            "external_value": "P-78",
            "canonical_value": "V-RMX",
        },
        format="json",
    )
    assert unknown.status_code == 400
