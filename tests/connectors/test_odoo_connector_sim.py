"""The Odoo connector against the Odoo simulator over loopback (fixture `odoo_sim`).

CRUD on every simulated model the hub writes or reads, both protocols for the main operations,
each error kind as Odoo sends it, idempotent creates under a timeout after commit, incremental
pulls with equal write_dates, paging by id, and the observer hook.
"""

from __future__ import annotations

import pytest

from apps.connectors.base import PushResult
from apps.connectors.errors import PermanentError, TransientError
from apps.connectors.odoo.connector import OdooConnector, xmlid_name
from apps.connectors.odoo.cursors import cursor_key, sync_cursor_get
from apps.connectors.registry import connector_for
from tests.plugins.odoo import free_port

PROTOCOLS = ["jsonrpc", "json2"]


@pytest.fixture
def odoo_connector(odoo_sim, odoo_system_for):
    """odoo_connector(api="jsonrpc", user="admin", **options) -> OdooConnector for the sim."""
    built: list[OdooConnector] = []

    def make(api: str = "jsonrpc", user: str = "admin", **options) -> OdooConnector:
        account = odoo_sim.users[user]
        if api == "json2":
            credentials = {"database": odoo_sim.db, "api_key": account.api_key}
        else:
            credentials = {
                "database": odoo_sim.db,
                "username": account.login,
                "password": account.password,
            }
        system = odoo_system_for(odoo_sim.url, api=api, credentials=credentials, **options)
        connector = connector_for(system)
        assert isinstance(connector, OdooConnector)
        built.append(connector)
        return connector

    yield make
    for connector in built:
        connector.close()


def _created(odoo_sim, model: str) -> int:
    return odoo_sim.stats().get("created", {}).get(model, 0)


def _one(odoo_sim, model: str, domain) -> dict:
    rows = odoo_sim.records(model, domain=domain)
    assert len(rows) == 1, rows
    return rows[0]


def _vendor(ref: str, **extra) -> dict:
    return {"ref": ref, "name": f"Vendor {ref}", "vat": "DE999999999", "country": "DE", **extra}


# --- health ------------------------------------------------------------------------------------
@pytest.mark.parametrize("api", PROTOCOLS)
def test_health_reports_version_login_and_latency(odoo_connector, api):
    result = odoo_connector(api).health()
    assert result.ok, result.detail
    assert "Odoo" in result.detail and api in result.detail
    assert result.latency_ms is not None and result.latency_ms > 0


@pytest.mark.parametrize("api", PROTOCOLS)
def test_health_with_bad_credentials_is_not_ok(odoo_sim, odoo_system_for, api):
    credentials = (
        {"database": odoo_sim.db, "api_key": "wrong-key"}
        if api == "json2"
        else {"database": odoo_sim.db, "username": "admin", "password": "wrong"}
    )
    system = odoo_system_for(odoo_sim.url, api=api, credentials=credentials)
    result = connector_for(system).health()
    assert result.ok is False
    assert "wrong" not in result.detail


# --- vendors (res.partner): create, idempotent create, update, archive, pull ----------------------
@pytest.mark.parametrize("api", PROTOCOLS)
def test_vendor_create_update_archive_round_trip(odoo_sim, odoo_connector, api):
    connector = odoo_connector(api)
    created = connector.push(
        domain="vendor",
        operation="create",
        payload=_vendor("V-9001", email="a@example.test"),
        idempotency_key="vendor:9001",
    )
    assert created.created is True
    partner = _one(odoo_sim, "res.partner", [("ref", "=", "V-9001")])
    assert partner["id"] == int(created.external_id)
    assert partner["name"] == "Vendor V-9001"
    assert partner["supplier_rank"] >= 1
    assert partner["country_id"][1] == "Germany"

    again = connector.push(
        domain="vendor",
        operation="create",
        payload=_vendor("V-9001"),
        idempotency_key="vendor:9001",
    )
    assert again.created is False
    assert again.external_id == created.external_id
    assert again.response["found_by"] == "xmlid"

    updated = connector.push(
        domain="vendor",
        operation="update",
        payload={"ref": "V-9001", "email": "b@example.test", "phone": "+49 40 1234"},
        idempotency_key="vendor:9001:update:1",
        external_id=created.external_id,
    )
    assert updated.created is False
    partner = _one(odoo_sim, "res.partner", [("ref", "=", "V-9001")])
    assert (partner["email"], partner["phone"]) == ("b@example.test", "+49 40 1234")

    connector.push(
        domain="vendor",
        operation="archive",
        payload={"ref": "V-9001"},
        idempotency_key="vendor:9001:archive",
    )
    partner = _one(odoo_sim, "res.partner", [("ref", "=", "V-9001")])
    assert partner["active"] is False

    pulled = connector.pull(domain="vendor", limit=500).records
    mine = [r for r in pulled if r["ref"] == "V-9001"]
    assert len(mine) == 1  # archived records are pulled too (archiving is a change)
    assert mine[0]["active"] is False
    assert mine[0]["external_id"] == created.external_id
    assert mine[0]["email"] == "b@example.test"
    assert _created(odoo_sim, "res.partner") == 1


def test_xmlid_is_created_with_the_record(odoo_sim, odoo_connector):
    result = odoo_connector().push(
        domain="vendor", operation="create", payload=_vendor("V-9002"), idempotency_key="k-9002"
    )
    row = _one(
        odoo_sim,
        "ir.model.data",
        [("module", "=", "integrationhub"), ("name", "=", xmlid_name("vendor", "k-9002"))],
    )
    assert row["model"] == "res.partner"
    assert row["res_id"] == int(result.external_id)
    assert result.response["xmlid"] == f"integrationhub.{row['name']}"


def test_update_of_a_record_deleted_in_odoo_is_permanent_missing_record(odoo_sim, odoo_connector):
    with pytest.raises(PermanentError) as caught:
        odoo_connector().push(
            domain="vendor",
            operation="update",
            payload={"email": "x@example.test"},
            idempotency_key="vendor:gone",
            external_id="987654",
        )
    assert caught.value.code == "missing_record"
    assert caught.value.remote_name == "odoo.exceptions.MissingError"


