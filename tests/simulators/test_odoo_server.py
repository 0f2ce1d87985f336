"""The server itself: stats, reset, record dumps, keep-alive, concurrency, state files, and the
separate process started by `manage.py run_odoo_simulator`."""

from __future__ import annotations

import json
import threading

import httpx
import pytest
from django.core.management import CommandError, call_command

from apps.simulators.odoo.app import OdooSimulator


def execute_kw(client, sim, model, method, args, kwargs=None):
    payload = {
        "jsonrpc": "2.0",
        "method": "call",
        "id": 1,
        "params": {
            "service": "object",
            "method": "execute_kw",
            "args": [sim.db, sim.uid, sim.password, model, method, args, kwargs or {}],
        },
    }
    data = client.post("/jsonrpc", json=payload).json()
    assert "error" not in data, data
    return data.get("result")


def test_stats_count_calls_and_record_changes(odoo_http, odoo_sim):
    execute_kw(odoo_http, odoo_sim, "res.partner", "create", [[{"name": "A"}, {"name": "B"}]])
    po = execute_kw(
        odoo_http,
        odoo_sim,
        "purchase.order",
        "create",
        [{"partner_id": 6, "order_line": [[0, 0, {"product_id": 1}]]}],
    )
    execute_kw(odoo_http, odoo_sim, "purchase.order", "write", [[po], {"origin": "X"}])
    execute_kw(odoo_http, odoo_sim, "purchase.order", "button_confirm", [[po]])
    execute_kw(odoo_http, odoo_sim, "res.partner", "search_read", [[]], {"limit": 1})
    stats = odoo_http.get("/sim/stats").json()
    assert stats["protocols"] == {"jsonrpc": 5}
    assert stats["services"] == {"object.execute_kw": 5}
    assert stats["methods"]["res.partner.create"] == 1
    assert stats["methods"]["purchase.order.button_confirm"] == 1
    assert stats["models"] == {"res.partner": 2, "purchase.order": 3}
    assert stats["created"] == {
        "res.partner": 2,
        "purchase.order": 1,
        "purchase.order.line": 1,
        "stock.picking": 1,
        "stock.move": 1,
    }
    assert stats["written"]["purchase.order"] == 2  # one per call that changed it: write, confirm
    assert stats["records"]["purchase.order"] == 4
    assert stats == odoo_sim.stats() | {
        "requests": stats["requests"],
        "connections": stats["connections"],
    }


def test_reset_restores_the_seed_and_zeroes_stats(odoo_http, odoo_sim):
    execute_kw(odoo_http, odoo_sim, "res.partner", "unlink", [[9]])
    assert odoo_http.post("/sim/reset").json() == {"status": "reset"}
    [vendor] = odoo_sim.records("res.partner", ["name"], [["id", "=", 9]])
    assert vendor["name"] == "Formwork Systems B.V."
    assert odoo_http.get("/sim/stats").json()["unlinked"] == {}
    po = execute_kw(odoo_http, odoo_sim, "purchase.order", "create", [{"partner_id": 6}])
    assert (
        execute_kw(odoo_http, odoo_sim, "purchase.order", "read", [[po], ["name"]])[0]["name"]
        == "P00004"
    )


def test_records_endpoint_dumps_everything_including_archived(odoo_http, odoo_sim):
    execute_kw(odoo_http, odoo_sim, "res.partner", "write", [[6], {"active": False}])
    rows = odoo_http.get("/sim/records/res.partner", params={"fields": "name,active"}).json()
    assert {"id": 6, "name": "Baustoff Schmidt GmbH", "active": False} in rows
    assert odoo_http.get("/sim/records/no.model").status_code == 404
    assert odoo_http.get("/sim/records/res.partner", params={"domain": "[bad"}).status_code == 400


def test_a_pooled_client_reuses_one_keep_alive_connection(odoo_sim):
    before = odoo_sim.stats()["connections"]
    with httpx.Client(base_url=odoo_sim.url, verify=False) as client:
        for _ in range(25):
            execute_kw(client, odoo_sim, "res.partner", "search_count", [[]])
    assert odoo_sim.stats()["connections"] - before == 1


