"""XML-RPC at /xmlrpc/2/<service> (int fault codes) and the legacy /xmlrpc/<service>."""

from __future__ import annotations

import xmlrpc.client

import pytest


@pytest.fixture
def models(odoo_sim):
    return xmlrpc.client.ServerProxy(f"{odoo_sim.url}/xmlrpc/2/object")


@pytest.fixture
def legacy(odoo_sim):
    return xmlrpc.client.ServerProxy(f"{odoo_sim.url}/xmlrpc/object")


def fault_of(call) -> xmlrpc.client.Fault:
    with pytest.raises(xmlrpc.client.Fault) as caught:
        call()
    return caught.value


def test_common_login_returns_false_on_bad_password(odoo_sim):
    common = xmlrpc.client.ServerProxy(f"{odoo_sim.url}/xmlrpc/2/common")
    assert common.login(odoo_sim.db, "admin", "nope") is False
    assert common.login(odoo_sim.db, "readonly", "readonly") == odoo_sim.users["readonly"].uid


def test_access_denied_is_fault_3(models, odoo_sim):
    fault = fault_of(
        lambda: models.execute_kw(odoo_sim.db, 2, "bad", "res.partner", "search", [[]])
    )
    assert fault.faultCode == 3
    assert fault.faultString == "Access Denied"


def test_access_error_is_fault_4(models, odoo_sim):
    user = odoo_sim.users["readonly"]
    fault = fault_of(
        lambda: models.execute_kw(
            odoo_sim.db, user.uid, user.password, "res.partner", "create", [{"name": "x"}]
        )
    )
    assert fault.faultCode == 4
    assert fault.faultString.startswith("You are not allowed to create 'Contact' (res.partner)")


def test_user_validation_and_missing_errors_are_fault_2(models, odoo_sim):
    db = odoo_sim.db
    cancelled = fault_of(lambda: _cancel_then_confirm(models, db))
    assert cancelled.faultCode == 2 and "cancelled" in cancelled.faultString
    invalid = fault_of(lambda: models.execute_kw(db, 2, "admin", "purchase.order", "create", [{}]))
    assert invalid.faultCode == 2 and "mandatory field" in invalid.faultString
    missing = fault_of(
        lambda: models.execute_kw(db, 2, "admin", "res.partner", "write", [[99999], {"name": "x"}])
    )
    assert missing.faultCode == 2 and missing.faultString.startswith("Record does not exist")


def _cancel_then_confirm(models, db):
    models.execute_kw(db, 2, "admin", "purchase.order", "write", [[1], {"state": "cancel"}])
    models.execute_kw(db, 2, "admin", "purchase.order", "button_confirm", [[1]])


def test_other_errors_are_fault_1_with_a_traceback(models, odoo_sim):
    fault = fault_of(
        lambda: models.execute_kw(odoo_sim.db, 2, "admin", "res.partner", "nope", [[1]])
    )
    assert fault.faultCode == 1
    assert fault.faultString.startswith("Traceback (most recent call last):")
    assert "AttributeError: type object 'res.partner' has no attribute 'nope'" in fault.faultString


def test_none_result_cannot_be_marshalled_but_the_call_is_applied(models, odoo_sim):
    fault = fault_of(
        lambda: models.execute_kw(odoo_sim.db, 2, "admin", "purchase.order", "button_cancel", [[1]])
    )
    assert fault.faultCode == 1
    assert "cannot marshal None" in fault.faultString
    [po] = odoo_sim.records("purchase.order", ["state"], [["id", "=", 1]])
    assert po["state"] == "cancel"


def test_legacy_endpoint_uses_string_fault_codes(legacy, odoo_sim):
    denied = fault_of(
        lambda: legacy.execute_kw(odoo_sim.db, 2, "bad", "res.partner", "search", [[]])
    )
    assert denied.faultCode == "AccessDenied"
    user = odoo_sim.users["readonly"]
    access = fault_of(
        lambda: legacy.execute_kw(
            odoo_sim.db, user.uid, user.password, "res.partner", "unlink", [[6]]
        )
    )
    assert access.faultCode.startswith("warning -- AccessError\n\nYou are not allowed to delete")
    missing = fault_of(
        lambda: legacy.execute_kw(odoo_sim.db, 2, "admin", "res.partner", "write", [[999], {}])
    )
    assert missing.faultCode.startswith("warning -- MissingError\n\nRecord does not exist")
    assert (
        legacy.execute_kw(
            odoo_sim.db, 2, "admin", "res.partner", "search_count", [[["id", "=", 6]]]
        )
        == 1
    )


def test_db_service_and_strings_with_control_characters(odoo_sim):
    db = xmlrpc.client.ServerProxy(f"{odoo_sim.url}/xmlrpc/2/db")
    assert db.list() == [odoo_sim.db]
    assert db.server_version() == "19.0"
    models = xmlrpc.client.ServerProxy(f"{odoo_sim.url}/xmlrpc/2/object")
    partner = odoo_sim.call("res.partner", "create", {"name": "Bell\x07Co"})  # JSON can carry it
    [row] = models.execute_kw(odoo_sim.db, 2, "admin", "res.partner", "read", [[partner], ["name"]])
    assert row["name"] == "BellCo"  # Odoo's marshaller strips control characters


def test_unknown_database_is_an_error_not_false(odoo_sim):
    common = xmlrpc.client.ServerProxy(f"{odoo_sim.url}/xmlrpc/2/common")
    fault = fault_of(lambda: common.login("nodb", "admin", "admin"))
    assert fault.faultCode == 1 and 'database "nodb" does not exist' in fault.faultString
