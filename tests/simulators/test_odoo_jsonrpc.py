"""/jsonrpc: common, object and db services, with Odoo's result and error shapes."""

from __future__ import annotations


def test_common_version_reports_server_version(odoo_rpc):
    result = odoo_rpc.raw("common", "version")["result"]
    assert result["server_version"] == "19.0"
    assert result["server_version_info"][:2] == [19, 0]
    assert result["protocol_version"] == 1


def test_login_returns_uid_for_password_and_api_key(odoo_rpc, odoo_sim):
    assert odoo_rpc.raw("common", "login", odoo_sim.db, "admin", "admin")["result"] == 2
    buyer = odoo_sim.users["buyer"]
    assert odoo_rpc.raw("common", "authenticate", odoo_sim.db, "buyer", buyer.api_key, {})[
        "result"
    ] == (buyer.uid)


def test_login_with_wrong_password_returns_false_not_an_error(odoo_rpc, odoo_sim):
    data = odoo_rpc.raw("common", "login", odoo_sim.db, "admin", "wrong")
    assert data["result"] is False
    assert "error" not in data


def test_execute_kw_with_wrong_password_raises_access_denied(odoo_rpc, odoo_sim):
    data = odoo_rpc.raw(
        "object", "execute_kw", odoo_sim.db, 2, "wrong", "res.partner", "search", [[]], {}
    )
    error = data["error"]
    assert error["code"] == 200
    assert error["message"] == "Odoo Server Error"
    assert error["data"]["name"] == "odoo.exceptions.AccessDenied"
    assert error["data"]["message"] == "Access Denied"
    assert data["id"] == 1


def test_response_echoes_request_id(odoo_rpc):
    assert odoo_rpc.raw("common", "version", request_id=424242)["id"] == 424242


def test_search_read_returns_many2one_as_id_and_name(odoo_rpc):
    rows = odoo_rpc.ok(
        "res.partner",
        "search_read",
        [[["ref", "=", "V-1003"]]],
        {"fields": ["name", "country_id", "parent_id", "bank_ids"]},
    )
    assert rows == [
        {
            "id": rows[0]["id"],
            "name": "Nordic Rebar AB",
            "country_id": [rows[0]["country_id"][0], "Sweden"],
            "parent_id": False,
            "bank_ids": rows[0]["bank_ids"],
        }
    ]
    assert len(rows[0]["bank_ids"]) == 1


def test_create_with_dict_returns_int_and_with_list_returns_ids(odoo_rpc):
    single = odoo_rpc.ok(
        "res.partner", "create", [{"name": "Site Fencing Ltd", "is_company": True}]
    )
    assert isinstance(single, int)
    many = odoo_rpc.ok("res.partner", "create", [[{"name": "A GmbH"}, {"name": "B GmbH"}]])
    assert isinstance(many, list) and len(many) == 2 and single not in many


def test_write_then_read_shows_new_value_and_bumps_write_date(odoo_rpc):
    partner_id = odoo_rpc.ok("res.partner", "create", [{"name": "Old name"}])
    before = odoo_rpc.ok("res.partner", "read", [[partner_id], ["write_date"]])[0]["write_date"]
    assert odoo_rpc.ok("res.partner", "write", [[partner_id], {"name": "New name"}]) is True
    row = odoo_rpc.ok("res.partner", "read", [[partner_id], ["name", "write_date", "create_date"]])[
        0
    ]
    assert row["name"] == "New name"
    assert len(row["write_date"]) == 19 and row["write_date"] >= before


def test_unlink_removes_the_record(odoo_rpc):
    partner_id = odoo_rpc.ok("res.partner", "create", [{"name": "Temp"}])
    assert odoo_rpc.ok("res.partner", "unlink", [[partner_id]]) is True
    assert odoo_rpc.ok("res.partner", "search", [[["id", "=", partner_id]]]) == []


def test_db_list_returns_the_database(odoo_rpc, odoo_sim):
    assert odoo_rpc.raw("db", "list")["result"] == [odoo_sim.db]


def test_method_returning_none_omits_result(odoo_rpc):
    data = odoo_rpc.execute_kw("purchase.order", "button_cancel", [[1]])
    assert "error" not in data
    assert "result" not in data
    assert odoo_rpc.ok("purchase.order", "read", [[1], ["state"]])[0]["state"] == "cancel"


