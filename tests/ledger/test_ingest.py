import hashlib
import json
import threading
import time

import httpx
import pytest
from django.db import connection
from django.test import Client

from apps.connectors.base import Connector, ParsedEvent
from apps.connectors.registry import register
from apps.ledger.models import RefusedRequest, Transaction, TransactionFile
from apps.ledger.signatures import secret_generate
from tests.plugins.ledger import INBOUND_SECRET, secret_entries, webhook_headers

URL = "/api/v1/inbound/sched/events"


def event(key="evt-1", **extra):
    body = {
        "type": "milestone.slipped",
        "id": key,
        "project": "SCH-001",
        "timestamp": "2026-03-01T08:00:00Z",
        "data": {"activity_id": "A1000", "slip_days": 12},
    }
    body.update(extra)
    return body


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)


def test_valid_event_is_committed_before_202(client, inbound_system, school, signed_post):
    response = signed_post(client, "sched", event())
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "received"
    tx = Transaction.objects.get(id=body["transaction_id"])
    assert Transaction.objects.count() == 1
    assert (tx.domain, tx.operation, tx.idempotency_key) == ("milestone", "slipped", "evt-1")
    assert tx.project_id == school.id
    assert tx.reference == "A1000"
    assert tx.trigger == "webhook" and tx.status == "received"
    assert json.loads(tx.raw_body) == event()
    assert tx.occurred_at.isoformat() == "2026-03-01T08:00:00+00:00"
    assert tx.payload_sha256 == hashlib.sha256(json.dumps(event()).encode()).hexdigest()


def test_duplicate_event_returns_existing_transaction(client, inbound_system, signed_post):
    first = signed_post(client, "sched", event())
    second = signed_post(client, "sched", event())
    assert first.status_code == 202
    assert second.status_code == 200
    assert second.json() == {"transaction_id": first.json()["transaction_id"], "duplicate": True}
    assert Transaction.objects.count() == 1


def test_webhook_id_is_the_key_when_the_event_has_none(client, inbound_system, signed_post):
    body = event()
    del body["id"]
    first = signed_post(client, "sched", body, msg_id="msg_same")
    second = signed_post(client, "sched", body, msg_id="msg_same")
    third = signed_post(client, "sched", body, msg_id="msg_other")
    assert [first.status_code, second.status_code, third.status_code] == [202, 200, 202]
    assert set(Transaction.objects.values_list("idempotency_key", flat=True)) == {
        "msg_same",
        "msg_other",
    }


def test_unknown_project_is_accepted_for_the_pipeline_to_judge(client, inbound_system, signed_post):
    response = signed_post(client, "sched", event(project="NOPE-999"))
    assert response.status_code == 202
    assert Transaction.objects.get().project_id is None


def test_bad_signature_is_refused_and_recorded(client, inbound_system, signed_post):
    response = signed_post(client, "sched", event(), secret="whsec_" + "A" * 44)
    assert_error(response, 401, "signature_invalid")
    assert not Transaction.objects.exists()
    refused = RefusedRequest.objects.get()
    raw = json.dumps(event()).encode()
    assert refused.system_code == "sched" and refused.http_status == 401
    assert refused.reason == "signature_invalid"
    assert refused.size_bytes == len(raw)
    assert refused.body_sha256 == hashlib.sha256(raw).hexdigest()
    assert refused.source_address == "127.0.0.1"
    assert refused.body_excerpt == ""  # never the body of an unauthenticated request
    assert refused.headers["webhook-signature"].startswith("present")


def test_missing_signature_is_refused(client, inbound_system):
    response = client.post(URL, data=json.dumps(event()), content_type="application/json")
    assert_error(response, 401, "signature_missing")
    assert RefusedRequest.objects.get().reason == "signature_missing"


def test_stale_timestamp_is_refused(client, inbound_system, signed_post):
    stale = int(time.time()) - 301
    assert_error(signed_post(client, "sched", event(), timestamp=stale), 401, "timestamp_stale")
    future = int(time.time()) + 301
    assert_error(signed_post(client, "sched", event(), timestamp=future), 401, "timestamp_stale")
    assert (
        signed_post(client, "sched", event(), timestamp=int(time.time()) - 250).status_code == 202
    )