# --- batches ---------------------------------------------------------------------------------
@pytest.mark.parametrize("api", PROTOCOLS)
def test_push_many_creates_a_batch_in_one_create_call(odoo_sim, odoo_connector, api):
    connector = odoo_connector(api, batch_size=100)
    before = odoo_sim.stats()["methods"].get("res.partner.create", 0)
    items = [
        {"payload": _vendor(f"B-{n:04d}"), "idempotency_key": f"batch:{n}"} for n in range(250)
    ]
    outcomes = connector.push_many(domain="vendor", operation="create", items=items)
    assert all(isinstance(o, PushResult) and o.created for o in outcomes)
    assert len({o.external_id for o in outcomes}) == 250
    stats = odoo_sim.stats()
    # 250 records, batches of 100: three create calls, not 250.
    assert stats["methods"]["res.partner.create"] - before == 3
    assert _created(odoo_sim, "res.partner") == 250
    # Few round trips per record: lookups + create + xmlids + read-back per batch.
    assert connector.round_trips <= 3 * 6 + 3

    # The same batch again: nothing new in Odoo, every outcome found by its xmlid.
    again = connector.push_many(domain="vendor", operation="create", items=items)
    assert [o.external_id for o in again] == [o.external_id for o in outcomes]
    assert all(o.created is False and o.response["found_by"] == "xmlid" for o in again)
    assert _created(odoo_sim, "res.partner") == 250


def test_a_refused_batch_is_split_so_good_records_still_land(odoo_sim, odoo_connector):
    connector = odoo_connector()
    items = [
        {"payload": _vendor("G-1"), "idempotency_key": "good-1"},
        {"payload": _vendor("BAD-1"), "idempotency_key": "bad-1"},
        {"payload": _vendor("G-2"), "idempotency_key": "good-2"},
    ]
    # Odoo refuses the batch (one create for all three), then the one-by-one retry refuses
    # only the first record it sees fail; the fault plan fires twice: batch + that record.
    odoo_sim.set_faults(
        rules=[
            {
                "kind": "error",
                "error": "odoo",
                "error_name": "odoo.exceptions.ValidationError",
                "error_message": "Invalid VAT number",
                "methods": ["create"],
                "models": ["res.partner"],
                "count": 2,
            }
        ]
    )
    outcomes = connector.push_many(domain="vendor", operation="create", items=items)
    assert isinstance(outcomes[0], PermanentError)
    assert outcomes[0].code == "validation_error"
    assert "Invalid VAT number" in outcomes[0].message
    assert all(isinstance(o, PushResult) and o.created for o in outcomes[1:])
    assert _created(odoo_sim, "res.partner") == 2
    creates = [c for c in connector.calls if (c["model"], c["method"]) == ("res.partner", "create")]
    assert [c["records"] for c in creates] == [3, 1, 1, 1]  # the batch, then one per record
    assert [c["ok"] for c in creates] == [False, False, True, True]


def test_duplicate_keys_in_one_batch_share_one_record(odoo_sim, odoo_connector):
    items = [{"payload": _vendor("D-1"), "idempotency_key": "dup"}] * 3
    outcomes = odoo_connector().push_many(domain="vendor", operation="create", items=items)
    assert len({o.external_id for o in outcomes}) == 1
    assert _created(odoo_sim, "res.partner") == 1


# --- idempotency under a timeout after commit ---------------------------------------------------
@pytest.mark.parametrize("drop", [False, True])
def test_retry_after_timeout_after_commit_creates_the_po_once(odoo_sim, odoo_connector, drop):
    connector = odoo_connector(timeout_seconds=0.5)
    payload = {
        "number": "REQ-SCH-0042",
        "vendor_ref": "V-1002",
        "project_code": "SCH-001",
        "confirmed": True,
        "lines": [
            {
                "product_code": "CON-C3037",
                "quantity": "40",
                "unit_price": "118.00",
                "cost_code": "03 30 00",
            }
        ],
    }
    odoo_sim.set_faults(
        slow_commit={"delay_ms": 2000, "drop": drop},
        match={"methods": ["create"], "models": ["purchase.order"]},
        count=1,
    )
    with pytest.raises(TransientError) as caught:
        connector.push(
            domain="commitment", operation="create", payload=payload, idempotency_key="po:42"
        )
    assert caught.value.code in ("timeout", "connection_error")
    # The record was committed before the answer was lost.
    assert len(odoo_sim.records("purchase.order", domain=[("origin", "=", "REQ-SCH-0042")])) == 1

    result = connector.push(
        domain="commitment", operation="create", payload=payload, idempotency_key="po:42"
    )
    assert result.created is False
    assert result.response["found_by"] == "reference"
    order = _one(odoo_sim, "purchase.order", [("origin", "=", "REQ-SCH-0042")])
    assert order["id"] == int(result.external_id)
    assert order["state"] == "purchase"  # the retry finished the job: confirmed
    stats = odoo_sim.stats()
    assert stats["created"]["purchase.order"] == 1
    # One create call in total: the lost one. The retry found the order and only confirmed it.
    assert stats["methods"]["purchase.order.create"] == 1
    assert stats["methods"]["purchase.order.button_confirm"] == 1
    # The xmlid was repaired, so the next retry is a direct hit.
    third = connector.push(
        domain="commitment", operation="create", payload=payload, idempotency_key="po:42"
    )
    assert third.response["found_by"] == "xmlid"
    assert odoo_sim.stats()["created"]["purchase.order"] == 1


def test_retry_after_timeout_on_the_xmlid_call_finds_the_vendor_by_ref(odoo_sim, odoo_connector):
    connector = odoo_connector(timeout_seconds=0.5)
    odoo_sim.set_faults(
        slow_commit={"delay_ms": 2000}, match={"models": ["ir.model.data"], "methods": ["create"]}
    )
    with pytest.raises(TransientError):
        connector.push(
            domain="vendor", operation="create", payload=_vendor("V-7"), idempotency_key="v7"
        )
    odoo_sim.clear_faults()
    result = connector.push(
        domain="vendor", operation="create", payload=_vendor("V-7"), idempotency_key="v7"
    )
    assert result.created is False
    # The slow xmlid create was applied too: the retry finds the record by its xmlid or ref.
    assert result.response["found_by"] in ("xmlid", "reference")
    assert odoo_sim.stats()["created"]["res.partner"] == 1


# --- errors, as the simulator sends them -------------------------------------------------------
@pytest.mark.parametrize("api", PROTOCOLS)
def test_read_only_user_gets_permanent_access_error(odoo_connector, api):
    connector = odoo_connector(api, user="readonly")
    with pytest.raises(PermanentError) as caught:
        connector.push(
            domain="vendor", operation="create", payload=_vendor("RO-1"), idempotency_key="ro"
        )
    assert caught.value.code == "access_error"
    assert caught.value.remote_name == "odoo.exceptions.AccessError"
    # Reading is allowed: the same user pulls.
    assert connector.pull(domain="vendor", limit=5).records