def test_concurrent_creates_are_all_kept_with_unique_ids(odoo_sim):
    created: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(index):
        try:
            with httpx.Client(base_url=odoo_sim.url, verify=False) as client:
                for n in range(25):
                    pid = execute_kw(
                        client, odoo_sim, "res.partner", "create", [{"name": f"T{index}-{n}"}]
                    )
                    with lock:
                        created.append(pid)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert len(created) == 200 and len(set(created)) == 200
    assert odoo_sim.stats()["created"]["res.partner"] == 200


def test_state_file_round_trip(tmp_path):
    state = tmp_path / "state.json"
    first = OdooSimulator(state_file=state)
    from apps.simulators.odoo import orm

    env = orm.Env(first.store, 2)
    with first.store.transaction():
        new_id = orm.create_records(env, "res.partner", [{"name": "Persisted GmbH"}])[0]
    first.save_state()
    assert json.loads(state.read_text())["format"] == "odoo-sim-state/1"
    second = OdooSimulator(state_file=state)
    assert second.store.tables["res.partner"][new_id]["name"] == "Persisted GmbH"
    with second.store.transaction():
        next_id = orm.create_records(orm.Env(second.store, 2), "res.partner", [{"name": "Next"}])[0]
    assert next_id == new_id + 1
    state.write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(ValueError):
        OdooSimulator(state_file=state)


def test_command_rejects_bad_fault_json():
    with pytest.raises(CommandError, match="--faults"):
        call_command("run_odoo_simulator", "--port", "0", "--faults", "{not json")


@pytest.mark.slow
def test_separate_process_keeps_state_across_clean_restart_and_kill(odoo_sim_process):
    sim = odoo_sim_process
    partner = sim.call("res.partner", "create", {"name": "Survivor GmbH"})
    assert sim.stats()["created"] == {"res.partner": 1}
    sim.restart()  # SIGTERM: saved on the way out
    assert sim.records("res.partner", ["name"], [["id", "=", partner]]) == [
        {"id": partner, "name": "Survivor GmbH"}
    ]
    second = sim.call("res.partner", "create", {"name": "Autosaved GmbH"})
    # SIGKILL saves nothing itself: the record survives only through the periodic autosave
    deadline_ok = _wait_saved(sim.state_file, "Autosaved GmbH")
    assert deadline_ok
    sim.kill()
    sim.start()
    names = [
        r["name"] for r in sim.records("res.partner", ["name"], [["id", "in", [partner, second]]])
    ]
    assert names == ["Survivor GmbH", "Autosaved GmbH"]


def _wait_saved(path, text, deadline_s=5.0) -> bool:
    import time

    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_separate_process_faults_over_http(odoo_sim_process):
    sim = odoo_sim_process
    sim.set_faults(error_rate=1.0, error="http_502", count=1)
    with httpx.Client(base_url=sim.url, verify=False) as client:
        payload = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "call",
            "params": {"service": "common", "method": "version", "args": []},
        }
        assert client.post("/jsonrpc", json=payload).status_code == 502
        assert client.post("/jsonrpc", json=payload).json()["result"]["server_version"] == "19.0"
    sim.clear_faults()
    assert sim.terminate() == 0


def test_stats_name_methods_as_called(odoo_http, odoo_sim):
    execute_kw(odoo_http, odoo_sim, "res.partner", "load", [["name"], [["Loaded"]]])
    execute_kw(odoo_http, odoo_sim, "budget.analytic", "action_budget_done", [[1]])
    methods = odoo_http.get("/sim/stats").json()["methods"]
    assert methods == {"res.partner.load": 1, "budget.analytic.action_budget_done": 1}


def test_a_custom_database_name_is_the_only_one_accepted():
    app = OdooSimulator(db="northbridge_prod")
    assert app.authenticate("northbridge_prod", "admin", "admin") == 2
    assert app.service_db("list", []) == ["northbridge_prod"]
    with pytest.raises(Exception, match='database "odoo_sim" does not exist'):
        app.authenticate("odoo_sim", "admin", "admin")
