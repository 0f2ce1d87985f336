import pytest
from django.urls import reverse

from apps.accounts import roles
from apps.accounts.services import user_create
from apps.audit.models import AuditEntry
from apps.sync.models import (
    CircuitBreaker,
    DeliverySettings,
    JobRun,
    Mapping,
    MappingSuggestion,
    ReplayRequest,
    SyncPolicy,
    SystemOfRecordRule,
)
from apps.sync.services import job_run_create, job_run_log, mapping_save, sync_policy_save

pytestmark = pytest.mark.django_db

PAGES = [
    ("sync:config", {}),
    ("sync:sor_rules", {}),
    ("sync:sor_rule_new", {}),
    ("sync:policies", {}),
    ("sync:policy_new", {}),
    ("sync:mappings", {}),
    ("sync:mapping_new", {}),
    ("sync:mapping_import", {}),
    ("sync:suggestions", {}),
    ("sync:bindings", {}),
    ("sync:delivery", {}),
    ("sync:replay_requests", {}),
    ("jobs:list", {}),
    ("jobs:replay", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_configuration_pages_are_for_integration_admins_only(
    client, client_for, ada, fiona, sync_systems, name, kwargs
):
    url = reverse(name, kwargs=kwargs)
    assert client.get(url).status_code == 302  # anonymous → login
    assert client_for(fiona).get(url).status_code == 403
    assert client_for(ada).get(url).status_code == 200


def test_navigation_shows_configuration_and_jobs_to_admins(client_for, ada):
    body = client_for(ada).get(reverse("sync:config")).content.decode()
    assert reverse("sync:config") in body and reverse("jobs:list") in body


def test_sor_rule_created_and_edited_through_the_form_keeps_history(client_for, ada, sync_systems):
    client = client_for(ada)
    response = client.post(
        reverse("sync:sor_rule_new"),
        {
            "domain": "drawing",
            "field": "",
            "authority_kind": "document_control",
            "conflict_policy": "ignore",
            "enabled": "on",
            "note": "CDE owns drawings",
        },
    )
    assert response.status_code == 302
    rule = SystemOfRecordRule.objects.get(domain="drawing")
    response = client.post(
        reverse("sync:sor_rule_edit", args=[rule.pk]),
        {
            "domain": "drawing",
            "field": "",
            "authority_system": sync_systems.procore.pk,
            "conflict_policy": "flag",
            "enabled": "on",
            "note": "procore only",
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.authority_system, rule.conflict_policy, rule.version) == (
        sync_systems.procore,
        "flag",
        2,
    )
    page = client.get(reverse("sync:sor_rule_edit", args=[rule.pk])).content.decode()
    assert "History" in page and "v2" in page and "v1" in page


def test_sor_rule_form_needs_an_authority(client_for, ada):
    response = client_for(ada).post(
        reverse("sync:sor_rule_new"), {"domain": "x", "conflict_policy": "flag"}
    )
    assert response.status_code == 200
    assert "Name the authoritative system" in response.content.decode()


def test_policy_form_validates_cron_and_creates_policy(client_for, ada, sync_systems):
    client = client_for(ada)
    data = {
        "domain": "vendor",
        "source_system": sync_systems.odoo.pk,
        "target_system": sync_systems.procore.pk,
        "direction": "one_way",
        "mode": "cron",
        "cron": "not a cron",
        "batch_size": 100,
        "enabled": "on",
    }
    response = client.post(reverse("sync:policy_new"), data)
    assert response.status_code == 200 and "not a valid cron" in response.content.decode()
    response = client.post(reverse("sync:policy_new"), {**data, "cron": "15 2 * * *"})
    assert response.status_code == 302
    policy = SyncPolicy.objects.get()
    assert policy.cron == "15 2 * * *"
    listing = client.get(reverse("sync:policies")).content.decode()
    assert "Run now" in listing


def test_policy_schedules_follow_batch_policies(ada, sync_systems):
    from apps.core.schedules import collect_schedules

    policy = sync_policy_save(
        actor=ada,
        domain="vendor",
        source_system=sync_systems.odoo,
        target_system=sync_systems.p6,
        mode="interval",
        interval_minutes=30,
    )
    specs = {s.name: s for s in collect_schedules()}
    spec = specs[f"sync-policy-{policy.pk}"]
    assert (spec.func, spec.minutes, spec.kwargs) == (
        "apps.sync.tasks.sync_policy_run",
        30,
        {"policy_id": policy.pk},
    )
    assert "sync-reconcile" in specs
    sync_policy_save(
        actor=ada,
        policy=policy,
        domain="vendor",
        source_system=sync_systems.odoo,
        target_system=sync_systems.p6,
        mode="event",
    )
    assert f"sync-policy-{policy.pk}" not in {s.name for s in collect_schedules()}


def test_mapping_export_then_import_round_trip(client_for, ada, sync_systems):
    mapping_save(
        actor=ada,
        kind="cost_code",
        system=sync_systems.p6,
        external_value="CC-1",
        canonical_value="03 30 00",
        external_label="Concrete",
    )
    client = client_for(ada)
    for fmt, magic in (("csv", b"kind,system"), ("xlsx", b"PK")):
        response = client.get(reverse("sync:mapping_export") + f"?format={fmt}")
        assert response.status_code == 200
        assert response.content.startswith(magic)
    exported = client.get(reverse("sync:mapping_export")).content.decode()
    edited = exported.replace("03 30 00", "03 31 00") + "unit,p6,,,M3,cubic metre,m³,,yes\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("sync:mapping_import"),
        {"file": SimpleUploadedFile("m.csv", edited.encode(), content_type="text/csv")},
    )
    assert response.status_code == 302
    assert Mapping.objects.get(kind="cost_code").canonical_value == "03 31 00"
    assert Mapping.objects.get(kind="unit").canonical_value == "m³"
    assert AuditEntry.objects.filter(action="sync.mapping.import").exists()


def test_import_with_a_bad_row_saves_nothing_and_names_the_row(client_for, ada, sync_systems):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = (
        "kind,system,external_value,canonical_value\n"
        "cost_code,p6,A,03 30 00\n"
        "colour,p6,B,red\n"
        "vendor,nowhere,C,V1\n"
    )
    response = client_for(ada).post(
        reverse("sync:mapping_import"),
        {"file": SimpleUploadedFile("m.csv", content.encode())},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "row 3: kind &#x27;colour&#x27;" in body or "row 3: kind 'colour'" in body
    assert "row 4: no system" in body
    assert not Mapping.objects.exists()


def test_import_refuses_a_file_without_the_required_columns(client_for, ada):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(ada).post(
        reverse("sync:mapping_import"),
        {"file": SimpleUploadedFile("m.csv", b"code,name\nA,B\n")},
    )
    assert "lacks the column(s)" in response.content.decode()


def test_suggestion_found_from_held_value_and_accepted(
    client_for, ada, sync_systems, make_inbound, run_pipeline
):
    from apps.projects.models import CostCode

    CostCode.objects.create(code="03 30 00", title="Cast-in-Place Concrete")
    (tx,) = run_pipeline(
        make_inbound(
            sync_systems.p6,
            "budget_line_test",
            {"id": "B1", "cost_code": "CC-033000", "cost_code_name": "Cast in place concrete"},
        )
    )
    assert tx.status == "held"
    client = client_for(ada)
    client.post(reverse("sync:suggestions"), {"kind": "cost_code", "system": sync_systems.p6.pk})
    suggestion = MappingSuggestion.objects.get(canonical_value="03 30 00")
    response = client.post(reverse("sync:suggestion_decide", args=[suggestion.pk, "accept"]))
    assert response.status_code == 302
    assert Mapping.objects.get(external_value="CC-033000").canonical_value == "03 30 00"


def test_run_now_queues_a_job_and_detail_polls_until_finished(client_for, ada, sync_systems):
    policy = sync_policy_save(
        actor=ada,
        domain="vendor",
        source_system=sync_systems.odoo,
        target_system=sync_systems.p6,
        mode="manual",
    )
    client = client_for(ada)
    response = client.post(reverse("jobs:start"), {"policy": policy.pk})
    job = JobRun.objects.get()
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[job.pk])
    assert job.status == "queued" and job.requested_by == ada
    job_run_log(job=job, message="page 1 done")
    partial = client.get(reverse("jobs:detail", args=[job.pk]), headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert 'hx-trigger="every 2s"' in body and "page 1 done" in body
    assert "<html" not in body
    listing = client.get(reverse("jobs:list"), headers={"HX-Request": "true"}).content.decode()
    assert 'id="jobs"' in listing and "every 2s" in listing


def test_finished_job_page_stops_polling(client_for, ada):
    from apps.sync.services import job_run_finish, job_run_start

    job = job_run_create(kind="reconcile", name="r", total=4)
    job_run_start(job=job)
    job_run_finish(job=job, outcome="all good")
    body = client_for(ada).get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "every 2s" not in body and "all good" in body and "100%" in body


def test_delivery_settings_edit_and_breaker_close(client_for, ada, sync_systems):
    client = client_for(ada)
    response = client.post(
        reverse("sync:delivery_edit", args=["odoo"]),
        {
            "max_attempts": 5,
            "backoff_base_seconds": 1,
            "backoff_max_seconds": 60,
            "breaker_failure_threshold": 3,
            "breaker_cooldown_seconds": 20,
            "batch_size": 25,
        },
    )
    assert response.status_code == 302
    settings_row = DeliverySettings.objects.get(system=sync_systems.odoo)
    assert (settings_row.max_attempts, settings_row.batch_size) == (5, 25)
    CircuitBreaker.objects.create(system=sync_systems.odoo, state="open")
    assert "Close breaker" in client.get(reverse("sync:delivery")).content.decode()
    client.post(reverse("sync:breaker_close", args=["odoo"]))
    assert CircuitBreaker.objects.get(system=sync_systems.odoo).state == "closed"
    assert AuditEntry.objects.filter(action="sync.breaker.reset").exists()


def test_second_admin_approves_a_replay_request(
    client_for, ada, sync_systems, make_inbound, run_pipeline
):
    (tx,) = run_pipeline(make_inbound(sync_systems.odoo, "project", {"code": "X1", "name": "X"}))
    request = ReplayRequest.objects.create(
        transaction_id=tx.pk,
        requested_by=ada,
        reason="corrected payload",
        payload_override={"code": "X1", "name": "Y"},
    )
    own_page = client_for(ada).get(reverse("sync:replay_requests")).content.decode()
    assert "another person decides" in own_page
    bob = user_create(username="bob", password="x-pass-123", roles=[roles.INTEGRATION_ADMIN])
    response = client_for(bob).post(
        reverse("sync:replay_request_decide", args=[request.pk, "approve"]), {"note": "ok"}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "executed" and request.decided_by == bob


def test_bulk_replay_form_starts_a_job(client_for, ada, sync_systems, make_inbound, run_pipeline):
    run_pipeline(make_inbound(sync_systems.odoo, "project", {"code": "Z1", "name": "Z"}))
    response = client_for(ada).post(
        reverse("jobs:replay"),
        {"status": ["delivered"], "domain": "project", "reason": "resend after Odoo restore"},
    )
    job = JobRun.objects.get(kind="replay")
    assert response.status_code == 302 and job.total == 1
    assert job.params["filters"] == {"status": ["delivered"], "domain": "project"}


def test_bindings_orphan_report(client_for, ada, sync_systems):
    from django.utils import timezone

    from apps.sync.models import Binding

    Binding.objects.create(
        system=sync_systems.odoo,
        domain="vendor",
        canonical_id="A",
        external_id="1",
        orphaned_at=timezone.now(),
    )
    Binding.objects.create(
        system=sync_systems.odoo, domain="vendor", canonical_id="B", external_id="2"
    )
    body = client_for(ada).get(reverse("sync:bindings") + "?orphaned=1").content.decode()
    assert "<code>A</code>" in body and "<code>B</code>" not in body


def test_unknown_job_is_a_404_not_an_error(client_for, ada):
    assert client_for(ada).get(reverse("jobs:detail", args=[987654])).status_code == 404