def test_tampered_body_is_refused(client, inbound_system):
    raw = json.dumps(event()).encode()
    headers = webhook_headers(INBOUND_SECRET, raw)
    tampered = raw.replace(b"12", b"99")
    response = client.post(URL, data=tampered, content_type="application/json", headers=headers)
    assert_error(response, 401, "signature_invalid")


def test_rotated_secrets_both_verify_until_the_old_one_expires(client, system_factory, signed_post):
    new_secret = secret_generate()
    system = system_factory("sched", secrets=[INBOUND_SECRET, new_secret])
    assert signed_post(client, "sched", event("a"), secret=INBOUND_SECRET).status_code == 202
    assert signed_post(client, "sched", event("b"), secret=new_secret).status_code == 202
    # A sender signing with both during rotation (space-separated) is accepted too.
    raw = json.dumps(event("c")).encode()
    old = webhook_headers(INBOUND_SECRET, raw, msg_id="m1", timestamp=int(time.time()))
    new = webhook_headers(new_secret, raw, msg_id="m1", timestamp=int(old["webhook-timestamp"]))
    old["webhook-signature"] += " " + new["webhook-signature"]
    assert client.post(URL, raw, content_type="application/json", headers=old).status_code == 202
    # retire the old secret: it expired a second ago
    entries = secret_entries(INBOUND_SECRET, new_secret)
    entries[0]["expires_at"] = "2000-01-01T00:00:00+00:00"
    system.webhook_secrets = entries
    system.save()
    assert_error(
        signed_post(client, "sched", event("d"), secret=INBOUND_SECRET), 401, "signature_invalid"
    )
    assert signed_post(client, "sched", event("e"), secret=new_secret).status_code == 202


def test_malformed_json_is_400_and_keeps_authenticated_excerpt(client, inbound_system, signed_post):
    response = signed_post(client, "sched", b'{"type": "x.y", "data": ')
    assert_error(response, 400, "malformed_json")
    refused = RefusedRequest.objects.get()
    assert refused.signature_valid is True
    assert refused.body_excerpt.startswith('{"type"')


def test_missing_fields_are_400_with_details(client, inbound_system, signed_post):
    response = signed_post(client, "sched", {"id": "x", "project": "SCH-001"})
    assert_error(response, 400, "missing_fields")
    assert set(response.json()["error"]["details"]["missing"]) == {"type", "data"}
    response = signed_post(client, "sched", [1, 2, 3])
    assert_error(response, 400, "missing_fields")
    assert RefusedRequest.objects.filter(reason="missing_fields").count() == 2


def test_nul_character_is_refused_clearly(client, inbound_system, signed_post):
    response = signed_post(client, "sched", event(data={"note": "a\u0000b"}))
    assert_error(response, 400, "malformed_json")


def test_unknown_and_disabled_system_are_404(client, system_factory, signed_post):
    assert_error(signed_post(client, "nope", event()), 404, "unknown_system")
    system_factory("off", enabled=False)
    assert_error(signed_post(client, "off", event()), 404, "system_disabled")
    assert set(RefusedRequest.objects.values_list("system_code", "http_status")) == {
        ("nope", 404),
        ("off", 404),
    }


def test_body_over_limit_is_413(client, inbound_system, signed_post, settings):
    settings.INGEST_MAX_BODY_BYTES = 200
    response = signed_post(client, "sched", event(data={"blob": "x" * 300}))
    assert_error(response, 413, "body_too_large")
    assert response.json()["error"]["details"]["limit_bytes"] == 200
    assert RefusedRequest.objects.get().size_bytes > 200
    assert signed_post(client, "sched", event()).status_code == 202


