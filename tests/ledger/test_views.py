import csv
import io
import json

from apps.audit.models import AuditEntry
from apps.ledger.choices import TransactionStatus
from apps.ledger.models import Transaction
from apps.ledger.services import (
    transaction_references_add,
    transaction_transition,
)
from tests.ledger.factories import inbound_tx, outbound_tx

S = TransactionStatus


def rows_ids(response):
    return [tx.id for tx in response.context["page"].rows]


def test_ledger_list_is_scoped_to_the_users_projects(
    client_for, fiona, inbound_system, school, bridge
):
    mine = inbound_tx(inbound_system, project=school)
    unscoped = inbound_tx(inbound_system)
    theirs = inbound_tx(inbound_system, project=bridge)
    response = client_for(fiona).get("/ledger/")
    assert response.status_code == 200
    assert set(rows_ids(response)) == {mine.id, unscoped.id}
    assert theirs.id not in rows_ids(response)
    total = next(c for c in response.context["counts"] if c["status"] == "received")["count"]
    assert total == 2


def test_ledger_pages_refuse_roles_without_access(client_for, rob, inbound_system):
    tx = inbound_tx(inbound_system)
    client = client_for(rob)
    assert client.get("/ledger/").status_code == 403
    assert client.get(f"/ledger/{tx.id}/").status_code == 403
    assert client.get("/ledger/export.csv").status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get("/ledger/")
    assert response.status_code == 302 and "/accounts/login" in response["Location"]


def test_ledger_filters(client_for, ada, inbound_system, odoo_system, school):
    a = inbound_tx(inbound_system, project=school, domain="invoice")
    b = inbound_tx(inbound_system, domain="receipt")
    c = outbound_tx(a, odoo_system)
    transaction_transition(transaction=b, to_status=S.FAILED)
    client = client_for(ada)
    assert rows_ids(client.get("/ledger/?domain=invoice")) == [a.id]
    assert rows_ids(client.get("/ledger/?direction=outbound")) == [c.id]
    assert rows_ids(client.get("/ledger/?status=failed")) == [b.id]
    assert set(rows_ids(client.get("/ledger/?status=failed&status=pending"))) == {b.id, c.id}
    assert rows_ids(client.get("/ledger/?system=odoo-test")) == [c.id]
    assert set(rows_ids(client.get("/ledger/?project=SCH-001"))) == {a.id, c.id}
    assert set(rows_ids(client.get(f"/ledger/?correlation_id={a.correlation_id}"))) == {a.id, c.id}
    assert rows_ids(client.get("/ledger/?received_from=2000-01-01&received_to=2000-01-02")) == []
    assert len(rows_ids(client.get("/ledger/?received_to=2999-01-01"))) == 3
    # an invalid filter value is ignored, not a 500
    assert client.get("/ledger/?received_from=yesterday&direction=sideways").status_code == 200


def test_search_finds_by_key_external_id_and_business_reference(client_for, ada, inbound_system):
    a = inbound_tx(inbound_system, key="evt-abc", payload={"data": {"invoice_number": "INV-9"}})
    b = inbound_tx(inbound_system, external_id="EXT-5")
    c = inbound_tx(inbound_system)
    transaction_references_add(transaction=c, references={"activity_id": "A1010"})
    client = client_for(ada)
    assert rows_ids(client.get("/ledger/?q=evt-abc")) == [a.id]
    assert rows_ids(client.get("/ledger/?q=INV-9")) == [a.id]
    assert rows_ids(client.get("/ledger/?q=EXT-5")) == [b.id]
    assert rows_ids(client.get("/ledger/?q=A1010")) == [c.id]
    assert rows_ids(client.get(f"/ledger/?q=%23{c.id}")) == [c.id]
    assert rows_ids(client.get("/ledger/?q=nothing-like-it")) == []


def test_keyset_pagination_walks_every_row_once(client_for, ada, inbound_system, settings):
    created = [inbound_tx(inbound_system).id for _ in range(120)]
    client = client_for(ada)
    seen, after = [], ""
    for _ in range(5):
        response = client.get(f"/ledger/?after={after}")
        page = response.context["page"]
        seen += [tx.id for tx in page.rows]
        if not page.has_next:
            break
        after = page.next_after
    assert seen == sorted(created, reverse=True)


