"""Integration admin journey: ada adds a system and rotates its webhook signing secret (the new
one signs, the retired one is refused), changes a system-of-record rule and a sync policy (each a
new version), replays a dead-lettered delivery from the ledger, and watches a bulk replay job's
progress bar fill up on the job page."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.connectors.models import System
from apps.ledger.models import Transaction
from apps.sync.models import DeliverySettings, JobRun, SyncPolicy, SystemOfRecordRule
from apps.sync.services import sor_rules_seed, sync_policy_save
from apps.sync.tasks import job_run_execute

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _dead_letters(test_connector, make_outbound, drain, n: int) -> list[Transaction]:
    """n deliveries (a vendor, then projects) that failed once with max_attempts 1: dead."""
    DeliverySettings.objects.create(system=test_connector.target, max_attempts=1)
    test_connector.script["target"] = ["transient"] * (2 * n)  # one per row or per batch
    rows = [
        make_outbound(
            test_connector.target,
            f"V-{i}",
            {"ref": f"V-{i}"},
            domain="vendor" if i == 1 else "project",
            max_attempts=1,
        )
        for i in range(1, n + 1)
    ]
    drain()
    test_connector.script["target"] = []  # the target is back up
    assert {tx.status for tx in Transaction.objects.filter(pk__in=[t.pk for t in rows])} == {"dead"}
    return rows


def test_ada_configures_a_system_rules_and_policies_and_replays_dead_letters(
    live_server,
    login,
    page,
    screenshot,
    ada,
    sync_systems,
    test_connector,
    make_outbound,
    drain,
    signed_post,
):
    # Seeded by data migrations; a transactional test flushes them, so restore them.
    sor_rules_seed()
    policy = sync_policy_save(
        actor=ada,
        domain="vendor",
        source_system=sync_systems.odoo,
        target_system=sync_systems.p6,
        mode="interval",
        interval_minutes=60,
    )
    dead = _dead_letters(test_connector, make_outbound, drain, 4)
    page.on("dialog", lambda dialog: dialog.accept())  # the confirm() of retire and replay

    # 1. A new system.
    login("ada")
    page.goto(f"{live_server.url}/systems/new/")
    page.fill("#id_code", "fieldops")
    page.fill("#id_name", "FieldOps site diary")
    page.select_option("#id_kind", "field")
    page.select_option("#id_connector", "generic")  # Standard Webhooks + the hub's envelope
    page.select_option("#id_environment", "test")
    page.click("form.system-form button[type=submit], form button:has-text('Create')")
    page.wait_for_url("**/systems/fieldops/")
    assert "System fieldops created." in page.inner_text(".messages")

    # 2. Rotate its signing secret: a first one, a second one, retire the first.
    page.click("button:has-text('Generate new secret')")
    first = page.inner_text(".secret-once code").strip()
    page.click("button:has-text('Generate new secret')")
    second = page.inner_text(".secret-once code").strip()
    assert first.startswith("whsec_") and second.startswith("whsec_") and first != second
    old_id = System.objects.get(code="fieldops").webhook_secrets[0]["id"]
    page.goto(f"{live_server.url}/systems/fieldops/")
    row = page.locator("tr", has_text=old_id)
    row.locator("button:has-text('Retire')").click()
    page.wait_for_url("**/systems/fieldops/")
    page.locator("tr", has_text=old_id).locator(".badge", has_text="retired").wait_for()
    screenshot("journey-ada-secret-rotated")
    event = {
        "type": "progress.reported",
        "id": "FO-1",
        "project": "SCH-001",
        "timestamp": "2026-03-01T08:00:00Z",
        "data": {"activity_id": "A1000", "percent": 40},
    }
    assert signed_post(Client(), "fieldops", event, secret=first).status_code == 401
    accepted = signed_post(Client(), "fieldops", event, secret=second)
    assert accepted.status_code == 202, accepted.content

    # 3. A system-of-record rule: vendor writes from others are now ignored, not flagged.
    rule = SystemOfRecordRule.objects.get(domain="vendor", field="")
    page.goto(f"{live_server.url}/config/sor/")
    page.click(f"a[href='/config/sor/{rule.pk}/']")
    page.select_option("#id_conflict_policy", "ignore")
    page.click("form button[type=submit]:has-text('Save')")
    page.wait_for_url("**/config/sor/")
    assert "version 2" in page.inner_text(".messages")
    rule.refresh_from_db()
    assert (rule.conflict_policy, rule.version) == ("ignore", 2)

    # 4. A sync policy: every 15 minutes instead of hourly.
    page.goto(f"{live_server.url}/config/policies/{policy.pk}/")
    page.fill("#id_interval_minutes", "15")
    page.click("form button[type=submit]:has-text('Save')")
    page.wait_for_url("**/config/policies/")
    assert "version 2" in page.inner_text(".messages")
    policy = SyncPolicy.objects.get(pk=policy.pk)
    assert (policy.interval_minutes, policy.version) == (15, 2)

    # 5. Replay one dead letter from the ledger; the dispatcher (here: drain) delivers the child.
    page.goto(f"{live_server.url}/ledger/?status=dead")
    page.click(f"a[href='/ledger/{dead[0].pk}/'] >> nth=0")
    page.wait_for_url(f"**/ledger/{dead[0].pk}/")
    page.fill("#replay-reason", "target back up")
    page.click("form[action$='/replay/'] button[type=submit]")
    page.wait_for_url("**/ledger/*/")
    assert "Replayed as" in page.inner_text(".messages")
    child = Transaction.objects.get(parent=dead[0])
    drain()
    child.refresh_from_db()
    assert child.status == "delivered"
    page.reload()
    assert "delivered" in page.inner_text("h1, .ledger-header").lower()

    # 6. Bulk replay of the three dead projects; the job page polls and its bar fills up.
    page.goto(f"{live_server.url}/jobs/replay/")
    page.select_option("#id_status", ["dead"])
    page.fill("#id_domain", "project")
    page.fill("#id_reason", "target back up: the rest")
    page.click("button:has-text('Start the replay')")
    page.wait_for_url("**/jobs/*/")
    job = JobRun.objects.get(kind="replay")
    assert job.total == 3
    bar = page.locator("#job-progress .job-bar")
    assert bar.get_attribute("aria-valuenow") in (None, "0")
    screenshot("journey-ada-job-queued")
    job_run_execute(job.pk)  # the worker's part
    page.locator("#job-progress .job-bar[aria-valuenow='100']").wait_for()
    page.locator("#job-progress .badge", has_text="Succeeded").wait_for()
    screenshot("journey-ada-job-finished")
    assert Transaction.objects.filter(parent__in=dead[1:], trigger="replay").count() == 3
