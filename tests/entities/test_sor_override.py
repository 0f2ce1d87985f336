"""Per-entity system-of-record rules override the group rule for that entity's records only."""

from __future__ import annotations

import pytest

from apps.entities.models import EntitySorRule
from apps.sync.services import sor_rule_save

pytestmark = pytest.mark.django_db


def test_entity_sor_override_applies_to_its_projects_and_the_group_rule_to_the_others(
    sync_systems, make_inbound, run_pipeline, ada, school_de, depot_uk
):
    # Group default: the scheduling platform owns the look-ahead; writes from others are dropped.
    sor_rule_save(
        actor=ada, domain="lookahead", authority_kind="scheduling", conflict_policy="ignore"
    )
    # The German company plans its look-ahead in Odoo.
    EntitySorRule.objects.create(
        entity=school_de.entity,
        domain="lookahead",
        authority_system=sync_systems.odoo,
        conflict_policy="ignore",
    )
    de_write = make_inbound(
        sync_systems.odoo,
        "lookahead",
        {"id": "M1", "project": school_de.code, "finish": "2026-05-01"},
    )
    uk_write = make_inbound(
        sync_systems.odoo,
        "lookahead",
        {"id": "M2", "project": depot_uk.code, "finish": "2026-05-01"},
    )
    p6_de_write = make_inbound(
        sync_systems.p6,
        "lookahead",
        {"id": "M3", "project": school_de.code, "finish": "2026-05-02"},
    )
    de_write, uk_write, p6_de_write = run_pipeline(de_write, uk_write, p6_de_write)
    assert de_write.status == "delivered"
    assert uk_write.status == "ignored"
    assert "not the system of record" in uk_write.last_error_message
    # Under the override the scheduling platform is no longer the authority for the entity.
    assert p6_de_write.status == "ignored"