@pytest.mark.parametrize("api", PROTOCOLS)
def test_validation_error_is_permanent(odoo_connector, api):
    # purchase.order requires a vendor: give a partner id that Odoo refuses to link.
    with pytest.raises(PermanentError) as caught:
        odoo_connector(api).call("res.partner", "create", [[{"name": False}]])
    assert caught.value.code == "validation_error"
    assert caught.value.remote_name == "odoo.exceptions.ValidationError"


@pytest.mark.parametrize("api", PROTOCOLS)
def test_user_error_is_permanent(odoo_sim, odoo_connector, api):
    connector = odoo_connector(api)
    result = connector.push(
        domain="vendor", operation="create", payload=_vendor("UE-1"), idempotency_key="ue"
    )
    bill = connector.call(
        "account.move",
        "create",
        [
            [
                {
                    "move_type": "in_invoice",
                    "partner_id": int(result.external_id),
                    "invoice_date": "2026-03-02",
                    "invoice_line_ids": [[0, 0, {"name": "x", "quantity": 1, "price_unit": 5}]],
                }
            ]
        ],
    )[0]
    connector.call("account.move", "action_post", [[bill]])
    with pytest.raises(PermanentError) as caught:
        connector.call("account.move", "action_post", [[bill]])
    assert caught.value.code == "user_error"
    assert caught.value.remote_name == "odoo.exceptions.UserError"
    assert "already posted" in caught.value.message


@pytest.mark.parametrize("api", PROTOCOLS)
def test_missing_error_is_permanent(odoo_connector, api):
    with pytest.raises(PermanentError) as caught:
        odoo_connector(api).call("res.partner", "write", [[99999], {"name": "x"}])
    assert caught.value.code == "missing_record"
    assert caught.value.remote_name == "odoo.exceptions.MissingError"


@pytest.mark.parametrize("api", PROTOCOLS)
def test_bad_credentials_are_permanent(odoo_sim, odoo_system_for, api):
    credentials = (
        {"database": odoo_sim.db, "api_key": "not-a-key"}
        if api == "json2"
        else {"database": odoo_sim.db, "username": "admin", "password": "not-the-password"}
    )
    connector = connector_for(odoo_system_for(odoo_sim.url, api=api, credentials=credentials))
    with pytest.raises(PermanentError) as caught:
        connector.pull(domain="vendor", limit=1)
    assert caught.value.code == "auth_failed"
    assert "not-a-key" not in str(caught.value) and "not-the-password" not in str(caught.value)


@pytest.mark.parametrize("api", PROTOCOLS)
@pytest.mark.parametrize(
    ("error", "code"), [("http_503", "unavailable"), ("http_502", "server_error")]
)
def test_5xx_is_transient(odoo_sim, odoo_connector, api, error, code):
    connector = odoo_connector(api)
    connector.health()  # log in first, so the fault hits an ORM call
    odoo_sim.set_faults(error_rate=1.0, error=error, match={"services": ["object", "json2"]})
    with pytest.raises(TransientError) as caught:
        connector.pull(domain="vendor", limit=1)
    assert caught.value.code == code


@pytest.mark.parametrize("api", PROTOCOLS)
def test_serialization_failure_reported_by_odoo_is_transient(odoo_sim, odoo_connector, api):
    connector = odoo_connector(api)
    connector.health()
    odoo_sim.set_faults(error_rate=1.0, error="odoo", match={"methods": ["search_read"]})
    with pytest.raises(TransientError) as caught:
        connector.pull(domain="vendor", limit=1)
    assert caught.value.code == "serialization_failure"
    assert caught.value.remote_name == "psycopg2.errors.SerializationFailure"


@pytest.mark.parametrize("api", PROTOCOLS)
def test_429_is_transient_with_retry_after(odoo_sim, odoo_connector, api):
    connector = odoo_connector(api)
    odoo_sim.set_faults(rate_limit={"rate": 1.0, "retry_after": 7})
    with pytest.raises(TransientError) as caught:
        connector.health() if False else connector.pull(domain="vendor", limit=1)
    assert caught.value.code == "rate_limited"
    assert caught.value.retry_after == 7.0
    assert caught.value.status_code == 429


@pytest.mark.parametrize("api", PROTOCOLS)
def test_timeout_is_transient(odoo_sim, odoo_connector, api):
    connector = odoo_connector(api, timeout_seconds=0.3)
    odoo_sim.set_faults(timeout_rate=1.0, timeout_s=1.5, match={"methods": ["search_read"]})
    with pytest.raises(TransientError) as caught:
        connector.pull(domain="vendor", limit=1)
    assert caught.value.code == "timeout"


@pytest.mark.parametrize("api", PROTOCOLS)
def test_connection_refused_is_transient(odoo_system_for, api):
    credentials = (
        {"database": "odoo_sim", "api_key": "k"}
        if api == "json2"
        else {"database": "odoo_sim", "username": "admin", "password": "admin"}
    )
    system = odoo_system_for(f"http://127.0.0.1:{free_port()}", api=api, credentials=credentials)
    connector = connector_for(system)
    with pytest.raises(TransientError) as caught:
        connector.pull(domain="vendor", limit=1)
    assert caught.value.code == "connection_error"
    result = connector.health()
    assert result.ok is False and "connect" in result.detail.lower()


# --- master data: cost codes, projects, budgets, products -----------------------------------------
def test_cost_code_is_an_analytic_account_in_the_cost_code_plan(odoo_sim, odoo_connector):
    connector = odoo_connector()
    result = connector.push(
        domain="cost_code",
        operation="create",
        payload={"code": "03 35 00", "name": "Concrete Finishing"},
        idempotency_key="cc:033500",
    )
    account = _one(odoo_sim, "account.analytic.account", [("code", "=", "03 35 00")])
    assert account["plan_id"][1] == "Cost Codes"
    assert account["id"] == int(result.external_id)
    # An existing code (seeded) is found, not duplicated.
    seeded = connector.push(
        domain="cost_code",
        operation="create",
        payload={"code": "03 30 00", "name": "Cast-in-Place Concrete"},
        idempotency_key="cc:033000",
    )
    assert seeded.created is False and seeded.response["found_by"] == "reference"
    pulled = {r["code"]: r for r in connector.pull(domain="cost_code", limit=500).records}
    assert pulled["03 35 00"]["plan"] == "Cost Codes"
    assert pulled["03 35 00"]["name"] == "Concrete Finishing"


