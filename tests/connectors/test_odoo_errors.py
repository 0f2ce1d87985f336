"""Error mapping of the Odoo connector, edge cases over httpx.MockTransport.

The same kinds are exercised against the real simulator over loopback in
test_odoo_connector_sim.py; here are the shapes the simulator cannot easily produce (proxies,
HTTP-dates, odd bodies) and the exact classification table.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest

from apps.connectors.errors import PermanentError, TransientError
from apps.connectors.odoo.connector import OdooConnector
from apps.connectors.odoo.errors import error_from_odoo, http_date, retry_after_parse

SECRET = "admin-secret-pw"


def _jsonrpc_error(name: str, message: str, *, code: int = 200) -> dict:
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "error": {
            "code": code,
            "message": "Odoo Server Error",
            "data": {
                "name": name,
                "debug": "Traceback (most recent call last):\n ...",
                "message": message,
                "arguments": [message],
                "context": {},
            },
        },
    }


def _fake_odoo(object_response):
    """A /jsonrpc endpoint: authenticate answers uid 2; object calls get `object_response`,
    either a dict (JSON body, HTTP 200) or an httpx.Response or an exception to raise."""
    seen = {"authenticate": 0, "object": 0, "bodies": []}

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen["bodies"].append(body)
        params = body["params"]
        if params["service"] == "common" and params["method"] == "authenticate":
            seen["authenticate"] += 1
            return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": 2})
        if params["service"] == "common" and params["method"] == "version":
            return httpx.Response(
                200, json={"jsonrpc": "2.0", "id": body["id"], "result": {"server_version": "17.0"}}
            )
        seen["object"] += 1
        response = object_response(body) if callable(object_response) else object_response
        if isinstance(response, Exception):
            raise response
        if isinstance(response, httpx.Response):
            return response
        return httpx.Response(200, json=response)

    return handler, seen


def _connector(system, handler) -> OdooConnector:
    return OdooConnector(system, transport=httpx.MockTransport(handler))


@pytest.fixture
def jsonrpc_system(odoo_system_for):
    return odoo_system_for("http://odoo.test")


@pytest.fixture
def json2_system(odoo_system_for):
    return odoo_system_for(
        "http://odoo.test", api="json2", credentials={"database": "odoo_sim", "api_key": SECRET}
    )


# --- classification table -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "message", "kind", "code"),
    [
        ("odoo.exceptions.AccessError", "You are not allowed", PermanentError, "access_error"),
        ("odoo.exceptions.AccessDenied", "Access Denied", PermanentError, "access_denied"),
        ("odoo.exceptions.ValidationError", "mandatory", PermanentError, "validation_error"),
        ("odoo.exceptions.MissingError", "Record does not exist", PermanentError, "missing_record"),
        ("odoo.exceptions.UserError", "Unable to cancel", PermanentError, "user_error"),
        ("builtins.AttributeError", "no attribute 'x'", PermanentError, "method_not_found"),
        (
            "psycopg2.errors.SerializationFailure",
            "could not serialize access due to concurrent update",
            TransientError,
            "serialization_failure",
        ),
        (
            "psycopg2.extensions.TransactionRollbackError",
            "deadlock detected",
            TransientError,
            "serialization_failure",
        ),
        # Odoo sometimes re-wraps the database error; the message still tells.
        (
            "odoo.exceptions.UserError",
            "could not serialize access due to concurrent update",
            TransientError,
            "serialization_failure",
        ),
        ("odoo.exceptions.LockError", "record is locked", TransientError, "locked"),
        ("builtins.MemoryError", "out of memory", TransientError, "server_error"),
    ],
)
def test_odoo_error_names_map_to_permanent_or_transient(name, message, kind, code):
    error = error_from_odoo(name=name, message=message)
    assert type(error) is kind
    assert error.code == code
    assert error.remote_name == name
    assert message in error.message


def test_retry_after_parses_delta_seconds_and_http_dates():
    assert retry_after_parse("7") == 7.0
    assert retry_after_parse(" 0 ") == 0.0
    now = time.time()
    assert retry_after_parse(http_date(120), now=now) == pytest.approx(120, abs=1.5)
    # A date in the past means "now", never a negative wait.
    assert retry_after_parse("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_parse("soon") is None
    assert retry_after_parse("-5") is None
    assert retry_after_parse(None) is None


# --- JSON-RPC over the wire --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "kind", "code"),
    [
        ("odoo.exceptions.AccessError", PermanentError, "access_error"),
        ("odoo.exceptions.ValidationError", PermanentError, "validation_error"),
        ("odoo.exceptions.MissingError", PermanentError, "missing_record"),
        ("odoo.exceptions.UserError", PermanentError, "user_error"),
        ("psycopg2.errors.SerializationFailure", TransientError, "serialization_failure"),
    ],
)
def test_jsonrpc_error_object_is_raised_with_remote_name_and_message(
    jsonrpc_system, name, kind, code
):
    handler, _ = _fake_odoo(_jsonrpc_error(name, "the reason Odoo gave"))
    connector = _connector(jsonrpc_system, handler)
    with pytest.raises(kind) as caught:
        connector.call("res.partner", "write", [[1], {"name": "x"}])
    assert caught.value.code == code
    assert caught.value.remote_name == name
    assert caught.value.message == "the reason Odoo gave"
    assert f"{name}: the reason Odoo gave" == str(caught.value)


def test_jsonrpc_access_denied_in_execute_kw_is_permanent_and_forces_a_new_login(
    jsonrpc_system,
):
    answers = iter(
        [
            _jsonrpc_error("odoo.exceptions.AccessDenied", "Access Denied"),
            {"jsonrpc": "2.0", "id": 2, "result": [1]},
        ]
    )
    handler, seen = _fake_odoo(lambda body: next(answers))
    connector = _connector(jsonrpc_system, handler)
    with pytest.raises(PermanentError) as caught:
        connector.call("res.partner", "search", [[]])
    assert caught.value.code == "access_denied"
    assert connector.call("res.partner", "search", [[]]) == [1]
    assert seen["authenticate"] == 2


def test_jsonrpc_bad_login_is_permanent_auth_failed(jsonrpc_system):
    def handler(request):
        body = json.loads(request.content)
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": False})

    connector = _connector(jsonrpc_system, handler)
    with pytest.raises(PermanentError) as caught:
        connector.call("res.partner", "search", [[]])
    assert caught.value.code == "auth_failed"
    assert caught.value.remote_name == "odoo.exceptions.AccessDenied"
    assert SECRET not in str(caught.value)


def test_jsonrpc_logs_in_once_and_reuses_the_uid(jsonrpc_system):
    handler, seen = _fake_odoo({"jsonrpc": "2.0", "id": 1, "result": []})
    connector = _connector(jsonrpc_system, handler)
    for _ in range(3):
        connector.call("res.partner", "search", [[]])
    assert seen["authenticate"] == 1
    assert seen["object"] == 3
    assert connector.round_trips == 4
    args = seen["bodies"][-1]["params"]["args"]
    assert args[:5] == ["odoo_sim", 2, SECRET, "res.partner", "search"]


def test_jsonrpc_result_missing_means_none(jsonrpc_system):
    handler, _ = _fake_odoo({"jsonrpc": "2.0", "id": 1})
    connector = _connector(jsonrpc_system, handler)
    assert connector.call("purchase.order", "button_cancel", [[3]]) is None


def test_session_expired_code_100_is_transient(jsonrpc_system):
    body = {"jsonrpc": "2.0", "id": 1, "error": {"code": 100, "message": "Odoo Session Expired"}}
    handler, _ = _fake_odoo(body)
    with pytest.raises(TransientError) as caught:
        _connector(jsonrpc_system, handler).call("res.partner", "search", [[]])
    assert caught.value.code == "session_expired"


def test_http_429_with_delta_retry_after_is_transient_with_the_delay(jsonrpc_system):
    handler, _ = _fake_odoo(httpx.Response(429, headers={"Retry-After": "17"}, text="slow down"))
    with pytest.raises(TransientError) as caught:
        _connector(jsonrpc_system, handler).call("res.partner", "search", [[]])
    assert caught.value.code == "rate_limited"
    assert caught.value.retry_after == 17.0
    assert caught.value.status_code == 429


def test_http_429_with_http_date_retry_after_is_parsed_to_seconds(jsonrpc_system):
    handler, _ = _fake_odoo(httpx.Response(429, headers={"Retry-After": http_date(90)}))
    with pytest.raises(TransientError) as caught:
        _connector(jsonrpc_system, handler).call("res.partner", "search", [[]])
    assert caught.value.retry_after == pytest.approx(90, abs=2)


@pytest.mark.parametrize(
    ("status", "code"), [(500, "server_error"), (502, "server_error"), (503, "unavailable")]
)
def test_http_5xx_from_a_proxy_is_transient(jsonrpc_system, status, code):
    handler, _ = _fake_odoo(httpx.Response(status, text="<html>Bad Gateway</html>"))
    with pytest.raises(TransientError) as caught:
        _connector(jsonrpc_system, handler).call("res.partner", "search", [[]])
    assert caught.value.code == code
    assert caught.value.status_code == status


def test_missing_jsonrpc_endpoint_is_permanent_and_says_to_switch_to_json2(jsonrpc_system):
    def handler(request):
        return httpx.Response(404, text="Not Found")

    with pytest.raises(PermanentError) as caught:
        _connector(jsonrpc_system, handler).call("res.partner", "search", [[]])
    assert caught.value.code == "not_found"
    assert "json2" in caught.value.message


def test_non_json_answer_is_transient_invalid_response(jsonrpc_system):
    handler, _ = _fake_odoo(httpx.Response(200, text="<html>maintenance</html>"))
    with pytest.raises(TransientError) as caught:
        _connector(jsonrpc_system, handler).call("res.partner", "search", [[]])
    assert caught.value.code == "invalid_response"


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ReadTimeout("timed out"),
        httpx.ConnectTimeout("timed out"),
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
)
def test_transport_failures_are_transient_and_observed(jsonrpc_system, exc):
    handler, _ = _fake_odoo(exc)
    connector = _connector(jsonrpc_system, handler)
    records = []
    connector.on_call = records.append
    with pytest.raises(TransientError) as caught:
        connector.call("res.partner", "search", [[]])
    expected = "timeout" if isinstance(exc, httpx.TimeoutException) else "connection_error"
    assert caught.value.code == expected
    # Two round trips: the login, then the failed call, reported with its error code.
    assert [r["method"] for r in records] == ["authenticate", "search"]
    assert records[-1]["ok"] is False
    assert records[-1]["error_code"] == expected
    assert "status_code" not in records[-1]


def test_a_redirect_is_a_configuration_error(jsonrpc_system):
    handler, _ = _fake_odoo(httpx.Response(302, headers={"Location": "https://odoo.test/"}))
    with pytest.raises(PermanentError) as caught:
        _connector(jsonrpc_system, handler).call("res.partner", "search", [[]])
    assert caught.value.code == "configuration_error"


# --- JSON-2 ------------------------------------------------------------------------------------
def _json2_error(status: int, name: str, message: str, headers=None) -> httpx.Response:
    body = {"name": name, "message": message, "arguments": [message], "context": {}, "debug": ""}
    return httpx.Response(status, json=body, headers=headers or {})


@pytest.mark.parametrize(
    ("response", "kind", "code"),
    [
        (
            _json2_error(401, "werkzeug.exceptions.Unauthorized", "Invalid apikey"),
            PermanentError,
            "auth_failed",
        ),
        (
            _json2_error(403, "odoo.exceptions.AccessError", "not allowed"),
            PermanentError,
            "access_error",
        ),
        (
            _json2_error(404, "odoo.exceptions.MissingError", "Record does not exist"),
            PermanentError,
            "missing_record",
        ),
        (
            _json2_error(404, "werkzeug.exceptions.NotFound", "the model 'x' does not exist"),
            PermanentError,
            "not_found",
        ),
        (
            _json2_error(422, "odoo.exceptions.ValidationError", "missing field"),
            PermanentError,
            "validation_error",
        ),
        (
            _json2_error(422, "werkzeug.exceptions.UnprocessableEntity", "unexpected kwarg"),
            PermanentError,
            "bad_request",
        ),
        (
            _json2_error(409, "odoo.exceptions.LockError", "locked by another transaction"),
            TransientError,
            "locked",
        ),
        (
            _json2_error(500, "psycopg2.errors.SerializationFailure", "could not serialize"),
            TransientError,
            "serialization_failure",
        ),
        (_json2_error(500, "builtins.RuntimeError", "boom"), TransientError, "server_error"),
        (httpx.Response(408, text="Request Timeout"), TransientError, "timeout"),
        (httpx.Response(400, text="could not parse the body"), PermanentError, "bad_request"),
    ],
)
def test_json2_statuses_and_bodies_map_precisely(json2_system, response, kind, code):
    connector = _connector(json2_system, lambda request: response)
    with pytest.raises(kind) as caught:
        connector.call("res.partner", "write", [[1], {"name": "x"}])
    assert caught.value.code == code
    assert caught.value.status_code == response.status_code


def test_json2_429_retry_after_http_date(json2_system):
    response = httpx.Response(429, headers={"Retry-After": http_date(30)}, text="Too Many")
    connector = _connector(json2_system, lambda request: response)
    with pytest.raises(TransientError) as caught:
        connector.call("res.partner", "search_read", [[]], {"fields": ["name"]})
    assert caught.value.code == "rate_limited"
    assert caught.value.retry_after == pytest.approx(30, abs=2)


def test_json2_sends_bearer_key_database_and_named_arguments(json2_system):
    requests = []

    def handler(request):
        requests.append(request)
        return httpx.Response(200, json=True)

    connector = _connector(json2_system, handler)
    connector.call("res.partner", "write", [[4, 5], {"name": "New"}])
    connector.call("res.partner", "search_read", [[("id", ">", 3)]], {"limit": 2})
    write, search = requests
    assert write.url.path == "/json/2/res.partner/write"
    assert write.headers["authorization"] == f"bearer {SECRET}"
    assert write.headers["x-odoo-database"] == "odoo_sim"
    assert json.loads(write.content) == {"ids": [4, 5], "vals": {"name": "New"}}
    # @api.model methods carry no ids; positional arguments become their Odoo names.
    assert json.loads(search.content) == {"domain": [["id", ">", 3]], "limit": 2}


def test_secrets_never_appear_in_observer_records_or_reprs(jsonrpc_system):
    handler, _ = _fake_odoo(_jsonrpc_error("odoo.exceptions.ValidationError", "bad"))
    connector = _connector(jsonrpc_system, handler)
    records = []
    connector.on_call = records.append
    with pytest.raises(PermanentError) as caught:
        connector.call("res.partner", "create", [[{}]])
    assert SECRET not in repr(connector.client.credentials)
    assert SECRET not in json.dumps(records)
    assert SECRET not in str(caught.value)


def test_incomplete_credentials_are_a_configuration_error(odoo_system_for):
    system = odoo_system_for("http://odoo.test", credentials={"database": "odoo_sim"})
    with pytest.raises(PermanentError) as caught:
        OdooConnector(system).client  # noqa: B018
    assert caught.value.code == "configuration_error"
    assert "username" in caught.value.message
    system = odoo_system_for(
        "http://odoo.test", api="json2", credentials={"database": "d", "password": "p"}
    )
    with pytest.raises(PermanentError, match="api_key"):
        OdooConnector(system).client  # noqa: B018


def test_unknown_api_option_is_a_configuration_error(odoo_system_for):
    system = odoo_system_for("http://odoo.test", api="xmlrpc")
    with pytest.raises(PermanentError) as caught:
        OdooConnector(system).client  # noqa: B018
    assert caught.value.code == "configuration_error"
