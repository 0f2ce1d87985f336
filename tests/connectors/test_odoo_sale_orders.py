"""The Odoo connector's sale_order domain against the Odoo simulator over loopback: the seller's
sales order of an intercompany commitment (issue #13), pushed, re-pushed, changed, cancelled,
pulled and found again by reference for reconciliation."""

from __future__ import annotations

import pytest

from apps.connectors.errors import PermanentError
from apps.connectors.odoo.connector import OdooConnector
from apps.connectors.odoo.domains import sale_orders_by_reference
from apps.connectors.registry import connector_for

PROTOCOLS = ["jsonrpc", "json2"]


@pytest.fixture
def connector(odoo_sim, odoo_system_for):
    """connector(api="jsonrpc", user="admin", **options) -> OdooConnector for the simulator."""
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
        made = connector_for(
            odoo_system_for(odoo_sim.url, api=api, credentials=credentials, **options)
        )
        built.append(made)
        return made

    yield make
    for made in built:
        made.close()


def _payload(number: str, **extra) -> dict:
    return {
        "number": number,
        "customer_ref": "NB-DE",
        "customer_name": "Northbridge Construction GmbH",
        "company_id": 2,
        "currency": "EUR",
        "date_order": "2026-11-30",
        "origin": f"Intercompany NB-DE {number}",
        "lines": [
            {
                "description": "Mobile crane, 16 hours",
                "quantity": "16",
                "unit_price": "145.00",
                "product_code": "CRN-HIRE-50T",
            },
            {
                "description": "Formwork hire",
                "quantity": "20",
                "unit_price": "42.50",
                "product_code": "FRM-PANEL-HIRE",
            },
        ],
        **extra,
    }


def _order(odoo_sim, order_id) -> dict:
    [row] = odoo_sim.records(
        "sale.order",
        ["name", "state", "partner_id", "company_id", "currency_id", "client_order_ref",
         "amount_untaxed", "amount_total", "origin", "order_line"],
        [["id", "=", int(order_id)]],
    )  # fmt: skip
    return row


def _lines(odoo_sim, order_id) -> list[dict]:
    return odoo_sim.records(
        "sale.order.line",
        ["name", "product_uom_qty", "price_unit", "product_id"],
        [["order_id", "=", int(order_id)]],
    )


def _m2o_id(value):
    return value[0] if isinstance(value, list | tuple) else value


@pytest.mark.parametrize("api", PROTOCOLS)
def test_push_create_confirms_a_sale_order_in_the_sellers_company(odoo_sim, connector, api):
    result = connector(api).push(
        domain="sale_order",
        operation="create",
        payload=_payload("PO-HOS-0042"),
        idempotency_key="intercompany:PO-HOS-0042:sale_order:create",
    )
    assert result.created is True
    assert result.response["state"] == "sale"
    assert result.response["number"] == "PO-HOS-0042"
    assert result.response["amount_untaxed"] == "3170.00"  # 16 × 145 + 20 × 42.50
    assert result.response["company_id"] == 2
    order = _order(odoo_sim, result.external_id)
    assert order["state"] == "sale"
    assert order["client_order_ref"] == "PO-HOS-0042"
    assert _m2o_id(order["company_id"]) == 2
    # the commitment's currency, not the seller company's (GBP)
    [eur] = odoo_sim.records("res.currency", ["name"], [["name", "=", "EUR"]])
    assert _m2o_id(order["currency_id"]) == eur["id"]
    assert order["amount_total"] == 3170.0
    assert order["origin"] == "Intercompany NB-DE PO-HOS-0042"
    [customer] = odoo_sim.records(
        "res.partner",
        ["name", "ref", "customer_rank", "is_company"],
        [["id", "=", _m2o_id(order["partner_id"])]],
    )
    assert customer["ref"] == "NB-DE"
    assert customer["customer_rank"] == 1
    assert customer["is_company"] is True
    lines = _lines(odoo_sim, result.external_id)
    assert [(line["name"], line["product_uom_qty"], line["price_unit"]) for line in lines] == [
        ("Mobile crane, 16 hours", 16.0, 145.0),
        ("Formwork hire", 20.0, 42.5),
    ]