def test_unknown_model_is_a_user_error(odoo_rpc):
    error = odoo_rpc.error("x.nothing", "search", [[]])
    assert error["data"]["name"] == "odoo.exceptions.UserError"
    assert error["data"]["message"] == "Object x.nothing doesn't exist"


def test_unknown_method_is_an_attribute_error(odoo_rpc):
    error = odoo_rpc.error("res.users", "wrong_method", [[2]])
    assert error["data"]["name"] == "builtins.AttributeError"
    assert error["data"]["message"] == "type object 'res.users' has no attribute 'wrong_method'"


def test_private_method_is_refused_with_access_error(odoo_rpc):
    error = odoo_rpc.error("res.partner", "_compute_display_name", [[1]])
    assert error["data"]["name"] == "odoo.exceptions.AccessError"
    assert "cannot be called remotely" in error["data"]["message"]


def test_missing_required_field_is_a_validation_error(odoo_rpc):
    error = odoo_rpc.error("purchase.order", "create", [{"partner_ref": "no vendor"}])
    data = error["data"]
    assert data["name"] == "odoo.exceptions.ValidationError"
    assert "a mandatory field is not set" in data["message"]
    assert "Field: Vendor (partner_id)" in data["message"]
    assert data["arguments"] == [data["message"]]
    assert data["context"] == {}
    assert (
        data["debug"]
        .rstrip()
        .endswith(f"odoo.exceptions.ValidationError: {data['message']}".rstrip())
    )


def test_bad_selection_value_and_unknown_relation_are_validation_errors(odoo_rpc):
    bad_state = odoo_rpc.error("purchase.order", "write", [[1], {"state": "bogus"}])
    assert bad_state["data"]["name"] == "odoo.exceptions.ValidationError"
    assert "purchase.order.state" in bad_state["data"]["message"]
    bad_partner = odoo_rpc.error("purchase.order", "create", [{"partner_id": 999999}])
    assert bad_partner["data"]["name"] == "odoo.exceptions.ValidationError"


def test_unknown_field_is_a_value_error_like_odoo(odoo_rpc):
    error = odoo_rpc.error("res.partner", "create", [{"name": "X", "x_nope": 1}])
    assert error["data"]["name"] == "builtins.ValueError"
    assert error["data"]["message"] == "Invalid field 'x_nope' on model 'res.partner'"


def test_write_on_deleted_record_is_a_missing_error(odoo_rpc):
    partner_id = odoo_rpc.ok("res.partner", "create", [{"name": "Gone"}])
    odoo_rpc.ok("res.partner", "unlink", [[partner_id]])
    error = odoo_rpc.error("res.partner", "write", [[partner_id], {"name": "Back"}])
    assert error["data"]["name"] == "odoo.exceptions.MissingError"
    assert error["data"]["message"] == (
        f"Record does not exist or has been deleted.\n(Record: res.partner({partner_id},), User: 2)"
    )


def test_read_skips_deleted_records_like_odoo(odoo_rpc):
    partner_id = odoo_rpc.ok("res.partner", "create", [{"name": "Gone"}])
    odoo_rpc.ok("res.partner", "unlink", [[partner_id]])
    assert odoo_rpc.ok("res.partner", "read", [[partner_id, 6], ["name"]]) == [
        {"id": 6, "name": "Baustoff Schmidt GmbH"}
    ]


def test_failed_call_changes_nothing(odoo_rpc, odoo_sim):
    before = len(odoo_sim.records("purchase.order.line"))
    error = odoo_rpc.error(
        "purchase.order",
        "create",
        [
            {
                "partner_id": 6,
                "order_line": [
                    [0, 0, {"product_id": 1, "product_qty": 2}],
                    [0, 0, {"product_id": 1, "analytic_distribution": {"999": 100}}],
                ],
            }
        ],
    )
    assert error["data"]["name"] == "odoo.exceptions.ValidationError"
    assert len(odoo_sim.records("purchase.order.line")) == before
    assert [po["name"] for po in odoo_sim.records("purchase.order", ["name"])] == [
        "P00001",
        "P00002",
        "P00003",
    ]
    assert odoo_sim.stats()["created"] == {}


