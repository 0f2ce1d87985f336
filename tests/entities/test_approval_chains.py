"""Two entities with different currencies and approval chains."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.accounts import roles
from apps.accounts.services import user_create
from apps.approvals.models import ApprovalLevelThreshold, AuthorityRule
from apps.approvals.selectors import authority_evaluate
from apps.approvals.services import approval_request_create
from apps.entities.models import EntityApprovalThreshold

pytestmark = pytest.mark.django_db


@pytest.fixture
def chains(entity_de, entity_uk):
    # Group default: a second level above 100,000 EUR.
    ApprovalLevelThreshold.objects.create(
        document_type="purchase_order", level=2, above_amount=Decimal("100000"), currency="EUR"
    )
    EntityApprovalThreshold.objects.create(
        entity=entity_de,
        document_type="purchase_order",
        level=2,
        above_amount=Decimal("25000"),
        currency="EUR",
    )
    for level, above in ((2, "10000"), (3, "50000")):
        EntityApprovalThreshold.objects.create(
            entity=entity_uk,
            document_type="purchase_order",
            level=level,
            above_amount=Decimal(above),
            currency="GBP",
        )


def _po_request(project, amount, currency, requester):
    return approval_request_create(
        document_type="purchase_order",
        target=project,
        project=project,
        amount=Decimal(amount),
        currency=currency,
        requested_by=requester,
        title=f"PO on {project.code}",
    )


def test_each_entity_applies_its_own_chain_in_its_own_currency(
    chains, school_de, depot_uk, rob, bridge
):
    assert _po_request(school_de, "30000", "EUR", rob).required_levels == 2
    uk = _po_request(depot_uk, "60000", "GBP", rob)
    assert uk.required_levels == 3
    assert uk.currency == "GBP"
    # A project without an entity keeps the group chain.
    assert _po_request(bridge, "30000", "EUR", rob).required_levels == 1


def test_an_approver_of_one_entity_has_no_authority_on_the_other(
    chains, school_de, depot_uk, rob, member_of, entity_uk
):
    gina = user_create(username="gina", password="persona-pass-123", roles=[roles.APPROVER])
    member_of(gina, entity_uk)
    AuthorityRule.objects.create(
        role=roles.APPROVER, document_type="purchase_order", level=3, currency="GBP"
    )
    AuthorityRule.objects.create(
        role=roles.APPROVER, document_type="purchase_order", level=3, currency="EUR"
    )
    uk = _po_request(depot_uk, "60000", "GBP", rob)
    de = _po_request(school_de, "30000", "EUR", rob)
    assert authority_evaluate(user=gina, request=uk, level=1).allowed
    verdict = authority_evaluate(user=gina, request=de, level=1)
    assert not verdict.allowed and verdict.code == "not_in_project"
