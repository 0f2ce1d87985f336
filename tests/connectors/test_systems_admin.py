import json

import pytest

from apps.audit.models import AuditEntry
from apps.connectors.demo import DEMO_WEBHOOK_SECRETS
from apps.connectors.demo import seed as seed_systems
from apps.connectors.models import System
from apps.connectors.services import (
    system_create,
    system_secret_generate,
    system_secret_retire,
    system_update,
)
from apps.core.errors import ApplicationError
from tests.plugins.ledger import webhook_headers

PASSWORD = "s3cret-Passw0rd-9876"


def create_form(**overrides):
    data = {
        "code": "erp2",
        "name": "Second ERP",
        "kind": "odoo",
        "connector": "odoo",
        "base_url": "http://127.0.0.1:8069",
        "environment": "staging",
        "enabled": "on",
        "rate_limit_per_minute": "120",
        "options": '{"api": "json2"}',
        "username": "admin",
        "password": PASSWORD,
    }
    data.update(overrides)
    return data


def test_systems_pages_are_for_integration_admins_only(client_for, fiona, pat, system_factory):
    system_factory("sched")
    for user in (fiona, pat):
        client = client_for(user)
        assert client.get("/systems/").status_code == 403
        assert client.get("/systems/sched/").status_code == 403
        assert client.post("/systems/new/", create_form()).status_code == 403
    assert not System.objects.filter(code="erp2").exists()


def test_admin_creates_a_system_and_never_sees_the_password_again(client_for, ada):
    client = client_for(ada)
    response = client.post("/systems/new/", create_form())
    assert response.status_code == 302 and response["Location"] == "/systems/erp2/"
    system = System.objects.get(code="erp2")
    assert system.credentials == {"username": "admin", "password": PASSWORD}
    assert system.options == {"api": "json2"} and system.environment == "staging"
    page = client.get("/systems/erp2/").content.decode()
    assert PASSWORD not in page
    assert "…9876" in page  # the last 4 characters only
    assert 'class="badge env-staging"' in page
    entry = AuditEntry.objects.get(action="system.create")
    assert PASSWORD not in json.dumps(entry.detail)