def test_wrong_content_type_is_415(client, inbound_system, signed_post):
    response = signed_post(client, "sched", event(), content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")
    form = client.post(URL, {"a": "b"})
    assert_error(form, 415, "unsupported_media_type")
    assert RefusedRequest.objects.count() == 2


def test_cloudevents_style_json_content_type_is_accepted(client, inbound_system, signed_post):
    response = signed_post(
        client, "sched", event(), content_type="application/cloudevents+json; charset=utf-8"
    )
    assert response.status_code == 202


def test_get_is_405(client, inbound_system):
    response = client.get(URL)
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST"


def test_system_change_is_seen_at_once_in_this_process(client, inbound_system, signed_post):
    assert signed_post(client, "sched", event("1")).status_code == 202
    inbound_system.enabled = False
    inbound_system.save()
    assert signed_post(client, "sched", event("2")).status_code == 404


# --- platform-native signatures and connector parsing -------------------------------------------


@register("test-native")
class NativeConnector(Connector):
    """A platform that signs with its own header and has its own payload shape."""

    native_signature = True

    def verify_signature(self, *, headers, body, secrets):
        import hmac as _hmac

        given = headers.get("x-test-signature", "")
        return any(
            _hmac.compare_digest(given, hashlib.sha256(s.encode() + body).hexdigest())
            for s in secrets
        )

    def parse_event(self, *, headers, payload, body=None):
        if "resource" not in payload:
            raise ValueError("no resource in delivery")
        return ParsedEvent(
            domain="document",
            operation=payload["event"],
            idempotency_key=headers.get("x-delivery-id", ""),
            external_id=str(payload["resource"]),
            project_ref=payload.get("project", ""),
            payload={"normalised": True, "resource": payload["resource"]},
        )


def test_native_signature_and_parsed_event_are_used(client, system_factory, school):
    system_factory("native", kind="document_control", connector="test-native", secrets=["plain"])
    raw = json.dumps({"event": "approved", "resource": 42, "project": "SCH-001"}).encode()
    signature = hashlib.sha256(b"plain" + raw).hexdigest()
    headers = {"x-test-signature": signature, "x-delivery-id": "d-1"}
    url = "/api/v1/inbound/native/events"
    response = client.post(url, raw, content_type="application/json", headers=headers)
    assert response.status_code == 202
    tx = Transaction.objects.get()
    assert (tx.domain, tx.operation, tx.external_id) == ("document", "approved", "42")
    assert tx.idempotency_key == "d-1" and tx.project_id == school.id
    assert tx.payload == {"normalised": True, "resource": 42}
    assert json.loads(tx.raw_body)["event"] == "approved"
    again = client.post(url, raw, content_type="application/json", headers=headers)
    assert again.status_code == 200
    bad = client.post(url, raw, content_type="application/json", headers={"x-test-signature": "0"})
    assert_error(bad, 401, "signature_invalid")
    unreadable = json.dumps({"event": "approved"}).encode()
    headers = {"x-test-signature": hashlib.sha256(b"plain" + unreadable).hexdigest()}
    response = client.post(url, unreadable, content_type="application/json", headers=headers)
    assert_error(response, 400, "malformed_request")


# --- files --------------------------------------------------------------------------------------


def multipart(fields: dict, file_name: str, content: bytes) -> tuple[bytes, str]:
    request = httpx.Request(
        "POST", "http://x/", data=fields, files={"file": (file_name, content, "text/plain")}
    )
    return request.read(), request.headers["content-type"]


def post_file(client, code, fields, name, content, secret=INBOUND_SECRET):
    body, content_type = multipart(fields, name, content)
    headers = webhook_headers(secret, body)
    return client.post(
        f"/api/v1/inbound/{code}/files", body, content_type=content_type, headers=headers
    )


def test_file_feed_is_stored_with_sha256_key(client, inbound_system, school):
    content = b"ERMHDR\t19.12\t2026-03-01\r\n%T\tPROJECT\r\n%E\r\n"
    response = post_file(client, "sched", {"project": "SCH-001"}, "update.xer", content)
    assert response.status_code == 202, response.content
    tx = Transaction.objects.get(id=response.json()["transaction_id"])
    digest = hashlib.sha256(content).hexdigest()
    assert tx.idempotency_key == f"sha256:{digest}"
    assert (tx.domain, tx.operation, tx.trigger) == ("schedule", "import", "file")
    assert tx.project_id == school.id
    assert tx.payload["file_name"] == "update.xer" and tx.payload["sha256"] == digest
    stored = TransactionFile.objects.get(transaction_id=tx.id)
    assert bytes(stored.content) == content
    again = post_file(client, "sched", {"project": "SCH-001"}, "renamed.xer", content)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert TransactionFile.objects.count() == 1


def test_file_feed_domain_can_be_named(client, inbound_system):
    response = post_file(client, "sched", {"domain": "baseline"}, "b.xer", b"ERMHDR")
    assert Transaction.objects.get(id=response.json()["transaction_id"]).domain == "baseline"


def test_file_feed_refusals(client, inbound_system, signed_post, settings):
    response = client.post("/api/v1/inbound/sched/files", b"{}", content_type="application/json")
    assert_error(response, 415, "unsupported_media_type")
    assert_error(
        post_file(client, "sched", {}, "a.txt", b"x", secret="wrong"), 401, "signature_invalid"
    )
    body, content_type = multipart({}, "a.txt", b"x")
    body = body.replace(b'name="file"', b'name="other"')
    headers = webhook_headers(INBOUND_SECRET, body)
    response = client.post(
        "/api/v1/inbound/sched/files", body, content_type=content_type, headers=headers
    )
    assert_error(response, 400, "missing_fields")
    settings.INGEST_MAX_FILE_BYTES = 100
    assert_error(post_file(client, "sched", {}, "big.txt", b"x" * 500), 413, "body_too_large")
    assert RefusedRequest.objects.filter(endpoint="files").count() == 4


# --- PostgreSQL: committed before 202, concurrent duplicates -------------------------------------

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (separate connections, row locks)"
)


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_202_row_is_visible_from_another_connection(inbound_system, signed_post):
    import psycopg

    response = signed_post(Client(), "sched", event())
    assert response.status_code == 202
    params = connection.get_connection_params()
    with psycopg.connect(
        host=params.get("host"),
        port=params.get("port"),
        user=params.get("user"),
        dbname=params["dbname"],
        autocommit=True,
    ) as other:
        row = other.execute(
            "SELECT status, idempotency_key FROM ledger_transaction WHERE id = %s",
            [response.json()["transaction_id"]],
        ).fetchone()
    assert row == ("received", "evt-1")


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_make_one_row(inbound_system):
    from django.db import connections

    raw = json.dumps(event("race")).encode()
    results: list[int] = []
    barrier = threading.Barrier(8)

    def send(i):
        try:
            headers = webhook_headers(INBOUND_SECRET, raw, msg_id=f"m{i}")
            barrier.wait(timeout=10)
            response = Client().post(URL, raw, content_type="application/json", headers=headers)
            results.append((response.status_code, response.json()["transaction_id"]))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(results) == 8
    assert sorted(code for code, _ in results) == [200] * 7 + [202]
    assert len({tx_id for _, tx_id in results}) == 1
    assert Transaction.objects.filter(idempotency_key="race").count() == 1