@pytest.mark.parametrize("api", PROTOCOLS)
def test_project_creates_its_analytic_account_and_is_idempotent(odoo_sim, odoo_connector, api):
    connector = odoo_connector(api)
    payload = {
        "code": "TUN-004",
        "name": "Eastport Tunnel Ventilation",
        "start_date": "2026-05-01",
        "end_date": "2027-09-30",
    }
    result = connector.push(
        domain="project", operation="create", payload=payload, idempotency_key="project:TUN-004"
    )
    account = _one(odoo_sim, "account.analytic.account", [("code", "=", "TUN-004")])
    assert account["plan_id"][1] == "Projects"
    project = _one(odoo_sim, "project.project", [("id", "=", int(result.external_id))])
    assert project["account_id"][0] == account["id"]
    assert (project["date_start"], project["date"]) == ("2026-05-01", "2027-09-30")
    assert result.response["analytic_account_id"] == account["id"]

    # A replay under another key still finds it through the analytic account's code.
    again = connector.push(
        domain="project", operation="create", payload=payload, idempotency_key="project:replay"
    )
    assert again.external_id == result.external_id and again.created is False
    assert _created(odoo_sim, "project.project") == 1
    assert _created(odoo_sim, "account.analytic.account") == 1

    pulled = {r["code"]: r for r in connector.pull(domain="project", limit=50).records}
    assert pulled["TUN-004"]["name"] == "Eastport Tunnel Ventilation"
    assert pulled["SCH-001"]["name"] == "Riverside Primary School"


def test_budget_line_lands_in_the_project_and_cost_code_columns(odoo_sim, odoo_connector):
    connector = odoo_connector()
    payload = {
        "budget": "SCH-001 Construction budget",
        "project_code": "SCH-001",
        "cost_code": "07 13 00",
        "amount": "45000.00",
    }
    result = connector.push(
        domain="budget_line", operation="create", payload=payload, idempotency_key="bl:1"
    )
    line = _one(odoo_sim, "budget.line", [("id", "=", int(result.external_id))])
    cost = _one(odoo_sim, "account.analytic.account", [("code", "=", "07 13 00")])
    project = _one(odoo_sim, "account.analytic.account", [("code", "=", "SCH-001")])
    assert line["account_id"][0] == project["id"]
    assert line["x_plan2_id"][0] == cost["id"]
    assert line["budget_amount"] == 45000.0

    # An update (a budget revision) writes the amount on the same line.
    updated = connector.push(
        domain="budget_line",
        operation="update",
        payload={**payload, "amount": "47500.00"},
        idempotency_key="bl:1:rev2",
    )
    assert updated.external_id == result.external_id
    assert updated.response["budget_amount"] == "47500.00"
    # A seeded line (SCH-001 / 03 30 00) is found by its accounts, not duplicated.
    seeded = connector.push(
        domain="budget_line",
        operation="upsert",
        payload={**payload, "cost_code": "03 30 00", "amount": "430000"},
        idempotency_key="bl:2",
    )
    assert seeded.created is False and seeded.response["found_by"] == "reference"
    assert _created(odoo_sim, "budget.line") == 1

    lines = connector.pull(domain="budget_line", limit=500).records
    mine = [r for r in lines if r["external_id"] == result.external_id][0]
    assert (mine["project_code"], mine["cost_code"], mine["amount"]) == (
        "SCH-001",
        "07 13 00",
        "47500.00",
    )


def test_budget_line_for_a_new_budget_creates_the_budget(odoo_sim, odoo_connector):
    result = odoo_connector().push(
        domain="budget_line",
        operation="create",
        payload={
            "budget": "TUN-004 Budget 2027",
            "date_from": "2027-01-01",
            "date_to": "2027-12-31",
            "cost_code": "31 23 00",
            "amount": 120000,
        },
        idempotency_key="bl:new",
    )
    budget = _one(odoo_sim, "budget.analytic", [("name", "=", "TUN-004 Budget 2027")])
    assert result.response["budget_id"] == budget["id"]
    with pytest.raises(PermanentError) as caught:
        odoo_connector().push(
            domain="budget_line",
            operation="create",
            payload={"budget": "No such budget", "cost_code": "31 23 00", "amount": 1},
            idempotency_key="bl:nodates",
        )
    assert caught.value.code == "unknown_reference"


def test_products_pull_as_a_catalogue(odoo_connector):
    products = {p["code"]: p for p in odoo_connector().pull(domain="product", limit=100).records}
    assert products["CON-C3037"]["name"] == "Ready-mix concrete C30/37"
    assert products["CON-C3037"]["unit"] == "m³"


# --- procure to pay: PO → receipt → bill → payment -----------------------------------------------
def _commitment(number: str, **extra) -> dict:
    return {
        "number": number,
        "vendor_ref": "V-1003",
        "vendor_reference": "NR-Q-2026-118",
        "currency": "EUR",
        "project_code": "HOS-002",
        "lines": [
            {
                "product_code": "REB-B500B-12",
                "quantity": "12",
                "unit_price": "860.00",
                "cost_code": "03 20 00",
            },
            {
                "product_code": "REB-B500B-16",
                "quantity": "8",
                "unit_price": "845.00",
                "cost_code": "03 20 00",
            },
        ],
        **extra,
    }