def test_read_with_classic_write_load_returns_bare_many2one_ids(odoo_rpc):
    [row] = odoo_rpc.ok("purchase.order", "read", [[2], ["partner_id"]], {"load": "_classic_write"})
    assert row == {"id": 2, "partner_id": 8}
    [row] = odoo_rpc.ok("purchase.order", "read", [[2], ["partner_id"]], {"load": None})
    assert row["partner_id"] == 8


def test_empty_values_read_as_false_and_dates_as_strings(odoo_rpc):
    partner_id = odoo_rpc.ok("res.partner", "create", [{"name": "Sparse"}])
    [row] = odoo_rpc.ok(
        "res.partner", "read", [[partner_id], ["email", "parent_id", "child_ids", "create_date"]]
    )
    assert row["email"] is False and row["parent_id"] is False and row["child_ids"] == []
    assert len(row["create_date"]) == 19 and row["create_date"][10] == " "


def test_search_with_order_offset_limit_and_count(odoo_rpc):
    vendors = [["supplier_rank", ">", 0]]
    ids = odoo_rpc.ok("res.partner", "search", [vendors], {"order": "name desc"})
    names = [r["name"] for r in odoo_rpc.ok("res.partner", "read", [ids, ["name"]])]
    assert names == sorted(names, reverse=True)
    page = odoo_rpc.ok(
        "res.partner", "search", [vendors], {"order": "name desc", "offset": 2, "limit": 2}
    )
    assert page == ids[2:4]
    assert odoo_rpc.ok("res.partner", "search_count", [vendors]) == len(ids) == 6
    bad = odoo_rpc.error("res.partner", "search", [vendors], {"order": "name; drop table"})
    assert bad["data"]["name"] == "builtins.ValueError"


def test_archived_records_hidden_unless_active_test_false(odoo_rpc):
    partner_id = odoo_rpc.ok(
        "res.partner", "create", [{"name": "Archived Vendor", "active": False}]
    )
    assert odoo_rpc.ok("res.partner", "search", [[["name", "=", "Archived Vendor"]]]) == []
    assert odoo_rpc.ok(
        "res.partner",
        "search",
        [[["name", "=", "Archived Vendor"]]],
        {"context": {"active_test": False}},
    ) == [partner_id]
    assert odoo_rpc.ok(
        "res.partner", "search", [[["name", "=", "Archived Vendor"], ["active", "=", False]]]
    ) == [partner_id]


def test_incremental_sync_by_write_date_and_id(odoo_rpc):
    rows = odoo_rpc.ok(
        "res.partner",
        "search_read",
        [[["write_date", ">=", "2000-01-01 00:00:00"]]],
        {"fields": ["write_date"], "order": "write_date asc, id asc", "limit": 5},
    )
    keys = [(r["write_date"], r["id"]) for r in rows]
    assert keys == sorted(keys) and len(keys) == 5
    future = odoo_rpc.ok("res.partner", "search", [[["write_date", ">", "2999-01-01"]]])
    assert future == []


def test_fields_get_describes_fields_with_requested_attributes(odoo_rpc):
    fields = odoo_rpc.ok(
        "purchase.order",
        "fields_get",
        [],
        {"attributes": ["string", "type", "required", "relation"]},
    )
    assert fields["partner_id"] == {
        "string": "Vendor",
        "type": "many2one",
        "required": True,
        "relation": "res.partner",
    }
    assert fields["state"]["type"] == "selection"
    assert {"create_date", "write_date", "display_name", "id"} <= set(fields)
    full = odoo_rpc.ok("purchase.order", "fields_get", [["state"]])
    assert ["purchase", "Purchase Order"] in full["state"]["selection"]


def test_name_search_and_display_name(odoo_rpc):
    found = odoo_rpc.ok("account.analytic.account", "name_search", [], {"name": "03 30"})
    assert [name for _id, name in found] == ["[03 30 00] Cast-in-Place Concrete"]
    contact = odoo_rpc.ok(
        "res.partner",
        "search_read",
        [[["name", "=", "Jana Schmidt"]]],
        {"fields": ["display_name"]},
    )
    assert contact[0]["display_name"] == "Baustoff Schmidt GmbH, Jana Schmidt"