def test_credentials_are_encrypted_at_rest(ada):
    from django.db import connection

    system = system_create(
        actor=ada, code="x1", name="X", kind="odoo", credentials={"password": PASSWORD}
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM connectors_system WHERE id = %s", [system.id])
        stored = cursor.fetchone()[0]
    assert PASSWORD not in stored


def test_blank_credential_fields_keep_stored_values(client_for, ada):
    client = client_for(ada)
    client.post("/systems/new/", create_form())
    form = create_form(password="", username="", name="Renamed ERP", enabled="")
    form.pop("code")
    response = client.post("/systems/erp2/", form)
    assert response.status_code == 302
    system = System.objects.get(code="erp2")
    assert system.name == "Renamed ERP" and system.enabled is False
    assert system.credentials == {"username": "admin", "password": PASSWORD}
    update = AuditEntry.objects.get(action="system.update")
    assert update.detail["changed"] == {"name": "Renamed ERP", "enabled": False}
    assert "credentials" not in update.detail


def test_credentials_can_be_replaced_and_cleared(ada):
    system = system_create(actor=ada, code="x2", name="X", kind="odoo", credentials={"a": "1"})
    system = system_update(actor=ada, system=system, credentials={"api_key": "k" * 12})
    assert system.credentials == {"a": "1", "api_key": "k" * 12}
    system = system_update(actor=ada, system=system, credentials_clear=True)
    assert System.objects.get(code="x2").credentials is None
    assert AuditEntry.objects.filter(action="system.update").count() == 2


def test_invalid_options_json_is_a_form_error(client_for, ada):
    response = client_for(ada).post("/systems/new/", create_form(options="{nope"))
    assert response.status_code == 200
    assert "Not valid JSON" in response.content.decode()
    assert not System.objects.filter(code="erp2").exists()


def test_duplicate_and_reserved_codes_are_refused(ada, system_factory):
    system_factory("sched")
    with pytest.raises(ApplicationError):
        system_create(actor=ada, code="sched", name="S", kind="scheduling")
    with pytest.raises(ApplicationError):
        system_create(actor=ada, code="new", name="S", kind="scheduling")


def test_generated_secret_is_shown_once_and_verifies_deliveries(
    client_for, ada, system_factory, client
):
    system_factory("sched", secrets=())
    admin = client_for(ada)
    response = admin.post("/systems/sched/secrets/", {"expires_in_days": ""})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    secret = response.context["new_secret"]["secret"]
    assert secret.startswith("whsec_") and secret in response.content.decode()
    again = admin.get("/systems/sched/").content.decode()
    assert secret not in again and secret[-4:] in again  # masked from now on
    body = json.dumps({"type": "milestone.slipped", "id": "e1", "data": {}}).encode()
    posted = client.post(
        "/api/v1/inbound/sched/events",
        body,
        content_type="application/json",
        headers=webhook_headers(secret, body),
    )
    assert posted.status_code == 202
    audit = AuditEntry.objects.get(action="system.secret.generate")
    assert secret not in json.dumps(audit.detail)


def test_rotation_with_overlap_then_retire(ada, system_factory, client):
    system = system_factory("sched", secrets=())
    old, old_entry = system_secret_generate(actor=ada, system=system)
    new, _ = system_secret_generate(actor=ada, system=system)

    def post(secret, key):
        body = json.dumps({"type": "a.b", "id": key, "data": {}}).encode()
        return client.post(
            "/api/v1/inbound/sched/events",
            body,
            content_type="application/json",
            headers=webhook_headers(secret, body),
        ).status_code

    assert (post(old, "1"), post(new, "2")) == (202, 202)
    system_secret_retire(actor=ada, system=system, secret_id=old_entry["id"], grace_hours=24)
    assert post(old, "3") == 202  # still inside the grace period
    system_secret_retire(actor=ada, system=system, secret_id=old_entry["id"])
    assert (post(old, "4"), post(new, "5")) == (401, 202)
    assert AuditEntry.objects.filter(action="system.secret.retire").count() == 2


def test_retire_from_the_page(client_for, ada, system_factory):
    system = system_factory("sched", secrets=())
    _, entry = system_secret_generate(actor=ada, system=system)
    response = client_for(ada).post(
        f"/systems/sched/secrets/{entry['id']}/retire/", {"grace_hours": "0"}
    )
    assert response.status_code == 302
    page = client_for(ada).get("/systems/sched/").content.decode()
    assert "retired" in page


def test_demo_seed_is_idempotent_and_uses_the_documented_secrets(db):
    from io import StringIO

    seed_systems(StringIO())
    seed_systems(StringIO())
    codes = set(System.objects.values_list("code", flat=True))
    assert {"odoo", "p6", "procore", "acc", "estimating", "field", "bank"} <= codes
    p6 = System.objects.get(code="p6")
    assert [e["secret"] for e in p6.webhook_secrets] == [DEMO_WEBHOOK_SECRETS["p6"]]
    odoo = System.objects.get(code="odoo")
    assert odoo.credentials == {"database": "odoo_sim", "username": "admin", "password": "admin"}
    assert odoo.base_url == "http://127.0.0.1:8069" and odoo.kind == "odoo"


# --- API ----------------------------------------------------------------------------------------


def test_api_create_read_patch_and_secrets(api_client_for, ada, fiona):
    api = api_client_for(ada)
    response = api.post(
        "/api/v1/systems/",
        {
            "code": "est2",
            "name": "Estimating 2",
            "kind": "estimating",
            "credentials": {"api_key": "abcd1234efgh"},
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["credentials"] == [{"key": "api_key", "set": True, "last4": "efgh"}]
    assert "abcd1234efgh" not in json.dumps(body)
    response = api.patch("/api/v1/systems/est2/", {"enabled": False}, format="json")
    assert response.status_code == 200 and response.json()["enabled"] is False
    created = api.post("/api/v1/systems/est2/secrets/", {}, format="json")
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    listed = api.get("/api/v1/systems/est2/secrets/").json()
    assert listed[0]["id"] == created.json()["id"] and created.json()["secret"] not in json.dumps(
        listed
    )
    retired = api.post(
        f"/api/v1/systems/est2/secrets/{created.json()['id']}/retire/", {}, format="json"
    )
    assert retired.status_code == 200 and retired.json()["state"] == "retired"
    assert api_client_for(fiona).get("/api/v1/systems/").status_code == 403
    bad = api.post(
        "/api/v1/systems/", {"code": "x", "name": "X", "kind": "spaceship"}, format="json"
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "validation_error"
    assert api.get("/api/v1/systems/nope/").status_code == 404