@pytest.mark.parametrize("api", PROTOCOLS)
def test_procure_to_pay_through_the_connector(odoo_sim, odoo_connector, api):
    connector = odoo_connector(api)
    po = connector.push(
        domain="commitment",
        operation="create",
        payload=_commitment("REQ-HOS-0100", confirmed=True),
        idempotency_key="commitment:100",
    )
    assert po.created is True
    assert po.response["state"] == "purchase"
    assert po.response["amount_total"] is not None
    line_ids = po.response["line_ids"]
    assert len(line_ids) == 2
    order = _one(odoo_sim, "purchase.order", [("id", "=", int(po.external_id))])
    assert order["partner_ref"] == "NR-Q-2026-118"
    lines = odoo_sim.records("purchase.order.line", domain=[("order_id", "=", order["id"])])
    project = _one(odoo_sim, "account.analytic.account", [("code", "=", "HOS-002")])
    cost = _one(odoo_sim, "account.analytic.account", [("code", "=", "03 20 00")])
    assert lines[0]["analytic_distribution"] == {f"{project['id']},{cost['id']}": 100.0}
    assert [line["product_qty"] for line in lines] == [12.0, 8.0]

    # Partial receipt: 10 t of the Ø12 bars; the rest stays open as a backorder.
    receipt = connector.push(
        domain="receipt",
        operation="create",
        payload={
            "commitment_number": "REQ-HOS-0100",
            "lines": [{"purchase_line_id": line_ids[0], "quantity": "10"}],
        },
        idempotency_key="receipt:100:1",
    )
    assert receipt.created is True and receipt.response["state"] == "done"
    lines = odoo_sim.records("purchase.order.line", domain=[("order_id", "=", order["id"])])
    assert [line["qty_received"] for line in lines] == [10.0, 0.0]
    # The same receipt delivered again changes nothing.
    again = connector.push(
        domain="receipt",
        operation="create",
        payload={
            "commitment_number": "REQ-HOS-0100",
            "lines": [{"purchase_line_id": line_ids[0], "quantity": "10"}],
        },
        idempotency_key="receipt:100:1",
    )
    assert again.created is False and again.external_id == receipt.external_id
    lines = odoo_sim.records("purchase.order.line", domain=[("order_id", "=", order["id"])])
    assert [line["qty_received"] for line in lines] == [10.0, 0.0]
    open_pickings = odoo_sim.records(
        "stock.picking", domain=[("purchase_id", "=", order["id"]), ("state", "!=", "done")]
    )
    assert len(open_pickings) == 1  # the backorder

    # Vendor bill for what was received, linked to the PO line, posted.
    bill = connector.push(
        domain="invoice",
        operation="create",
        payload={
            "number": "NR-INV-55012",
            "commitment_number": "REQ-HOS-0100",
            "invoice_date": "2026-04-10",
            "due_date": "2026-05-10",
            "post": True,
            "lines": [{"purchase_line_id": line_ids[0], "quantity": "10"}],
        },
        idempotency_key="invoice:55012",
    )
    assert bill.response["state"] == "posted"
    move = _one(odoo_sim, "account.move", [("id", "=", int(bill.external_id))])
    assert move["ref"] == "NR-INV-55012" and move["move_type"] == "in_invoice"
    assert move["invoice_origin"] == order["name"]
    bill_lines = odoo_sim.records("account.move.line", domain=[("move_id", "=", move["id"])])
    product_lines = [line for line in bill_lines if line["display_type"] == "product"]
    assert product_lines[0]["purchase_line_id"][0] == line_ids[0]
    assert product_lines[0]["price_unit"] == 860.0  # taken from the PO line
    assert product_lines[0]["analytic_distribution"] == lines[0]["analytic_distribution"]
    lines = odoo_sim.records("purchase.order.line", domain=[("order_id", "=", order["id"])])
    assert lines[0]["qty_invoiced"] == 10.0

    # Pay it through Odoo's register wizard, by the vendor's bill number.
    payment = connector.push(
        domain="payment",
        operation="create",
        payload={
            "reference": "PAY-2026-0412",
            "vendor_ref": "V-1003",
            "invoice_numbers": ["NR-INV-55012"],
            "date": "2026-04-20",
        },
        idempotency_key="payment:0412",
    )
    assert payment.created is True
    move = _one(odoo_sim, "account.move", [("id", "=", int(bill.external_id))])
    assert move["payment_state"] in ("paid", "in_payment")
    assert move["amount_residual"] == 0.0
    again = connector.push(
        domain="payment",
        operation="create",
        payload={
            "reference": "PAY-2026-0412",
            "vendor_ref": "V-1003",
            "invoice_numbers": ["NR-INV-55012"],
        },
        idempotency_key="payment:0412",
    )
    assert again.external_id == payment.external_id and again.created is False
    assert _created(odoo_sim, "account.payment") == 1

    # Pulls see the whole chain with lines.
    pulled_po = [
        r
        for r in connector.pull(domain="commitment", limit=100).records
        if r["number"] == "REQ-HOS-0100"
    ][0]
    assert pulled_po["state"] == "purchase"
    assert [line["quantity_received"] for line in pulled_po["lines"]] == ["10", "0"]
    assert pulled_po["lines"][0]["quantity_invoiced"] == "10"
    pulled_bill = [
        r
        for r in connector.pull(domain="invoice", limit=100).records
        if r["number"] == "NR-INV-55012"
    ][0]
    assert pulled_bill["lines"][0]["purchase_line_id"] == line_ids[0]
    assert pulled_bill["amount_total"] == move_total(move)
    receipts = [
        r
        for r in connector.pull(domain="receipt", limit=100).records
        if r["commitment_id"] == order["id"]
    ]
    assert {r["state"] for r in receipts} == {"done", "assigned"}
    payments = [
        r
        for r in connector.pull(domain="payment", limit=100).records
        if r["reference"] == "PAY-2026-0412"
    ]
    assert payments[0]["amount"] == pulled_bill["amount_total"]


def move_total(move: dict) -> str:
    return f"{move['amount_total']:.2f}"


def test_commitment_confirm_and_cancel_actions_are_state_guarded(odoo_sim, odoo_connector):
    connector = odoo_connector()
    po = connector.push(
        domain="commitment",
        operation="create",
        payload=_commitment("REQ-HOS-0200"),
        idempotency_key="commitment:200",
    )
    assert po.response["state"] == "draft"
    for attempt in range(2):  # a retried confirm is a no-op, not a UserError
        confirmed = connector.push(
            domain="commitment",
            operation="confirm",
            payload={"number": "REQ-HOS-0200"},
            idempotency_key=f"commitment:200:confirm:{attempt}",
        )
        assert confirmed.response["state"] == "purchase"
    assert odoo_sim.stats()["methods"]["purchase.order.button_confirm"] == 1
    cancelled = connector.push(
        domain="commitment",
        operation="cancel",
        payload={},
        idempotency_key="commitment:200:cancel",
        external_id=po.external_id,
    )
    assert cancelled.response["state"] == "cancel"


