"""Procure-to-pay: the procurement issue's acceptance test (requisition → approval → PO in the
Odoo simulator → receipt → vendor bill pulled and matched → posted → payment pulled), reused as
is; then the workflow page shows its instance at "Paid", linked to the PO's lineage."""

from __future__ import annotations

import pytest

from apps.ledger.models import Transaction
from apps.procurement.models import Commitment
from apps.workflows.definitions import WORKFLOWS
from apps.workflows.selectors import procure_to_pay_instances, workflow_summary
from tests.procurement.test_odoo_flow import (
    test_requisition_to_payment_through_odoo as procure_to_pay_acceptance,
)

pytestmark = pytest.mark.django_db


def test_procure_to_pay_instance_follows_the_acceptance_flow(
    client, odoo_sim, odoo_target, make_inbound, drain, school_budget, rob, alice, sam, fiona,
    authority, ada, pat,
):  # fmt: skip
    procure_to_pay_acceptance(
        odoo_sim, odoo_target, make_inbound, drain, school_budget, rob, alice, sam, fiona,
        authority, ada,
    )  # fmt: skip
    po = Commitment.objects.get()
    outbound = Transaction.objects.get(
        direction="outbound", domain="commitment", operation="create", subject_id=po.number
    )

    (row,) = procure_to_pay_instances(user=pat)
    assert row.key == po.number and row.project_code == "SCH-001"
    assert (row.step, row.status) == ("paid", "running")  # the bank has not reconciled it yet
    assert row.step_number == WORKFLOWS["procure_to_pay"].step_index("paid") + 1
    assert row.correlation_id == outbound.correlation_id
    assert row.origin_transaction_id == outbound.pk

    summary = {entry["workflow"].key: entry["total"] for entry in workflow_summary(user=pat)}
    assert summary["procure_to_pay"] == 1

    client.force_login(pat)
    index = client.get("/workflows/").content.decode()
    assert "Procure-to-pay" in index and "Change management" in index
    page = client.get("/workflows/procure_to_pay/")
    assert page.status_code == 200
    body = page.content.decode()
    assert po.number in body and "Paid" in body and f"/ledger/{outbound.pk}/" in body


def test_procure_to_pay_instances_are_project_scoped(procure, bridge, client):
    from apps.accounts import roles
    from apps.accounts.services import user_create

    po = procure.issued_commitment(
        lines=[{"phase": "P3", "cost_code": "09 21 16", "quantity": "10", "unit_price": "100"}]
    )
    outsider = user_create(
        username="otto", password="x-Passw0rd-long", roles=[roles.PMO], projects=[bridge]
    )
    assert procure_to_pay_instances(user=outsider) == []
    (row,) = procure_to_pay_instances(user=procure.alice)
    assert (row.key, row.step) == (po.number, "approved")  # no Odoo system: stays in the hub
    client.force_login(outsider)
    assert po.number not in client.get("/workflows/procure_to_pay/").content.decode()