def test_counters_partial_for_htmx(client_for, ada, inbound_system):
    inbound_tx(inbound_system)
    response = client_for(ada).get("/ledger/?part=counters", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="ledger-counters"' in html and "<table" not in html


def test_csv_export_has_the_filtered_rows_and_is_audited(client_for, ada, inbound_system, school):
    a = inbound_tx(inbound_system, project=school, domain="invoice")
    inbound_tx(inbound_system, domain="receipt")
    response = client_for(ada).get("/ledger/export.csv?domain=invoice")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [int(r["id"]) for r in rows] == [a.id]
    assert rows[0]["project"] == "SCH-001" and rows[0]["system"] == "sched"
    assert AuditEntry.objects.filter(action="ledger.export").exists()


def test_csv_export_is_scoped(client_for, fiona, inbound_system, bridge):
    inbound_tx(inbound_system, project=bridge)
    response = client_for(fiona).get("/ledger/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1  # the header only


def test_detail_shows_payload_masked_timeline_and_lineage(
    client_for, ada, inbound_system, odoo_system
):
    tx = inbound_tx(
        inbound_system, payload={"data": {"api_key": "sk-live-123", "po_number": "PO-1"}}
    )
    tx.raw_body = json.dumps(tx.payload)
    Transaction.objects.filter(id=tx.id).update(raw_body=tx.raw_body)
    outbound_tx(tx, odoo_system)
    transaction_transition(transaction=tx, to_status=S.VALIDATED, detail={"schema": "v1"})
    response = client_for(ada).get(f"/ledger/{tx.id}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "sk-live-123" not in html
    assert "••••••••" in html and "PO-1" in html
    assert "validated" in html
    figure = json.loads(response.context["lineage_figure"])
    assert len(figure["data"][1]["x"]) == 2
    assert 'data-plotly-figure="fig-lineage"' in html


def test_detail_of_another_projects_transaction_is_404(client_for, fiona, inbound_system, bridge):
    tx = inbound_tx(inbound_system, project=bridge)
    assert client_for(fiona).get(f"/ledger/{tx.id}/").status_code == 404


def test_pmo_reads_but_cannot_replay(client_for, pat, inbound_system, school):
    tx = inbound_tx(inbound_system, project=school)
    transaction_transition(transaction=tx, to_status=S.FAILED)
    client = client_for(pat)
    response = client.get(f"/ledger/{tx.id}/")
    assert response.status_code == 200
    assert b"Replay" not in response.content
    assert client.post(f"/ledger/{tx.id}/replay/", {"reason": "x"}).status_code == 403
    assert Transaction.objects.count() == 1


def test_admin_replays_from_the_detail_page(client_for, ada, inbound_system):
    tx = inbound_tx(inbound_system)
    transaction_transition(transaction=tx, to_status=S.FAILED)
    client = client_for(ada)
    assert b"Replay" in client.get(f"/ledger/{tx.id}/").content
    response = client.post(f"/ledger/{tx.id}/replay/", {"reason": "mapping fixed"})
    child = Transaction.objects.get(parent_id=tx.id)
    assert response.status_code == 302 and response["Location"] == f"/ledger/{child.id}/"
    assert child.trigger == "replay"
    assert AuditEntry.objects.filter(action="ledger.transaction.replay").count() == 1


def test_replay_needs_a_reason(client_for, ada, inbound_system):
    tx = inbound_tx(inbound_system)
    transaction_transition(transaction=tx, to_status=S.FAILED)
    client_for(ada).post(f"/ledger/{tx.id}/replay/", {"reason": " "})
    assert Transaction.objects.count() == 1


def test_refused_requests_page_is_for_admins(
    client_for, ada, fiona, inbound_system, signed_post, client
):
    signed_post(client, "sched", {"type": "a.b", "data": {}}, secret="wrong")
    response = client_for(ada).get("/ledger/refused/")
    assert response.status_code == 200
    assert b"signature_invalid" in response.content
    assert client_for(fiona).get("/ledger/refused/").status_code == 403


def test_file_download_for_admins(client_for, ada, fiona, inbound_system):
    from apps.ledger.services import InboundFile, transaction_record_inbound

    tx, _ = transaction_record_inbound(
        system=inbound_system,
        domain="schedule",
        operation="import",
        payload={"file_name": "a.xer"},
        idempotency_key="sha256:x",
        trigger="file",
        file=InboundFile(name="a.xer", content=b"ERMHDR\t19"),
    )
    response = client_for(ada).get(f"/ledger/{tx.id}/file/")
    assert response.status_code == 200 and response.content == b"ERMHDR\t19"
    assert client_for(fiona).get(f"/ledger/{tx.id}/file/").status_code == 403


def test_counters_count_settled_rows_of_the_last_day_and_open_work_of_any_age(
    client_for, ada, inbound_system
):
    from datetime import timedelta

    from django.utils import timezone

    old_done = inbound_tx(inbound_system)
    old_held = inbound_tx(inbound_system)
    new_done = inbound_tx(inbound_system)
    for tx in (old_done, new_done):
        for status in (S.VALIDATED, S.MAPPED, S.APPLIED, S.DELIVERED):
            transaction_transition(transaction=tx, to_status=status)
    transaction_transition(transaction=old_held, to_status=S.HELD)
    three_days_ago = timezone.now() - timedelta(days=3)
    Transaction.objects.filter(id__in=[old_done.id, old_held.id]).update(received_at=three_days_ago)

    def counts(query=""):
        response = client_for(ada).get(f"/ledger/?{query}")
        return {c["status"]: (c["count"], c["window"]) for c in response.context["counts"]}

    default = counts()
    assert default["delivered"] == (1, "recent")
    assert default["held"] == (1, "")
    ranged = counts(f"received_from={(three_days_ago - timedelta(days=1)).date()}")
    assert ranged["delivered"] == (2, "")