def test_hot_path_is_one_query_once_the_system_is_cached(
    client, inbound_system, school, signed_post, django_assert_num_queries
):
    assert signed_post(client, "sched", event("warm")).status_code == 202  # loads the caches
    with django_assert_num_queries(1):  # the INSERT … ON CONFLICT DO NOTHING RETURNING id
        assert signed_post(client, "sched", event("hot")).status_code == 202
    with django_assert_num_queries(2):  # a duplicate also looks up the original's id
        assert signed_post(client, "sched", event("hot")).status_code == 200


@pytest.mark.postgres
@postgres_only
def test_ingest_insert_is_a_prepared_statement_on_postgresql(client, inbound_system, signed_post):
    assert signed_post(client, "sched", event("p1")).status_code == 202
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements "
            "WHERE statement LIKE 'INSERT INTO \"ledger_transaction\"%%'"
        )
        assert cursor.fetchone()[0] == 1
    # … and the rest of the connection's queries are not prepared
    assert Transaction.objects.filter(idempotency_key="p1").count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] == 1


def test_a_flood_of_unknown_system_codes_cannot_grow_the_cache(db, client, monkeypatch):
    from apps.ledger import ingest

    monkeypatch.setattr(ingest, "CACHE_MAX_ENTRIES", 5)
    for i in range(12):
        client.post(f"/api/v1/inbound/nope{i}/events", b"{}", content_type="application/json")
    assert len(ingest._system_cache) <= 5
    assert RefusedRequest.objects.filter(reason="unknown_system").count() == 12