def test_change_order_updates_a_line_and_adds_one(odoo_sim, odoo_connector):
    connector = odoo_connector()
    po = connector.push(
        domain="commitment",
        operation="create",
        payload=_commitment("REQ-HOS-0300", confirmed=True),
        idempotency_key="commitment:300",
    )
    first_line = po.response["line_ids"][0]
    changed = connector.push(
        domain="commitment",
        operation="update",
        payload={
            "number": "REQ-HOS-0300",
            "project_code": "HOS-002",
            "lines": [
                {"purchase_line_id": first_line, "quantity": "15"},
                {
                    "product_code": "CRN-HIRE-50T",
                    "quantity": "16",
                    "unit_price": "145",
                    "cost_code": "01 54 00",
                },
            ],
        },
        idempotency_key="commitment:300:co1",
    )
    assert changed.external_id == po.external_id
    lines = odoo_sim.records("purchase.order.line", domain=[("order_id", "=", int(po.external_id))])
    assert [line["product_qty"] for line in lines] == [15.0, 8.0, 16.0]


def test_unknown_vendor_reference_is_a_clear_permanent_error(odoo_connector):
    with pytest.raises(PermanentError) as caught:
        odoo_connector().push(
            domain="commitment",
            operation="create",
            payload=_commitment("REQ-X", vendor_ref="V-NOPE"),
            idempotency_key="commitment:x",
        )
    assert caught.value.code == "unknown_reference"
    assert "V-NOPE" in caught.value.message


def test_invoice_hold_and_release(odoo_sim, odoo_connector):
    connector = odoo_connector()
    bill = connector.push(
        domain="invoice",
        operation="create",
        payload={
            "number": "HOLD-1",
            "vendor_ref": "V-1001",
            "invoice_date": "2026-03-01",
            "lines": [{"description": "Scaffold", "quantity": 1, "unit_price": "100"}],
        },
        idempotency_key="invoice:hold-1",
    )
    connector.push(
        domain="invoice",
        operation="hold",
        payload={},
        idempotency_key="hold",
        external_id=bill.external_id,
    )
    assert _one(odoo_sim, "account.move", [("ref", "=", "HOLD-1")])["release_to_pay_manual"] == "no"
    connector.push(
        domain="invoice",
        operation="release",
        payload={"number": "HOLD-1", "vendor_ref": "V-1001"},
        idempotency_key="release",
    )
    assert (
        _one(odoo_sim, "account.move", [("ref", "=", "HOLD-1")])["release_to_pay_manual"] == "yes"
    )


def test_hold_on_an_odoo_without_the_3_way_match_module_is_unsupported(odoo_connector):
    connector = odoo_connector()
    fields = dict(connector.client.fields("account.move"))
    fields.pop("release_to_pay_manual")
    connector.client._fields["account.move"] = fields  # as fields_get answers without the module
    with pytest.raises(PermanentError) as caught:
        connector.push(
            domain="invoice", operation="hold", payload={}, idempotency_key="h", external_id="1"
        )
    assert caught.value.code == "unsupported"
    assert "release_to_pay_manual" in caught.value.message


def test_direct_payment_without_bills_is_created_and_posted(odoo_sim, odoo_connector):
    result = odoo_connector().push(
        domain="payment",
        operation="create",
        payload={
            "reference": "ADV-2026-01",
            "vendor_ref": "V-1006",
            "amount": "2500.00",
            "date": "2026-03-15",
        },
        idempotency_key="payment:adv",
    )
    payment = _one(odoo_sim, "account.payment", [("id", "=", int(result.external_id))])
    assert payment["memo"] == "ADV-2026-01" and payment["amount"] == 2500.0
    assert payment["state"] != "draft"
    assert payment["payment_type"] == "outbound" and payment["partner_type"] == "supplier"


# --- pulls: paging by id, incremental by (write_date, id) ----------------------------------------
@pytest.mark.parametrize("api", PROTOCOLS)
def test_full_pull_pages_by_id_without_offset(odoo_sim, odoo_connector, api):
    connector = odoo_connector(api)
    connector.push_many(
        domain="vendor",
        operation="create",
        items=[{"payload": _vendor(f"P-{n}"), "idempotency_key": f"p:{n}"} for n in range(7)],
    )
    expected = {
        r["id"] for r in odoo_sim.records("res.partner", domain=[("supplier_rank", ">", 0)])
    }
    connector.calls.clear()
    seen: list[int] = []
    cursor = None
    pages = 0
    for _ in range(50):
        page = connector.pull(domain="vendor", cursor=cursor, limit=3)
        pages += 1
        seen.extend(int(r["external_id"]) for r in page.records)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages > 2
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    assert set(seen) == expected
    searches = [
        c for c in connector.calls if c["method"] == "search_read" and c["model"] == "res.partner"
    ]
    assert len(searches) == pages
    assert odoo_sim.stats()["methods"].get("res.partner.search_count", 0) == 0


@pytest.mark.parametrize("api", PROTOCOLS)
def test_incremental_pull_sees_only_changes_and_survives_equal_write_dates(
    odoo_sim, odoo_connector, api
):
    connector = odoo_connector(api)
    first = connector.pull_changes(domain="vendor", limit=1000)
    assert first.next_cursor is None
    assert connector.commit_high_water_mark(domain="vendor", value=first.high_water_mark)
    stored = sync_cursor_get(system=connector.system, key=cursor_key("res.partner"))
    assert stored == first.high_water_mark

    nothing = connector.pull_changes(domain="vendor", limit=10)
    assert nothing.records == [] and nothing.next_cursor is None
    assert nothing.high_water_mark == stored

    # Five vendors changed in ONE write: they share the same write_date second.
    vendor_ids = sorted(
        r["id"] for r in odoo_sim.records("res.partner", domain=[("supplier_rank", ">", 0)])
    )[:5]
    odoo_sim.call("res.partner", "write", vendor_ids, {"comment": "price list 2026"})
    stamps = {
        r["write_date"] for r in odoo_sim.records("res.partner", domain=[("id", "in", vendor_ids)])
    }
    assert len(stamps) == 1  # the precondition this test is about

    seen: list[str] = []
    cursor = None
    for _ in range(20):
        page = connector.pull_changes(domain="vendor", cursor=cursor, limit=2)
        seen.extend(r["external_id"] for r in page.records)
        connector.commit_high_water_mark(domain="vendor", value=page.high_water_mark)
        cursor = page.next_cursor
        if cursor is None:
            break
    # Pages of 2 over 5 records with one write_date: all five, once each, nothing else.
    assert sorted(int(x) for x in seen) == vendor_ids
    assert len(seen) == len(set(seen))
    assert connector.pull_changes(domain="vendor", limit=10).records == []

    # A later change to one vendor is the only thing the next run sees.
    odoo_sim.call("res.partner", "write", [vendor_ids[2]], {"phone": "+49 40 5555"})
    later = connector.pull_changes(domain="vendor", limit=10)
    assert [int(r["external_id"]) for r in later.records] == [vendor_ids[2]]
    assert later.records[0]["phone"] == "+49 40 5555"
    assert later.records[0]["idempotency_key"].startswith(
        f"odoo:{connector.system.code}:res.partner:{vendor_ids[2]}:"
    )


