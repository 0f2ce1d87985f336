"""Domains: prefix operators, term operators, NULL semantics, dotted paths, any, child_of."""

from __future__ import annotations

import pytest


@pytest.fixture
def names(odoo_rpc):
    def search(domain, model="res.partner", context=None):
        rows = odoo_rpc.ok(
            model,
            "search_read",
            [domain],
            {"fields": ["name"], "order": "id", "context": context or {}},
        )
        return [row["name"] for row in rows]

    return search


VENDORS = [
    "Baustoff Schmidt GmbH",
    "Elbe Readymix Beton GmbH",
    "Nordic Rebar AB",
    "Formwork Systems B.V.",
    "Kabelwerk Brandt KG",
    "Atlas Crane & Plant Hire Ltd",
]


def test_implicit_and_between_terms(names):
    assert names([["supplier_rank", ">", 0], ["city", "=", "Hamburg"]]) == VENDORS[:2]


def test_or_and_not_in_prefix_notation(names):
    assert names(["|", ["ref", "=", "V-1003"], ["ref", "=", "V-1006"]]) == [VENDORS[2], VENDORS[5]]
    assert names(["&", ["supplier_rank", ">", 0], "!", ["country_id.code", "=", "DE"]]) == [
        VENDORS[2],
        VENDORS[3],
        VENDORS[5],
    ]
    nested = ["|", "&", ["city", "=", "Hamburg"], ["ref", "=", "V-1002"], ["ref", "=", "V-1005"]]
    assert names(nested) == [VENDORS[1], VENDORS[4]]


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("like", "Rebar", [VENDORS[2]]),
        ("like", "rebar", []),
        ("ilike", "rebar", [VENDORS[2]]),
        ("not ilike", "gmbh", [VENDORS[2], VENDORS[3], VENDORS[4], VENDORS[5]]),
        ("=like", "B%", [VENDORS[0]]),
        ("=ilike", "%b.v.", [VENDORS[3]]),
        ("=like", "Nordic Reba_ AB", [VENDORS[2]]),
        ("in", ["Nordic Rebar AB", "Kabelwerk Brandt KG"], [VENDORS[2], VENDORS[4]]),
        ("=", "Nordic Rebar AB", [VENDORS[2]]),
    ],
)
def test_string_operators(names, operator, value, expected):
    assert names([["supplier_rank", ">", 0], ["name", operator, value]]) == expected


def test_comparison_operators_on_numbers_and_dates(names, odoo_rpc):
    assert len(names([["supplier_rank", ">=", 1]])) == 6
    # a referenced partner that is not (yet) a supplier: the group's second company
    assert names([["supplier_rank", "<", 1], ["ref", "!=", False]]) == [
        "Northbridge Construction Ltd"
    ]
    orders = odoo_rpc.ok(
        "purchase.order", "search", [[["date_order", "<=", "2999-12-31"]]], {"order": "id"}
    )
    assert orders == [1, 2, 3]
    assert odoo_rpc.ok("purchase.order", "search", [[["date_order", "<", "2000-01-01"]]]) == []


def test_null_semantics_for_false_and_negative_operators(names, odoo_rpc):
    partner = odoo_rpc.ok("res.partner", "create", [{"name": "No Ref Ltd", "supplier_rank": 1}])
    assert partner
    assert names([["supplier_rank", ">", 0], ["ref", "=", False]]) == ["No Ref Ltd"]
    # != and not in also match unset values, as in Odoo's SQL
    assert "No Ref Ltd" in names([["supplier_rank", ">", 0], ["ref", "!=", "V-1001"]])
    assert "No Ref Ltd" in names([["supplier_rank", ">", 0], ["ref", "not in", ["V-1001"]]])
    assert names([["supplier_rank", ">", 0], ["ref", "<", "V-1002"]]) == [VENDORS[0]]