def test_re_push_is_idempotent_and_a_lost_xmlid_is_found_by_reference(odoo_sim, connector):
    odoo = connector()
    first = odoo.push(
        domain="sale_order",
        operation="create",
        payload=_payload("PO-HOS-0043"),
        idempotency_key="intercompany:PO-HOS-0043:sale_order:create",
    )
    again = odoo.push(
        domain="sale_order",
        operation="create",
        payload=_payload("PO-HOS-0043"),
        idempotency_key="intercompany:PO-HOS-0043:sale_order:create",
    )
    assert (again.external_id, again.created) == (first.external_id, False)
    assert again.response["found_by"] == "xmlid"
    # another key (e.g. a replay under a new key) still finds it by (client_order_ref, company)
    replay = odoo.push(
        domain="sale_order",
        operation="create",
        payload=_payload("PO-HOS-0043"),
        idempotency_key="intercompany:PO-HOS-0043:sale_order:create:replay",
    )
    assert (replay.external_id, replay.response["found_by"]) == (first.external_id, "reference")
    assert len(odoo_sim.records("sale.order", ["id"], [["client_order_ref", "=", "PO-HOS-0043"]]))
    assert odoo_sim.stats()["created"]["sale.order"] == 1
    assert odoo_sim.stats()["created"]["res.partner"] == 1  # the customer, once
    assert odoo_sim.stats()["methods"]["sale.order.action_confirm"] == 1


def test_the_same_number_in_another_company_is_another_order(odoo_sim, connector):
    odoo = connector()
    seller_two = odoo.push(
        domain="sale_order",
        operation="create",
        payload=_payload("PO-HOS-0044"),
        idempotency_key="ic:44:2",
    )
    seller_one = odoo.push(
        domain="sale_order",
        operation="create",
        payload=_payload("PO-HOS-0044", company_id=1),
        idempotency_key="ic:44:1",
    )
    assert seller_one.external_id != seller_two.external_id
    assert seller_one.response["company_id"] == 1


def test_cancel_passes_odoos_cancel_wizard_and_is_state_guarded(odoo_sim, connector):
    odoo = connector()
    created = odoo.push(
        domain="sale_order",
        operation="create",
        payload=_payload("PO-HOS-0045"),
        idempotency_key="ic:45",
    )
    for attempt in range(2):  # a retried cancel is a no-op
        cancelled = odoo.push(
            domain="sale_order",
            operation="cancel",
            payload={"number": "PO-HOS-0045", "company_id": 2},
            idempotency_key=f"ic:45:cancel:{attempt}",
        )
        assert cancelled.external_id == created.external_id
        assert cancelled.response["state"] == "cancel"
    assert _order(odoo_sim, created.external_id)["state"] == "cancel"
    assert odoo_sim.stats()["methods"]["sale.order.action_cancel"] == 1
    with pytest.raises(PermanentError) as caught:
        odoo.push(
            domain="sale_order",
            operation="update",
            payload=_payload("PO-HOS-0045"),
            idempotency_key="ic:45:update",
        )
    assert caught.value.code == "invalid_state"
    assert "cancelled" in caught.value.message


def test_cancel_of_an_unknown_order_is_not_found(connector):
    with pytest.raises(PermanentError) as caught:
        connector().push(
            domain="sale_order",
            operation="cancel",
            payload={"number": "PO-NOPE", "company_id": 2},
            idempotency_key="ic:nope:cancel",
        )
    assert caught.value.code == "not_found"