def test_pulled_records_are_canonical_dicts(odoo_connector):
    page = odoo_connector().pull(domain="vendor", limit=100)
    schmidt = [r for r in page.records if r["ref"] == "V-1001"][0]
    assert schmidt["name"] == "Baustoff Schmidt GmbH"
    assert schmidt["country"] == "Germany"
    assert schmidt["domain"] == "vendor" and schmidt["odoo_model"] == "res.partner"
    assert schmidt["write_date"].endswith("+00:00")


# --- observability ------------------------------------------------------------------------------
@pytest.mark.parametrize("api", PROTOCOLS)
def test_every_round_trip_is_observed_and_counted(odoo_sim, odoo_connector, api):
    connector = odoo_connector(api)
    connector.health()  # warm up: login and fields_get caches are per client
    records: list[dict] = []
    connector.on_call = records.append
    before_trips = connector.round_trips
    before_requests = odoo_sim.stats()["requests"]
    connector.push(
        domain="vendor", operation="create", payload=_vendor("OBS-1"), idempotency_key="obs"
    )
    trips = connector.round_trips - before_trips
    assert trips == len(records) == odoo_sim.stats()["requests"] - before_requests
    assert all(r["protocol"] == api and r["ok"] for r in records)
    assert all(r["duration_ms"] >= 0 for r in records)
    creates = [r for r in records if r["method"] == "create"]
    assert [r["model"] for r in creates] == ["res.partner", "ir.model.data"]
    assert creates[0]["records"] == 1

    odoo_sim.set_faults(error_rate=1.0, error="http_503", match={"methods": ["search_read"]})
    with pytest.raises(TransientError):
        connector.pull(domain="vendor", limit=1)
    failed = records[-1]
    assert failed["ok"] is False and failed["error_code"] == "unavailable"
    assert failed["status_code"] == 503


def test_a_failing_observer_never_fails_the_push(odoo_sim, odoo_connector, caplog):
    connector = odoo_connector()

    def broken(record):
        raise RuntimeError("ledger down")

    connector.on_call = broken
    result = connector.push(
        domain="vendor", operation="create", payload=_vendor("OBS-2"), idempotency_key="obs2"
    )
    assert result.created
    assert "on_call observer failed" in caplog.text


def test_pooled_client_is_shared_and_replaced_when_credentials_change(odoo_sim, odoo_system_for):
    system = odoo_system_for(odoo_sim.url)
    first = connector_for(system)
    second = connector_for(system)
    assert first.client is second.client
    old = first.client
    system.credentials = {"database": odoo_sim.db, "username": "buyer", "password": "buyer"}
    system.save()
    third = connector_for(system)
    assert third.client is not old
    assert old.http.is_closed
    assert third.health().ok


# --- the rest of CRUD: products, project updates, archive / cancel as the hub's "delete" ----------
@pytest.mark.parametrize("api", PROTOCOLS)
def test_product_create_update_archive(odoo_sim, odoo_connector, api):
    connector = odoo_connector(api)
    result = connector.push(
        domain="product",
        operation="create",
        payload={
            "code": "GEO-TEX-200",
            "name": "Geotextile 200 g/m²",
            "type": "goods",
            "unit": "m²",
            "standard_price": "1.85",
        },
        idempotency_key="product:geo",
    )
    product = _one(odoo_sim, "product.product", [("default_code", "=", "GEO-TEX-200")])
    assert product["id"] == int(result.external_id)
    assert product["uom_id"][1] == "m²" and product["standard_price"] == 1.85
    connector.push(
        domain="product",
        operation="update",
        payload={"code": "GEO-TEX-200", "standard_price": "1.95"},
        idempotency_key="product:geo:price",
    )
    assert _one(odoo_sim, "product.product", [("id", "=", product["id"])])["standard_price"] == 1.95
    connector.push(
        domain="product",
        operation="archive",
        payload={"code": "GEO-TEX-200"},
        idempotency_key="product:geo:archive",
    )
    assert _one(odoo_sim, "product.product", [("id", "=", product["id"])])["active"] is False
    pulled = [
        p for p in connector.pull(domain="product", limit=100).records if p["code"] == "GEO-TEX-200"
    ]
    assert pulled[0]["standard_price"] == "1.95" and pulled[0]["active"] is False


def test_project_update_and_archive(odoo_sim, odoo_connector):
    connector = odoo_connector()
    connector.push(
        domain="project",
        operation="update",
        payload={"code": "BRG-003", "end_date": "2027-12-15", "description": "Phase 2 added"},
        idempotency_key="project:BRG-003:v2",
    )
    account = _one(odoo_sim, "account.analytic.account", [("code", "=", "BRG-003")])
    project = _one(odoo_sim, "project.project", [("account_id", "=", account["id"])])
    assert project["date"] == "2027-12-15"
    assert "Phase 2 added" in project["description"]
    assert _created(odoo_sim, "project.project") == 0  # found by its account's code
    connector.push(
        domain="project",
        operation="archive",
        payload={"code": "BRG-003"},
        idempotency_key="project:BRG-003:archive",
    )
    assert _one(odoo_sim, "project.project", [("id", "=", project["id"])])["active"] is False


def test_cost_code_archive(odoo_sim, odoo_connector):
    odoo_connector().push(
        domain="cost_code",
        operation="archive",
        payload={"code": "07 13 00"},
        idempotency_key="cc:071300:archive",
    )
    assert (
        _one(odoo_sim, "account.analytic.account", [("code", "=", "07 13 00")])["active"] is False
    )