def test_equals_question_mark_ignores_false(names):
    assert len(names([["supplier_rank", ">", 0], ["ref", "=?", False]])) == 6
    assert names([["supplier_rank", ">", 0], ["ref", "=?", "V-1004"]]) == [VENDORS[3]]


def test_many2one_by_id_list_and_name(names):
    assert names([["country_id", "=", 3]]) == ["Nordic Rebar AB"]
    assert names([["country_id", "in", [3, 4]]]) == [VENDORS[2], VENDORS[5]]
    assert names([["country_id", "ilike", "swed"]]) == ["Nordic Rebar AB"]
    assert names([["parent_id", "!=", False]]) == ["Jana Schmidt"]


def test_dotted_paths_through_many2one_and_one2many(names, odoo_rpc):
    lines = odoo_rpc.ok(
        "purchase.order.line",
        "search",
        [[["order_id.partner_id.ref", "=", "V-1003"]]],
        {"order": "id"},
    )
    assert lines == [2, 3]
    assert names([["bank_ids.acc_number", "=like", "NL%"]]) == ["Formwork Systems B.V."]
    orders = odoo_rpc.ok(
        "purchase.order", "search", [[["order_line.product_id.default_code", "=", "CRN-HIRE-50T"]]]
    )
    assert orders == [3]


def test_any_and_not_any_sub_domains(odoo_rpc):
    with_rebar = odoo_rpc.ok(
        "purchase.order",
        "search",
        [[["order_line", "any", [["product_id.default_code", "=like", "REB-%"]]]]],
    )
    assert with_rebar == [2]
    without = odoo_rpc.ok(
        "purchase.order",
        "search",
        [[["order_line", "not any", [["product_id.default_code", "=like", "REB-%"]]]]],
        {"order": "id"},
    )
    assert without == [1, 3]


def test_child_of_follows_parent_hierarchy(names, odoo_rpc):
    assert names([["id", "child_of", 6]]) == ["Baustoff Schmidt GmbH", "Jana Schmidt"]
    jana = odoo_rpc.ok("res.partner", "search", [[["name", "=", "Jana Schmidt"]]])
    assert names([["id", "parent_of", jana]]) == ["Baustoff Schmidt GmbH", "Jana Schmidt"]
    assert names([["parent_id", "child_of", 6]]) == ["Jana Schmidt"]


def test_x2many_empty_checks(odoo_rpc):
    empty = odoo_rpc.ok("purchase.order", "create", [{"partner_id": 6}])
    assert odoo_rpc.ok("purchase.order", "search", [[["order_line", "=", False]]]) == [empty]
    assert empty not in odoo_rpc.ok("purchase.order", "search", [[["order_line", "!=", False]]])


def test_invalid_domains_are_value_errors(odoo_rpc):
    for domain in ([["name", "between", 1]], [["nofield", "=", 1]], ["|", ["name", "=", "x"]], "x"):
        error = odoo_rpc.error("res.partner", "search", [domain])
        assert error["data"]["name"] == "builtins.ValueError", domain


def test_equality_lookups_use_an_index_that_stays_consistent(odoo_rpc):
    first = odoo_rpc.ok("purchase.order", "search", [[["partner_ref", "=", "HUB-1"]]])
    assert first == []
    po = odoo_rpc.ok("purchase.order", "create", [{"partner_id": 6, "partner_ref": "HUB-1"}])
    assert odoo_rpc.ok("purchase.order", "search", [[["partner_ref", "=", "HUB-1"]]]) == [po]
    odoo_rpc.ok("purchase.order", "write", [[po], {"partner_ref": "HUB-2"}])
    assert odoo_rpc.ok("purchase.order", "search", [[["partner_ref", "=", "HUB-1"]]]) == []
    assert odoo_rpc.ok("purchase.order", "search", [[["partner_ref", "in", ["HUB-2", "x"]]]]) == [
        po
    ]
    odoo_rpc.ok("purchase.order", "unlink", [[po]])
    assert odoo_rpc.ok("purchase.order", "search", [[["partner_ref", "=", "HUB-2"]]]) == []