def test_update_rewrites_a_quotation_and_amends_a_confirmed_order(odoo_sim, connector):
    odoo = connector()
    quotation = odoo.push(
        domain="sale_order",
        operation="create",
        payload=_payload("PO-HOS-0046", confirm=False),
        idempotency_key="ic:46",
    )
    assert quotation.response["state"] == "draft"
    odoo.push(
        domain="sale_order",
        operation="update",
        payload=_payload(
            "PO-HOS-0046",
            confirm=False,
            lines=[
                {
                    "description": "Crane",
                    "quantity": "8",
                    "unit_price": "150",
                    "product_code": "CRN-HIRE-50T",
                }
            ],
        ),  # fmt: skip
        idempotency_key="ic:46:update:1",
    )
    lines = _lines(odoo_sim, quotation.external_id)
    assert [(line["name"], line["product_uom_qty"]) for line in lines] == [("Crane", 8.0)]
    assert _order(odoo_sim, quotation.external_id)["state"] == "draft"

    # confirmed: lines stay (Odoo refuses deletes); changed ones are written, extra ones added,
    # the ones no longer wanted go to quantity 0
    confirmed = odoo.push(
        domain="sale_order",
        operation="create",
        payload=_payload("PO-HOS-0047"),
        idempotency_key="ic:47",
    )
    kept_line_ids = confirmed.response["line_ids"]
    changed = odoo.push(
        domain="sale_order",
        operation="update",
        payload=_payload(
            "PO-HOS-0047",
            lines=[
                {
                    "description": "Mobile crane, 16 hours",
                    "quantity": "20",
                    "unit_price": "145.00",
                    "product_code": "CRN-HIRE-50T",
                }
            ],
        ),  # fmt: skip
        idempotency_key="ic:47:update:1",
    )
    assert changed.external_id == confirmed.external_id
    assert changed.response["line_ids"] == kept_line_ids
    assert changed.response["amount_untaxed"] == "2900.00"  # 20 × 145, formwork at 0
    assert [line["product_uom_qty"] for line in _lines(odoo_sim, confirmed.external_id)] == [
        20.0,
        0.0,
    ]
    assert changed.response["state"] == "sale"


def test_update_of_a_locked_order_is_odoos_user_error(odoo_sim, connector):
    odoo = connector()
    created = odoo.push(
        domain="sale_order",
        operation="create",
        payload=_payload("PO-HOS-0048"),
        idempotency_key="ic:48",
    )
    odoo.call("sale.order", "action_lock", [[int(created.external_id)]])
    with pytest.raises(PermanentError) as caught:
        odoo.push(
            domain="sale_order",
            operation="update",
            payload=_payload("PO-HOS-0048", lines=[{**_payload("x")["lines"][0], "quantity": 1}]),
            idempotency_key="ic:48:update",
        )
    assert "locked order" in caught.value.message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"currency": None}, "`currency` is required"),
        ({"currency": "XYZ"}, "No res.currency with name = 'XYZ'"),
        ({"lines": []}, "`lines` must be a non-empty list"),
        ({"lines": [{"description": "Site management", "quantity": 1, "unit_price": 10}]},
         "line 1: `product_code` is required"),
        ({"lines": [{"product_code": "CRN-HIRE-50T", "unit_price": 10}]},
         "line 1: `quantity` is required"),
        ({"company_id": "two"}, "`company_id` must be an Odoo company id"),
        ({"customer_ref": None}, "`customer_ref`"),
    ],
)  # fmt: skip
def test_bad_payloads_are_permanent_errors_with_a_clear_message(
    odoo_sim, connector, change, message
):
    with pytest.raises(PermanentError) as caught:
        connector().push(
            domain="sale_order",
            operation="create",
            payload={**_payload("PO-BAD"), **change},
            idempotency_key="ic:bad",
        )
    assert message in caught.value.message
    assert odoo_sim.records("sale.order", ["id"], [["client_order_ref", "=", "PO-BAD"]]) == []


