"""The web-client session routes (cookie session) and the JSON-2 API (bearer API key)."""

from __future__ import annotations

import httpx
import pytest


def jsonrpc(client: httpx.Client, path: str, params: dict) -> dict:
    response = client.post(
        path, json={"jsonrpc": "2.0", "method": "call", "id": 7, "params": params}
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def web(odoo_sim):
    with httpx.Client(base_url=odoo_sim.url, timeout=10.0, verify=False) as client:
        yield client


def login(web, odoo_sim, login="admin", password="admin") -> dict:
    return jsonrpc(
        web, "/web/session/authenticate", {"db": odoo_sim.db, "login": login, "password": password}
    )


def test_authenticate_sets_a_session_cookie_and_returns_session_info(web, odoo_sim):
    data = login(web, odoo_sim)
    info = data["result"]
    assert info["uid"] == 2 and info["db"] == odoo_sim.db and info["username"] == "admin"
    assert info["user_context"] == {"lang": "en_US", "tz": "Europe/Berlin", "uid": 2}
    assert info["server_version_info"][0] == 19
    assert web.cookies.get("session_id")
    again = jsonrpc(web, "/web/session/get_session_info", {})
    assert again["result"]["uid"] == 2


def test_call_kw_with_the_session_cookie(web, odoo_sim):
    login(web, odoo_sim, "buyer", "buyer")
    result = jsonrpc(
        web,
        "/web/dataset/call_kw/res.partner/search_read",
        {
            "model": "res.partner",
            "method": "search_read",
            "args": [[["ref", "=", "V-1001"]]],
            "kwargs": {"fields": ["name"], "context": {"lang": "en_US"}},
        },
    )["result"]
    assert [row["name"] for row in result] == ["Baustoff Schmidt GmbH"]
    created = jsonrpc(
        web,
        "/web/dataset/call_kw",
        {"model": "purchase.order", "method": "create", "args": [{"partner_id": 6}], "kwargs": {}},
    )["result"]
    assert isinstance(created, int)
    assert (
        odoo_sim.records("purchase.order", ["create_uid"], [["id", "=", created]])[0]["create_uid"][
            0
        ]
        == odoo_sim.users["buyer"].uid
    )


def test_call_kw_without_session_is_session_expired_code_100(web):
    data = jsonrpc(
        web,
        "/web/dataset/call_kw",
        {"model": "res.partner", "method": "search", "args": [[]], "kwargs": {}},
    )
    assert data["error"]["code"] == 100
    assert data["error"]["message"] == "Odoo Session Expired"
    assert data["error"]["data"]["name"] == "odoo.http.SessionExpiredException"


def test_destroy_ends_the_session(web, odoo_sim):
    login(web, odoo_sim)
    data = jsonrpc(web, "/web/session/destroy", {})
    assert "error" not in data and "result" not in data
    after = jsonrpc(web, "/web/session/get_session_info", {})
    assert after["error"]["code"] == 100


def test_bad_credentials_and_unknown_database(web, odoo_sim):
    denied = login(web, odoo_sim, "admin", "wrong")
    assert denied["error"]["data"]["name"] == "odoo.exceptions.AccessDenied"
    assert "session_id" not in web.cookies
    wrong_db = jsonrpc(
        web, "/web/session/authenticate", {"db": "other", "login": "admin", "password": "admin"}
    )
    assert wrong_db["error"]["data"]["name"] == "odoo.exceptions.AccessError"
    assert wrong_db["error"]["data"]["message"] == "Database not found."


def test_version_routes_and_database_list(web, odoo_sim):
    assert jsonrpc(web, "/web/webclient/version_info", {})["result"]["server_serie"] == "19.0"
    assert jsonrpc(web, "/web/database/list", {})["result"] == [odoo_sim.db]
    version = web.get("/web/version").json()
    assert version == {"version_info": [19, 0, 0, "final", 0, ""], "version": "19.0"}


def test_web_call_kw_unknown_model_is_404_error(web, odoo_sim):
    login(web, odoo_sim)
    data = jsonrpc(
        web,
        "/web/dataset/call_kw",
        {"model": "no.model", "method": "search", "args": [[]], "kwargs": {}},
    )
    assert data["error"]["code"] == 404
    assert data["error"]["message"] == "404: Not Found"


# -- JSON-2 ---------------------------------------------------------------------------------------


def json2(web, path, body=None, key="admin", headers=None):
    all_headers = {"Authorization": f"bearer {key}", **(headers or {})}
    return web.post(f"/json/2/{path}", json=body if body is not None else {}, headers=all_headers)


def test_json2_search_read_with_named_arguments(web):
    response = json2(
        web,
        "res.partner/search_read",
        {
            "domain": [["name", "ilike", "%rebar%"], ["is_company", "=", True]],
            "fields": ["name"],
            "context": {"lang": "en_US"},
        },
        headers={"X-Odoo-Database": "odoo_sim"},
    )
    assert response.status_code == 200
    assert response.json() == [{"id": 8, "name": "Nordic Rebar AB"}]


def test_json2_create_returns_ids_and_write_returns_true(web, odoo_sim):
    created = json2(web, "res.partner/create", {"vals_list": {"name": "JSON2 Vendor"}})
    assert (
        created.status_code == 200 and isinstance(created.json(), list) and len(created.json()) == 1
    )
    [partner_id] = created.json()
    written = json2(web, "res.partner/write", {"ids": [partner_id], "vals": {"ref": "V-2"}})
    assert written.json() is True
    assert json2(web, "res.partner/search_count", {"domain": [["ref", "=", "V-2"]]}).json() == 1
    assert json2(web, "res.users/context_get").json()["uid"] == 2
    assert odoo_sim.stats()["protocols"]["json2"] == 4


def test_json2_errors_use_http_status_and_the_error_body(web, odoo_sim):
    unauthorized = json2(web, "res.partner/search", {"domain": []}, key="wrong")
    assert unauthorized.status_code == 401
    body = unauthorized.json()
    assert body["name"] == "werkzeug.exceptions.Unauthorized"
    assert body["message"] == "Invalid apikey" and body["arguments"] == ["Invalid apikey", 401]
    assert set(body) == {"name", "message", "arguments", "context", "debug"}
    no_header = web.post("/json/2/res.partner/search", json={"domain": []})
    assert no_header.status_code == 401

    assert json2(web, "no.model/search", {"domain": []}).status_code == 404
    unknown_method = json2(web, "res.partner/frobnicate", {})
    assert unknown_method.status_code == 404
    assert unknown_method.json()["name"] == "werkzeug.exceptions.NotFound"
    hint = web.post("/json/2", headers={"Authorization": "bearer admin"})
    assert hint.status_code == 404 and "Did you mean POST /json/2/<model>/<method>?" in hint.text

    with_ids = json2(web, "res.partner/create", {"ids": [1], "vals_list": {"name": "x"}})
    assert with_ids.status_code == 422
    assert with_ids.json()["message"] == "cannot call res.partner.create with ids"
    bad_kwarg = json2(web, "res.partner/search", {"domain": [], "bogus": 1})
    assert bad_kwarg.status_code == 422 and "bogus" in bad_kwarg.json()["message"]
    bad_json = web.post(
        "/json/2/res.partner/search",
        content=b"{oops",
        headers={"Authorization": "bearer admin", "Content-Type": "application/json"},
    )
    assert bad_json.status_code == 400
    assert bad_json.json()["message"].startswith("could not parse the body as json")

    readonly = odoo_sim.users["readonly"].api_key
    forbidden = json2(web, "res.partner/create", {"vals_list": [{"name": "x"}]}, key=readonly)
    assert forbidden.status_code == 403
    assert forbidden.json()["name"] == "odoo.exceptions.AccessError"
    missing = json2(web, "res.partner/write", {"ids": [99999], "vals": {"name": "x"}})
    assert missing.status_code == 404 and missing.json()["name"] == "odoo.exceptions.MissingError"
    user_error = json2(web, "purchase.order/button_confirm", {"ids": [1]}, key=readonly)
    assert user_error.status_code == 403
    json2(web, "purchase.order/button_cancel", {"ids": [1]})
    business = json2(web, "purchase.order/button_confirm", {"ids": [1]})
    assert business.status_code == 422 and business.json()["name"] == "odoo.exceptions.UserError"
    wrong_db = json2(
        web, "res.partner/search", {"domain": []}, headers={"X-Odoo-Database": "other"}
    )
    assert wrong_db.status_code == 404


def test_json2_method_returning_none_gives_null(web):
    response = json2(web, "purchase.order/button_cancel", {"ids": [1]})
    assert response.status_code == 200 and response.json() is None


def test_validation_errors_in_json2_and_web_routes(web, odoo_sim):
    invalid = json2(web, "purchase.order/create", {"vals_list": [{"partner_ref": "no vendor"}]})
    assert invalid.status_code == 422
    assert invalid.json()["name"] == "odoo.exceptions.ValidationError"
    assert "Field: Vendor (partner_id)" in invalid.json()["message"]
    login(web, odoo_sim)
    data = jsonrpc(
        web,
        "/web/dataset/call_kw/purchase.order/create",
        {"model": "purchase.order", "method": "create", "args": [{}], "kwargs": {}},
    )
    assert data["error"]["code"] == 200
    assert data["error"]["data"]["name"] == "odoo.exceptions.ValidationError"


def test_api_doc_describes_models_and_named_parameters(web):
    assert web.get("/doc-bearer/index.json").status_code == 401
    headers = {"Authorization": "bearer admin"}
    index = web.get("/doc-bearer/index.json", headers=headers).json()
    assert {"model": "purchase.order", "name": "Purchase Order"} in index["models"]
    doc = web.get("/doc-bearer/purchase.order.json", headers=headers).json()
    assert list(doc["methods"]["search_read"]["parameters"]) == [
        "domain",
        "fields",
        "offset",
        "limit",
        "order",
    ]
    assert doc["methods"]["create"]["api"] == ["model"]
    assert doc["methods"]["button_confirm"]["api"] == []
    assert doc["fields"]["partner_id"]["relation"] == "res.partner"
    assert web.get("/doc-bearer/no.model.json", headers=headers).status_code == 404


def test_call_button_runs_business_methods_in_the_session(web, odoo_sim):
    login(web, odoo_sim, "buyer", "buyer")
    data = jsonrpc(
        web,
        "/web/dataset/call_button",
        {"model": "purchase.order", "method": "button_confirm", "args": [[1]], "kwargs": {}},
    )
    assert data["result"] is True
    assert odoo_sim.records("purchase.order", ["state"], [["id", "=", 1]])[0]["state"] == "purchase"