def test_default_get_and_copy(odoo_rpc):
    defaults = odoo_rpc.ok("purchase.order", "default_get", [["state", "currency_id", "name"]])
    assert defaults == {"state": "draft", "currency_id": 1, "name": "New"}
    copy_id = odoo_rpc.ok("purchase.order", "copy", [[1]])
    [copied] = odoo_rpc.ok(
        "purchase.order", "read", [[copy_id], ["name", "state", "partner_id", "origin"]]
    )
    assert copied["name"] == "P00004" and copied["state"] == "draft"
    assert copied["partner_id"][0] == 7 and copied["origin"] is False  # origin: copy=False
    [line] = odoo_rpc.ok(
        "purchase.order.line",
        "search_read",
        [[["order_id", "=", copy_id]]],
        {"fields": ["product_qty", "product_id"]},
    )
    assert line["product_qty"] == 120.0 and line["product_id"][0] == 1


def test_external_ids_resolve_through_ir_model_data(odoo_rpc):
    rows = odoo_rpc.ok(
        "ir.model.data",
        "search_read",
        [[["module", "=", "integrationhub_demo"], ["name", "=", "vendor_nordic_rebar"]]],
        {"fields": ["model", "res_id"]},
    )
    assert rows[0]["model"] == "res.partner" and rows[0]["res_id"] == 8
    assert odoo_rpc.ok(
        "ir.model.data", "check_object_reference", ["integrationhub_demo", "vendor_nordic_rebar"]
    ) == ["res.partner", 8]
    odoo_rpc.ok(
        "ir.model.data",
        "create",
        [{"module": "__import__", "name": "hub_vendor_42", "model": "res.partner", "res_id": 8}],
    )
    duplicate = odoo_rpc.error(
        "ir.model.data",
        "create",
        [{"module": "__import__", "name": "hub_vendor_42", "model": "res.partner", "res_id": 9}],
    )
    assert duplicate["data"]["name"] == "odoo.exceptions.ValidationError"


def test_context_get_returns_lang_and_tz(odoo_rpc, odoo_sim):
    data = odoo_rpc.raw("object", "execute", odoo_sim.db, 2, "admin", "res.users", "context_get")
    assert data["result"] == {"lang": "en_US", "tz": "Europe/Berlin", "uid": 2}