def test_lines_without_a_product_use_the_configured_sale_line_product(odoo_sim, connector):
    result = connector(sale_line_product="FRM-PANEL-HIRE").push(
        domain="sale_order",
        operation="create",
        payload=_payload(
            "PO-HOS-0049",
            lines=[{"description": "Site management", "quantity": 2, "unit_price": "500"}],
        ),  # fmt: skip
        idempotency_key="ic:49",
    )
    [line] = _lines(odoo_sim, result.external_id)
    [product] = odoo_sim.records(
        "product.product", ["default_code"], [["id", "=", _m2o_id(line["product_id"])]]
    )
    assert (line["name"], product["default_code"]) == ("Site management", "FRM-PANEL-HIRE")
    assert result.response["amount_untaxed"] == "1000.00"


def test_pull_returns_canonical_sale_orders_by_id_pages(odoo_sim, connector):
    odoo = connector()
    pushed = [
        odoo.push(
            domain="sale_order",
            operation="create",
            payload=_payload(f"PO-HOS-01{n:02d}"),
            idempotency_key=f"ic:pull:{n}",
        )
        for n in range(3)
    ]
    first = odoo.pull(domain="sale_order", limit=2)
    assert len(first.records) == 2 and first.next_cursor
    second = odoo.pull(domain="sale_order", cursor=first.next_cursor, limit=2)
    records = first.records + second.records
    assert [r["external_id"] for r in records] == [p.external_id for p in pushed]
    record = records[0]
    assert record["domain"] == "sale_order"
    assert record["number"] == "PO-HOS-0100"
    assert record["name"].startswith("S")
    assert record["state"] == "sale"
    assert record["amount_untaxed"] == "3170.00"
    assert record["amount_total"] == "3170.00"
    assert record["currency"] == "EUR"
    assert record["company_id"] == 2
    assert record["customer_ref"] == "NB-DE"
    assert record["date_order"]
    assert record["write_date"]
    # incremental: only what changed since the mark
    odoo.push(
        domain="sale_order",
        operation="cancel",
        payload={"number": "PO-HOS-0101", "company_id": 2},
        idempotency_key="ic:pull:cancel",
    )
    changes = odoo.pull(domain="sale_order", since=first.high_water_mark)
    assert "PO-HOS-0101" in {r["number"] for r in changes.records}
    assert {r["state"] for r in changes.records if r["number"] == "PO-HOS-0101"} == {"cancel"}


def test_sale_orders_by_reference_finds_them_in_one_search(odoo_sim, connector):
    odoo = connector()
    for number in ("PO-HOS-0200", "PO-HOS-0201"):
        odoo.push(
            domain="sale_order",
            operation="create",
            payload=_payload(number),
            idempotency_key=f"ic:{number}",
        )
    odoo.push(
        domain="sale_order",
        operation="cancel",
        payload={"number": "PO-HOS-0201", "company_id": 2},
        idempotency_key="ic:PO-HOS-0201:cancel",
    )
    odoo.push(
        domain="sale_order",
        operation="create",
        payload=_payload("PO-HOS-0202", company_id=1),
        idempotency_key="ic:PO-HOS-0202",
    )
    calls_before = odoo.round_trips
    found = sale_orders_by_reference(
        odoo, ["PO-HOS-0200", "PO-HOS-0201", "PO-HOS-0202", "PO-MISSING"], 2
    )
    searches = [c for c in list(odoo.calls)[calls_before:] if c["method"] == "search_read"]
    assert len(searches) == 1
    assert sorted(found) == ["PO-HOS-0200", "PO-HOS-0201"]  # 0202 is company 1's
    assert found["PO-HOS-0200"]["state"] == "sale"
    assert found["PO-HOS-0200"]["amount_total"] == "3170.00"
    assert found["PO-HOS-0200"]["customer_ref"] == "NB-DE"
    assert found["PO-HOS-0200"]["company_id"] == 2
    assert found["PO-HOS-0201"]["state"] == "cancel"
    # without a company: every company; through a bare client too
    anywhere = sale_orders_by_reference(odoo.client, ["PO-HOS-0202"], None)
    assert anywhere["PO-HOS-0202"]["company_id"] == 1
    assert sale_orders_by_reference(odoo, [], 2) == {}
