import pytest
from django.contrib.auth import get_user_model

from apps.ledger.choices import ALLOWED_TRANSITIONS, TERMINAL_STATUSES, TransactionStatus, Trigger
from apps.ledger.errors import IllegalTransition, TransitionConflict
from apps.ledger.models import Transaction, TransactionEvent
from apps.ledger.services import (
    transaction_annotate,
    transaction_create_outbound,
    transaction_record_inbound,
    transaction_replay,
    transaction_transition,
    transactions_transition_bulk,
)

S = TransactionStatus


def record(system, key="evt-1", **kwargs):
    kwargs.setdefault("domain", "milestone")
    kwargs.setdefault("operation", "slipped")
    kwargs.setdefault("payload", {"data": {"activity_id": "A1000"}})
    kwargs.setdefault("trigger", Trigger.WEBHOOK)
    return transaction_record_inbound(system=system, idempotency_key=key, **kwargs)


def test_record_inbound_creates_received_row_with_reference(inbound_system, school):
    tx, created = record(inbound_system, project=school)
    assert created is True
    row = Transaction.objects.get(id=tx.id)
    assert row.status == S.RECEIVED
    assert row.direction == "inbound"
    assert row.reference == "A1000"
    assert row.project_id == school.id
    assert row.root_id is None and row.lineage_root_id == row.id
    assert len(row.correlation_id) == 32
    assert row.canonical_payload is None
    # the "received" event is implied by the row itself
    assert not TransactionEvent.objects.filter(transaction_id=tx.id).exists()


def test_record_inbound_twice_returns_original(inbound_system):
    first, created_first = record(inbound_system, key="same")
    second, created_second = record(inbound_system, key="same", payload={"other": 1})
    assert (created_first, created_second) == (True, False)
    assert second.id == first.id
    assert Transaction.objects.count() == 1
    assert Transaction.objects.get().payload == {"data": {"activity_id": "A1000"}}


def test_same_key_on_other_system_is_a_new_transaction(inbound_system, system_factory):
    other = system_factory("other")
    record(inbound_system, key="k")
    _, created = record(other, key="k")
    assert created is True


def test_transition_writes_event_and_updates_row(inbound_system, ada):
    tx, _ = record(inbound_system)
    transaction_transition(transaction=tx, to_status=S.VALIDATED, actor=ada, detail={"a": 1})
    row = Transaction.objects.get(id=tx.id)
    assert row.status == S.VALIDATED
    event = TransactionEvent.objects.get(transaction_id=tx.id)
    assert (event.from_status, event.to_status, event.actor_label) == (
        "received",
        "validated",
        "ada",
    )
    assert event.detail == {"a": 1}


def test_illegal_status_transition_raises(inbound_system):
    tx, _ = record(inbound_system)
    with pytest.raises(IllegalTransition):
        transaction_transition(transaction=tx, to_status=S.DELIVERED)
    assert Transaction.objects.get(id=tx.id).status == S.RECEIVED
    assert not TransactionEvent.objects.exists()


def test_terminal_statuses_allow_no_transition():
    for status in TERMINAL_STATUSES:
        assert ALLOWED_TRANSITIONS[status] == set()
    assert set(ALLOWED_TRANSITIONS) == set(S.values)


def test_stale_instance_cannot_move_a_row_someone_else_moved(inbound_system):
    tx, _ = record(inbound_system)
    stale = Transaction.objects.get(id=tx.id)
    transaction_transition(transaction=tx, to_status=S.VALIDATED)
    with pytest.raises(TransitionConflict):
        transaction_transition(transaction=stale, to_status=S.FAILED)
    assert Transaction.objects.get(id=tx.id).status == S.VALIDATED
    assert TransactionEvent.objects.filter(transaction_id=tx.id).count() == 1


def test_terminal_transition_sets_completion_and_error(inbound_system):
    tx, _ = record(inbound_system)
    transaction_transition(
        transaction=tx, to_status=S.FAILED, error_code="schema_invalid", error_message="bad"
    )
    row = Transaction.objects.get(id=tx.id)
    assert row.completed_at is not None and row.duration_ms is not None
    assert (row.last_error_code, row.last_error_message) == ("schema_invalid", "bad")


