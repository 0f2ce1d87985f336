"""Fixtures for the end-to-end workflow tests: the Odoo simulator as the ERP (fixtures odoo_sim,
odoo_target), the platform simulator behind Procore's follow-up GETs (platform_world,
platform_server, platform_systems), the school project with its budget, and a signed poster for
platform deliveries through the real ingest endpoint."""

from __future__ import annotations

import time
from datetime import date

import pytest

from apps.procurement.choices import VendorStatus
from apps.procurement.services import vendor_upsert
from apps.simulators.platforms.signing import standard_webhooks_headers
from apps.sync.services import mapping_save
from tests.plugins.platforms import PLATFORM_SECRETS


def post_delivery(client, delivery):
    """POST one platform delivery to the hub, signed as the platform signs it."""
    headers = standard_webhooks_headers(
        secret=PLATFORM_SECRETS[delivery.system_code],
        msg_id=delivery.message_id,
        timestamp=int(time.time()),
        body=delivery.body,
    )
    return client.post(
        f"/api/v1/inbound/{delivery.system_code}/events",
        data=delivery.body,
        content_type="application/json",
        headers=headers,
    )


@pytest.fixture
def erp(odoo_sim, odoo_target, school_budget, ada):
    """The hub wired to the Odoo simulator: Odoo's concrete code mapped to the hub's, and the
    vendor bound to its Odoo partner. Returns the vendor."""
    mapping_save(
        actor=ada,
        kind="cost_code",
        system=odoo_target,
        external_value="03 30 00",
        canonical_value="03 31 13",
    )
    (partner,) = odoo_sim.records("res.partner", ["id"], [("ref", "=", "V-1002")])
    return vendor_upsert(
        code="V-1002",
        name="Elbe Readymix Beton GmbH",
        status=VendorStatus.APPROVED,
        insurance_expiry=date(2030, 1, 1),
        external_ref=str(partner["id"]),
    )


@pytest.fixture
def sim_school(platform_world):
    """The platform simulator's view of the school project (SCH-001)."""
    return next(p for p in platform_world.projects if p.code == "SCH-001")
