from apps.ledger.selectors import transaction_lineage
from apps.ledger.services import transaction_annotate
from tests.ledger.factories import inbound_tx, outbound_tx


def test_lineage_of_a_three_level_chain_with_a_sibling(inbound_system, odoo_system, ada, school):
    root = inbound_tx(inbound_system, project=school)
    child = outbound_tx(root, odoo_system)
    grandchild = outbound_tx(child, odoo_system, operation="confirm")
    sibling = outbound_tx(root, odoo_system, operation="notify")
    unrelated = inbound_tx(inbound_system, project=school)

    graph = transaction_lineage(transaction=child, user=ada)
    relations = {node["id"]: node["relation"] for node in graph["nodes"]}
    assert relations == {
        root.id: "ancestor",
        child.id: "self",
        grandchild.id: "descendant",
        sibling.id: "correlation",
    }
    assert unrelated.id not in relations
    edges = {(e["source"], e["target"]) for e in graph["edges"]}
    assert edges == {(root.id, child.id), (child.id, grandchild.id), (root.id, sibling.id)}
    levels = {node["id"]: node["level"] for node in graph["nodes"]}
    assert levels == {root.id: 0, child.id: 1, grandchild.id: 2, sibling.id: 1}
    assert graph["root_id"] == root.id and graph["focus_id"] == child.id
    node = next(n for n in graph["nodes"] if n["id"] == grandchild.id)
    assert node["url"] == f"/ledger/{grandchild.id}/"
    assert node["status"] == "pending" and node["colour"].startswith("#")


def test_lineage_includes_same_subject_from_other_flows(inbound_system, ada):
    first = inbound_tx(inbound_system)
    second = inbound_tx(inbound_system)
    for tx in (first, second):
        transaction_annotate(transaction=tx, subject_domain="vendor", subject_id="V-1")
    graph = transaction_lineage(transaction=first, user=ada)
    relations = {n["id"]: n["relation"] for n in graph["nodes"]}
    assert relations == {first.id: "self", second.id: "subject"}
    assert graph["edges"] == []


def test_lineage_hides_nodes_of_projects_the_user_cannot_see(
    inbound_system, odoo_system, fiona, school, bridge
):
    root = inbound_tx(inbound_system, project=school)
    mine = outbound_tx(root, odoo_system)
    theirs = outbound_tx(root, odoo_system, project=bridge)
    graph = transaction_lineage(transaction=root, user=fiona)
    ids = {n["id"] for n in graph["nodes"]}
    assert ids == {root.id, mine.id}
    assert theirs.id not in {e["target"] for e in graph["edges"]}
