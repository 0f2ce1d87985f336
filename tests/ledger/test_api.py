from apps.ledger.choices import TransactionStatus
from apps.ledger.services import transaction_transition
from tests.ledger.factories import inbound_tx, outbound_tx

S = TransactionStatus


def test_api_list_is_scoped_and_filtered(api_client_for, fiona, inbound_system, school, bridge):
    mine = inbound_tx(inbound_system, project=school, domain="invoice")
    other_domain = inbound_tx(inbound_system, project=school, domain="receipt")
    inbound_tx(inbound_system, project=bridge, domain="invoice")
    api = api_client_for(fiona)
    response = api.get("/api/v1/transactions/")
    assert response.status_code == 200
    assert {r["id"] for r in response.json()["results"]} == {mine.id, other_domain.id}
    response = api.get("/api/v1/transactions/?domain=invoice")
    assert [r["id"] for r in response.json()["results"]] == [mine.id]
    assert response.json()["results"][0]["project"] == "SCH-001"


def test_api_cursor_pagination(api_client_for, ada, inbound_system):
    ids = [inbound_tx(inbound_system).id for _ in range(7)]
    api = api_client_for(ada)
    response = api.get("/api/v1/transactions/?page_size=5").json()
    assert [r["id"] for r in response["results"]] == sorted(ids, reverse=True)[:5]
    following = api.get(response["next"]).json()
    assert [r["id"] for r in following["results"]] == sorted(ids, reverse=True)[5:]
    assert following["next"] is None


def test_api_rejects_bad_filters_with_the_error_shape(api_client_for, ada):
    response = api_client_for(ada).get("/api/v1/transactions/?status=exploded")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_api_detail_and_other_project_404(api_client_for, fiona, inbound_system, school, bridge):
    mine = inbound_tx(inbound_system, project=school, payload={"data": {"password": "hunter2"}})
    transaction_transition(transaction=mine, to_status=S.VALIDATED)
    theirs = inbound_tx(inbound_system, project=bridge)
    api = api_client_for(fiona)
    body = api.get(f"/api/v1/transactions/{mine.id}/").json()
    assert body["id"] == mine.id and body["payload"]["data"]["password"] == "••••••••"
    assert [(e["from_status"], e["to_status"]) for e in body["events"]] == [
        ("received", "validated")
    ]
    response = api.get(f"/api/v1/transactions/{theirs.id}/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert api.get(f"/api/v1/transactions/{theirs.id}/lineage/").status_code == 404


def test_api_lineage(api_client_for, ada, inbound_system, odoo_system):
    root = inbound_tx(inbound_system)
    child = outbound_tx(root, odoo_system)
    body = api_client_for(ada).get(f"/api/v1/transactions/{child.id}/lineage/").json()
    assert {n["id"] for n in body["nodes"]} == {root.id, child.id}
    assert body["edges"] == [{"source": root.id, "target": child.id, "kind": "parent"}]


def test_api_roles(api_client_for, rob, pat, inbound_system, school, client):
    tx = inbound_tx(inbound_system, project=school)
    transaction_transition(transaction=tx, to_status=S.FAILED)
    assert api_client_for(rob).get("/api/v1/transactions/").status_code == 403
    assert client.get("/api/v1/transactions/").status_code in (401, 403)
    pmo = api_client_for(pat)
    assert pmo.get(f"/api/v1/transactions/{tx.id}/").status_code == 200
    response = pmo.post(f"/api/v1/transactions/{tx.id}/replay/", {"reason": "x"}, format="json")
    assert response.status_code == 403
    assert pmo.get("/api/v1/refused-requests/").status_code == 403


def test_api_replay_by_admin(api_client_for, ada, inbound_system):
    tx = inbound_tx(inbound_system)
    transaction_transition(transaction=tx, to_status=S.FAILED)
    api = api_client_for(ada)
    response = api.post(f"/api/v1/transactions/{tx.id}/replay/", {"reason": "fixed"}, format="json")
    assert response.status_code == 201
    assert response.json()["parent_id"] == tx.id and response.json()["trigger"] == "replay"
    live = inbound_tx(inbound_system)
    response = api.post(f"/api/v1/transactions/{live.id}/replay/", {"reason": "x"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_replayable"


def test_api_refused_requests(api_client_for, ada, inbound_system, signed_post, client):
    signed_post(client, "sched", {"type": "a.b", "data": {}}, secret="wrong")
    body = api_client_for(ada).get("/api/v1/refused-requests/").json()
    assert [(r["system_code"], r["http_status"], r["reason"]) for r in body["results"]] == [
        ("sched", 401, "signature_invalid")
    ]
