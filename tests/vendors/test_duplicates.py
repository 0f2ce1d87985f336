"""Duplicate vendors across systems and entities, and the link/merge action."""

from __future__ import annotations

import pytest

from apps.procurement.models import Vendor
from apps.procurement.services.vendors import vendor_upsert
from apps.sync.models import Binding, Mapping
from apps.sync.services import binding_set
from apps.vendors.models import DuplicateVendorCandidate, VendorLink
from apps.vendors.services import vendor_duplicate_resolve, vendor_duplicates_detect

pytestmark = pytest.mark.django_db


@pytest.fixture
def odoo_de(make_system):
    return make_system("odoo-de", "odoo", "odoo")


@pytest.fixture
def odoo_uk(make_system):
    return make_system("odoo-uk", "odoo", "odoo")


@pytest.fixture
def twins(odoo_de, odoo_uk):
    """The same subcontractor entered by two entities, each on its own Odoo database."""
    de = vendor_upsert(code="DE-0042", name="Acme Formwork GmbH", vat="GB123456789")
    uk = vendor_upsert(
        code="UK-0007",
        name="ACME Formwork Ltd.",
        vat="GB 123 456 789",
        iban="GB29NWBK60161331926819",
    )
    other = vendor_upsert(code="UK-0099", name="Brightside Scaffolding", vat="GB999")
    binding_set(system=odoo_de, domain="vendor", canonical_id=de.code, external_id="42")
    binding_set(system=odoo_uk, domain="vendor", canonical_id=uk.code, external_id="7")
    return de, uk, other


def test_same_tax_id_across_entities_is_detected_once(twins):
    de, uk, other = twins
    found = vendor_duplicates_detect()
    assert len(found) == 1
    pair = found[0]
    assert {pair.vendor_id, pair.other_id} == {de.id, uk.id}
    assert "same_tax_id" in pair.reasons and "similar_name" in pair.reasons
    vendor_duplicates_detect()
    assert DuplicateVendorCandidate.objects.count() == 1


def test_same_bank_account_under_another_name_is_a_candidate(twins):
    vendor_upsert(code="X-1", name="Totally Different Trading", iban="GB29 NWBK 6016 1331 9268 19")
    found = vendor_duplicates_detect()
    assert any("same_bank_account" in pair.reasons for pair in found)


def test_merge_moves_bindings_to_the_survivor_and_blocks_the_merged_vendor(twins, odoo_uk, fiona):
    de, uk, _ = twins
    (pair,) = vendor_duplicates_detect()
    vendor_duplicate_resolve(candidate=pair, actor=fiona, action="merge", survivor=de)
    binding = Binding.objects.get(system=odoo_uk, domain="vendor", external_id="7")
    assert binding.canonical_id == de.code
    assert (
        Mapping.objects.get(system=odoo_uk, kind="vendor", external_value=uk.code).canonical_value
        == de.code
    )
    assert Vendor.objects.get(pk=uk.pk).status == "blocked"
    assert VendorLink.objects.get(survivor=de).merged
    pair.refresh_from_db()
    assert pair.status == "merged"


def test_link_keeps_both_vendors_active(twins, fiona):
    de, uk, _ = twins
    (pair,) = vendor_duplicates_detect()
    vendor_duplicate_resolve(candidate=pair, actor=fiona, action="link", survivor=de)
    assert Vendor.objects.get(pk=uk.pk).status != "blocked"
    assert not VendorLink.objects.get(survivor=de).merged


def test_merge_repoints_an_entitys_own_vendor_mapping_in_its_scope(twins, odoo_uk, fiona, ada):
    from apps.entities.models import Entity
    from apps.sync.services import mapping_save

    de, uk, _ = twins
    entity = Entity.objects.create(code="nb-uk", name="Ltd", odoo_system=odoo_uk)
    mapping_save(
        actor=ada,
        kind="vendor",
        system=odoo_uk,
        external_value="P-7",
        canonical_value=uk.code,
        entity=entity,
    )
    (pair,) = vendor_duplicates_detect()
    vendor_duplicate_resolve(candidate=pair, actor=fiona, action="merge", survivor=de)
    (mapping,) = Mapping.objects.filter(system=odoo_uk, external_value="P-7", active=True)
    assert (mapping.entity_id, mapping.canonical_value) == (entity.pk, de.code)