def test_invalid_json_and_wrong_content_type_are_http_400(odoo_http):
    bad_json = odoo_http.post(
        "/jsonrpc", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 400
    assert "Invalid JSON data" in bad_json.text
    form = odoo_http.post("/jsonrpc", content=b"{}", headers={"Content-Type": "text/plain"})
    assert form.status_code == 400
    not_object = odoo_http.post("/jsonrpc", json=[1, 2])
    assert not_object.status_code == 400 and "Invalid JSON-RPC data" in not_object.text


def test_unknown_route_is_a_404_page(odoo_http):
    response = odoo_http.post("/nowhere", json={})
    assert response.status_code == 404
    assert "Not Found" in response.text


def test_load_imports_rows_and_updates_them_by_external_id(odoo_rpc, odoo_sim):
    fields = ["id", "name", "ref", "country_id/id", "supplier_rank"]
    rows = [
        ["hub_vendor_1", "Load One GmbH", "L-1", "base.de", 1],
        ["hub_vendor_2", "Load Two BV", "L-2", "base.nl", 1],
    ]
    first = odoo_rpc.ok("res.partner", "load", [fields, rows])
    assert first["messages"] == [] and len(first["ids"]) == 2
    rows[0][1] = "Load One Renamed GmbH"
    second = odoo_rpc.ok("res.partner", "load", [fields, rows])
    assert second["ids"] == first["ids"]
    [row] = odoo_rpc.ok("res.partner", "read", [first["ids"][:1], ["name", "country_id"]])
    assert row["name"] == "Load One Renamed GmbH" and row["country_id"][1] == "Germany"
    assert odoo_sim.stats()["created"]["res.partner"] == 2
    bad = odoo_rpc.ok(
        "res.partner", "load", [["id", "name", "country_id"], [["x1", "A", "Atlantis"]]]
    )
    assert bad["ids"] is False and "Atlantis" in bad["messages"][0]["message"]
    assert odoo_rpc.ok("res.partner", "search", [[["name", "=", "A"]]]) == []


def test_formatted_read_group_and_has_access(odoo_rpc):
    groups = odoo_rpc.ok(
        "purchase.order.line",
        "formatted_read_group",
        [[], ["order_id"], ["price_subtotal:sum", "product_qty:max"]],
    )
    by_order = {g["order_id"][1]: g for g in groups}
    assert by_order["P00002"]["__count"] == 2
    assert by_order["P00002"]["price_subtotal:sum"] == 18 * 845.0 + 6.5 * 860.0
    assert by_order["P00001"]["product_qty:max"] == 120.0
    assert odoo_rpc.ok("purchase.order", "has_access", [[1], "write"], user="readonly") is False
    assert odoo_rpc.ok("purchase.order", "has_access", [[1], "read"], user="readonly") is True


def test_release_to_pay_follows_receipts_unless_set_manually(odoo_rpc):
    [bill] = odoo_rpc.ok("account.move", "read", [[1], ["release_to_pay", "release_to_pay_manual"]])
    assert bill["release_to_pay"] == "yes"  # the crane hire was received (manual qty) and billed
    odoo_rpc.ok("account.move", "write", [[1], {"release_to_pay_manual": "no"}])
    [held] = odoo_rpc.ok("account.move", "read", [[1], ["release_to_pay"]])
    assert held["release_to_pay"] == "no"
    line = odoo_rpc.ok("purchase.order.line", "search", [[["order_id", "=", 2]]], {"order": "id"})[
        0
    ]
    unreceived = odoo_rpc.ok(
        "account.move",
        "create",
        [
            {
                "move_type": "in_invoice",
                "partner_id": 8,
                "invoice_line_ids": [
                    [0, 0, {"purchase_line_id": line, "quantity": 5, "price_unit": 845}]
                ],
            }
        ],
    )
    [row] = odoo_rpc.ok("account.move", "read", [[unreceived], ["release_to_pay"]])
    assert row["release_to_pay"] == "no"


def test_inherited_fields_live_on_the_parent_record(odoo_rpc, odoo_sim):
    product = odoo_rpc.ok(
        "product.product",
        "create",
        [
            {
                "name": "Gravel 0/32",
                "default_code": "AGG-032",
                "type": "consu",
                "standard_price": 21.5,
            }
        ],
    )
    [row] = odoo_rpc.ok(
        "product.product", "read", [[product], ["name", "product_tmpl_id", "display_name"]]
    )
    assert row["display_name"] == "[AGG-032] Gravel 0/32"
    template = row["product_tmpl_id"][0]
    odoo_rpc.ok("product.product", "write", [[product], {"name": "Gravel 0/32 mm"}])
    [tmpl] = odoo_rpc.ok(
        "product.template", "read", [[template], ["name", "product_variant_ids", "purchase_method"]]
    )
    assert tmpl["name"] == "Gravel 0/32 mm" and tmpl["product_variant_ids"] == [product]
    assert tmpl["purchase_method"] == "receive"  # goods: billed on received quantities
    assert odoo_sim.stats()["created"] == {"product.product": 1, "product.template": 1}

    user = odoo_rpc.ok(
        "res.users",
        "create",
        [
            {
                "name": "Integration Bot",
                "login": "hub-bot",
                "password": "bot-pass",
                "group_ids": [[6, 0, [1]]],
            }
        ],
    )
    [account] = odoo_rpc.ok("res.users", "read", [[user], ["name", "partner_id", "login"]])
    assert account["partner_id"][1] == "Integration Bot"
    assert odoo_rpc.raw("common", "login", odoo_sim.db, "hub-bot", "bot-pass")["result"] == user


def test_login_cooldown_after_ten_failures_until_reset(odoo_rpc, odoo_sim):
    for _ in range(10):
        assert odoo_rpc.raw("common", "login", odoo_sim.db, "admin", "guess")["result"] is False
    # blocked for the cooldown even with the right password, as Odoo's per-IP counter does
    assert odoo_rpc.raw("common", "login", odoo_sim.db, "admin", "admin")["result"] is False
    assert odoo_sim.stats()["logins"] == {"failed": 10, "cooldown": 1}
    odoo_sim.reset()
    assert odoo_rpc.raw("common", "login", odoo_sim.db, "admin", "admin")["result"] == 2