def test_outbound_child_inherits_lineage_and_is_idempotent(inbound_system, odoo_system, school):
    parent, _ = record(inbound_system, project=school)
    child = transaction_create_outbound(
        parent=parent,
        system=odoo_system,
        domain="milestone",
        operation="update",
        payload={"x": 1},
        idempotency_key="odoo:milestone:A1000",
    )
    assert child._created is True
    assert child.status == S.PENDING and child.direction == "outbound"
    assert child.parent_id == parent.id and child.root_id == parent.id
    assert child.correlation_id == parent.correlation_id
    assert child.project_id == school.id
    grandchild = transaction_create_outbound(
        parent=child,
        system=odoo_system,
        domain="milestone",
        operation="notify",
        payload={},
        idempotency_key="odoo:notify:A1000",
    )
    assert grandchild.root_id == parent.id
    again = transaction_create_outbound(
        parent=parent,
        system=odoo_system,
        domain="milestone",
        operation="update",
        payload={"x": 1},
        idempotency_key="odoo:milestone:A1000",
    )
    assert again._created is False and again.id == child.id


def test_bulk_transition_moves_only_rows_still_in_expected_status(inbound_system):
    txs = [record(inbound_system, key=f"k{i}")[0] for i in range(3)]
    transaction_transition(transaction=Transaction.objects.get(id=txs[0].id), to_status=S.FAILED)
    moved = transactions_transition_bulk(transactions=txs, to_status=S.VALIDATED, actor="worker-1")
    assert sorted(t.id for t in moved) == [txs[1].id, txs[2].id]
    assert Transaction.objects.get(id=txs[0].id).status == S.FAILED
    assert TransactionEvent.objects.filter(to_status=S.VALIDATED).count() == 2


def test_bulk_transition_refuses_illegal_move_before_writing(inbound_system):
    txs = [record(inbound_system, key=f"k{i}")[0] for i in range(2)]
    with pytest.raises(IllegalTransition):
        transactions_transition_bulk(transactions=txs, to_status=S.DELIVERED)
    assert not TransactionEvent.objects.exists()


def test_replay_creates_child_and_leaves_original_untouched(inbound_system, ada):
    tx, _ = record(inbound_system)
    transaction_transition(transaction=tx, to_status=S.FAILED, error_code="x")
    before = Transaction.objects.filter(id=tx.id).values().get()
    child = transaction_replay(transaction=tx, actor=ada, reason="mapping fixed")
    assert child.id != tx.id
    assert child.parent_id == tx.id and child.trigger == Trigger.REPLAY
    assert child.status == S.RECEIVED and child.payload == tx.payload
    assert Transaction.objects.filter(id=tx.id).values().get() == before
    note = TransactionEvent.objects.get(transaction_id=tx.id, kind="note")
    assert note.detail["replayed_as"] == child.id


def test_replay_of_in_flight_transaction_is_refused(inbound_system, ada):
    tx, _ = record(inbound_system)
    with pytest.raises(IllegalTransition):
        transaction_replay(transaction=tx, actor=ada)


def test_annotate_sets_derived_fields_and_references(inbound_system, school):
    tx, _ = record(inbound_system)
    transaction_annotate(
        transaction=tx,
        canonical_payload={"activity": "A1000"},
        project=school,
        subject_domain="milestone",
        subject_id="SCH-001:A1000",
        references={"po_number": "PO-77"},
    )
    row = Transaction.objects.get(id=tx.id)
    assert row.canonical_payload == {"activity": "A1000"}
    assert row.project_id == school.id and row.subject_id == "SCH-001:A1000"
    assert list(row.references.values_list("kind", "value")) == [("po_number", "PO-77")]


@pytest.mark.django_db
def test_actor_user_is_recorded_on_event(inbound_system):
    user = get_user_model().objects.create(username="ops")
    tx, _ = record(inbound_system)
    transaction_transition(transaction=tx, to_status=S.HELD, actor=user)
    assert TransactionEvent.objects.get().actor_id == user.id


def test_recorded_instance_matches_the_stored_row(inbound_system, school):
    from django.forms.models import model_to_dict

    tx, created = record(inbound_system, project=school, raw_body='{"a": 1}', key="same-row")
    stored = Transaction.objects.get(id=tx.id)
    fields = [f.name for f in Transaction._meta.concrete_fields]
    assert model_to_dict(tx, fields=fields) == model_to_dict(stored, fields=fields)
    assert tx.received_at == stored.received_at and tx.pk == stored.pk
    assert tx.system.code == "sched"  # relations resolve on the fast-built instance too