def test_bill_cancel_reset_and_post_actions(odoo_sim, odoo_connector):
    connector = odoo_connector()
    bill = connector.push(
        domain="invoice",
        operation="create",
        payload={
            "number": "ATL-7781",
            "vendor_ref": "V-1006",
            "invoice_date": "2026-03-05",
            "project_code": "SCH-001",
            "lines": [
                {
                    "description": "Crane hire 8 h",
                    "product_code": "CRN-HIRE-50T",
                    "quantity": 8,
                    "unit_price": "145.00",
                    "cost_code": "01 54 00",
                }
            ],
        },
        idempotency_key="invoice:atl-7781",
    )
    assert bill.response["state"] == "draft"
    lines = odoo_sim.records("account.move.line", domain=[("move_id", "=", int(bill.external_id))])
    project = _one(odoo_sim, "account.analytic.account", [("code", "=", "SCH-001")])
    cost = _one(odoo_sim, "account.analytic.account", [("code", "=", "01 54 00")])
    product_line = [line for line in lines if line["display_type"] == "product"][0]
    assert product_line["analytic_distribution"] == {f"{project['id']},{cost['id']}": 100.0}
    ref = {"number": "ATL-7781", "vendor_ref": "V-1006"}
    steps = [("cancel", "cancel"), ("draft", "draft"), ("post", "posted"), ("post", "posted")]
    for operation, state in steps:
        result = connector.push(
            domain="invoice",
            operation=operation,
            payload=ref,
            idempotency_key=f"invoice:atl-7781:{operation}",
        )
        assert result.response["state"] == state
    assert odoo_sim.stats()["methods"]["account.move.action_post"] == 1  # the retry was a no-op


def test_payment_cancel(odoo_sim, odoo_connector):
    connector = odoo_connector()
    payment = connector.push(
        domain="payment",
        operation="create",
        payload={"reference": "ADV-2026-02", "vendor_ref": "V-1004", "amount": 900},
        idempotency_key="payment:adv2",
    )
    cancelled = connector.push(
        domain="payment",
        operation="cancel",
        payload={"reference": "ADV-2026-02"},
        idempotency_key="payment:adv2:cancel",
    )
    assert cancelled.external_id == payment.external_id
    assert _one(odoo_sim, "account.payment", [("memo", "=", "ADV-2026-02")])["state"] == "canceled"


def test_credentials_never_reach_the_logs(odoo_sim, odoo_system_for, caplog):
    secret = "s3cr3t-not-in-logs"
    system = odoo_system_for(
        odoo_sim.url,
        credentials={"database": odoo_sim.db, "username": "admin", "password": secret},
    )
    connector = connector_for(system)
    with caplog.at_level("DEBUG"):
        assert connector.health().ok is False
        with pytest.raises(PermanentError) as caught:
            connector.pull(domain="vendor", limit=1)
    assert secret not in caplog.text
    assert secret not in str(caught.value)
    assert secret not in repr(connector.client.credentials)


# --- what other apps emit, in the connector's terms ---------------------------------------------
def test_invoice_match_result_holds_or_releases_the_bill(odoo_sim, odoo_connector):
    connector = odoo_connector()
    connector.push(
        domain="invoice",
        operation="create",
        payload={
            "number": "MR-1",
            "vendor_ref": "V-1002",
            "invoice_date": "2026-03-01",
            "lines": [{"description": "Concrete", "quantity": 10, "unit_price": "118"}],
        },
        idempotency_key="invoice:mr-1",
    )
    reference = {"number": "MR-1", "vendor_ref": "V-1002"}
    outcomes = connector.push_many(
        domain="invoice",
        operation="match_result",
        items=[
            {"payload": {**reference, "result": "exception"}, "idempotency_key": "match:1"},
            {"payload": {**reference, "result": "banana"}, "idempotency_key": "match:2"},
        ],
    )
    assert outcomes[0].external_id
    assert isinstance(outcomes[1], PermanentError) and outcomes[1].code == "invalid_payload"
    assert _one(odoo_sim, "account.move", [("ref", "=", "MR-1")])["release_to_pay_manual"] == "no"
    connector.push(
        domain="invoice",
        operation="match_result",
        payload={**reference, "result": "matched_within_tolerance"},
        idempotency_key="match:3",
    )
    assert _one(odoo_sim, "account.move", [("ref", "=", "MR-1")])["release_to_pay_manual"] == "yes"


def test_budget_revise_and_change_order_apply_are_understood(odoo_sim, odoo_connector):
    connector = odoo_connector()
    revised = connector.push(
        domain="budget_line",
        operation="revise",
        payload={
            "budget": "SCH-001 Construction budget",
            "project_code": "SCH-001",
            "cost_code": "03 30 00",
            "amount": "455000",
        },
        idempotency_key="budget:revise:1",
    )
    assert revised.created is False and revised.response["budget_amount"] == "455000.00"
    po = connector.push(
        domain="commitment",
        operation="create",
        payload=_commitment("REQ-HOS-0400", confirmed=True),
        idempotency_key="commitment:400",
    )
    connector.push(
        domain="change_order",
        operation="apply",
        payload={
            "number": "REQ-HOS-0400",
            "lines": [{"purchase_line_id": po.response["line_ids"][1], "quantity": "9.5"}],
        },
        idempotency_key="co:400:1",
    )
    lines = odoo_sim.records("purchase.order.line", domain=[("order_id", "=", int(po.external_id))])
    assert [line["product_qty"] for line in lines] == [12.0, 9.5]


def test_unknown_domain_or_operation_is_a_clear_permanent_error(odoo_connector):
    connector = odoo_connector()
    with pytest.raises(PermanentError) as caught:
        connector.push(domain="milestone", operation="create", payload={}, idempotency_key="m")
    assert caught.value.code == "unsupported_domain"
    with pytest.raises(PermanentError) as caught:
        connector.push(domain="vendor", operation="explode", payload={}, idempotency_key="x")
    assert caught.value.code == "unsupported_operation"


def test_continuing_page_still_returns_a_seen_record_that_changed_again(odoo_sim, odoo_connector):
    # A page cursor remembers the records read at the mark's second. One of them written again
    # later (write_date past that second) is a new change and must come on the next page, not
    # be excluded as "already seen" for the rest of the pull.
    connector = odoo_connector()
    partner = odoo_sim.records("res.partner", domain=[("supplier_rank", ">", 0)])[0]
    earlier = "2000-01-01 00:00:00"
    cursor = f"wd:{earlier}|{partner['id']}:abcd"
    ids = {
        r["external_id"] for r in connector.pull(domain="vendor", cursor=cursor, limit=500).records
    }
    assert str(partner["id"]) in ids or partner["id"] in ids

    # Seen at the mark's own second and unchanged since: still skipped.
    current = odoo_sim.records("res.partner", domain=[("id", "=", partner["id"])])[0]
    cursor = f"wd:{current['write_date']}|{partner['id']}"
    ids = {
        r["external_id"] for r in connector.pull(domain="vendor", cursor=cursor, limit=500).records
    }
    assert str(partner["id"]) not in ids and partner["id"] not in ids
