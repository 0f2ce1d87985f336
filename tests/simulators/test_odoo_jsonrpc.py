"""/jsonrpc: common, object and db services, with Odoo's result and error shapes."""

from __future__ import annotations


def test_common_version_reports_server_version(rpc):
    result = rpc.raw("common", "version")["result"]
    assert result["server_version"] == "19.0"
    assert result["server_version_info"][:2] == [19, 0]
    assert result["protocol_version"] == 1


def test_login_returns_uid_for_password_and_api_key(rpc, odoo_sim):
    assert rpc.raw("common", "login", odoo_sim.db, "admin", "admin")["result"] == 2
    buyer = odoo_sim.users["buyer"]
    assert rpc.raw("common", "authenticate", odoo_sim.db, "buyer", buyer.api_key, {})["result"] == (
        buyer.uid
    )


def test_login_with_wrong_password_returns_false_not_an_error(rpc, odoo_sim):
    data = rpc.raw("common", "login", odoo_sim.db, "admin", "wrong")
    assert data["result"] is False
    assert "error" not in data


def test_execute_kw_with_wrong_password_raises_access_denied(rpc, odoo_sim):
    data = rpc.raw(
        "object", "execute_kw", odoo_sim.db, 2, "wrong", "res.partner", "search", [[]], {}
    )
    error = data["error"]
    assert error["code"] == 200
    assert error["message"] == "Odoo Server Error"
    assert error["data"]["name"] == "odoo.exceptions.AccessDenied"
    assert error["data"]["message"] == "Access Denied"
    assert data["id"] == 1


def test_response_echoes_request_id(rpc):
    assert rpc.raw("common", "version", request_id=424242)["id"] == 424242


def test_search_read_returns_many2one_as_id_and_name(rpc):
    rows = rpc.ok(
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


def test_create_with_dict_returns_int_and_with_list_returns_ids(rpc):
    single = rpc.ok("res.partner", "create", [{"name": "Site Fencing Ltd", "is_company": True}])
    assert isinstance(single, int)
    many = rpc.ok("res.partner", "create", [[{"name": "A GmbH"}, {"name": "B GmbH"}]])
    assert isinstance(many, list) and len(many) == 2 and single not in many


def test_write_then_read_shows_new_value_and_bumps_write_date(rpc):
    partner_id = rpc.ok("res.partner", "create", [{"name": "Old name"}])
    before = rpc.ok("res.partner", "read", [[partner_id], ["write_date"]])[0]["write_date"]
    assert rpc.ok("res.partner", "write", [[partner_id], {"name": "New name"}]) is True
    row = rpc.ok("res.partner", "read", [[partner_id], ["name", "write_date", "create_date"]])[0]
    assert row["name"] == "New name"
    assert len(row["write_date"]) == 19 and row["write_date"] >= before


def test_unlink_removes_the_record(rpc):
    partner_id = rpc.ok("res.partner", "create", [{"name": "Temp"}])
    assert rpc.ok("res.partner", "unlink", [[partner_id]]) is True
    assert rpc.ok("res.partner", "search", [[["id", "=", partner_id]]]) == []


def test_db_list_returns_the_database(rpc, odoo_sim):
    assert rpc.raw("db", "list")["result"] == [odoo_sim.db]
