import pytest

from apps.audit.models import AuditEntry
from apps.core.errors import ApplicationError
from apps.sync.choices import ConflictPolicy, JobStatus, SuggestionStatus
from apps.sync.models import Binding, ConfigRevision, Mapping, MappingSuggestion, SyncPolicy
from apps.sync.selectors import (
    canonical_candidates,
    config_history,
    mapping_lookup,
    mapping_reverse,
    route_policies,
    sor_evaluate,
    sor_rules_for,
)
from apps.sync.services import (
    Candidate,
    binding_set,
    job_run_create,
    job_run_finish,
    job_run_log,
    job_run_progress,
    job_run_start,
    mapping_deactivate,
    mapping_save,
    mapping_suggestion_accept,
    mapping_suggestions_generate,
    similarity,
    sor_rule_save,
    sync_policy_save,
)

pytestmark = pytest.mark.django_db


# --- SoR rules ---------------------------------------------------------------------------------


def test_seeded_rules_make_odoo_authoritative_for_vendors(sync_systems):
    assert sor_evaluate(domain="vendor", system=sync_systems.odoo, fields=["name"]).outcome == (
        ConflictPolicy.ACCEPT
    )
    decision = sor_evaluate(domain="vendor", system=sync_systems.procore, fields=["name"])
    assert decision.outcome == ConflictPolicy.FLAG
    assert "odoo" in decision.reason.lower()


def test_scheduling_kind_owns_milestones_whatever_the_system_code(sync_systems, make_system):
    msp = make_system("msproject", "scheduling")
    assert sor_evaluate(domain="milestone", system=msp, fields=[]).outcome == "accept"
    assert sor_evaluate(domain="milestone", system=sync_systems.odoo, fields=[]).outcome == (
        "ignore"
    )


def test_field_rules_drop_or_flag_only_the_fields_owned_elsewhere(sync_systems):
    from_odoo = sor_evaluate(
        domain="budget_line",
        system=sync_systems.odoo,
        fields=["original_amount", "approved_changes", "cost_code"],
    )
    assert from_odoo.outcome == "flag"  # original budget belongs to estimating (flag)
    assert from_odoo.flagged_fields == ["original_amount"]
    from_estimating = sor_evaluate(
        domain="budget_line", system=sync_systems.estimating, fields=["original_amount"]
    )
    assert from_estimating.outcome == "accept"
    docs = sor_evaluate(domain="document", system=sync_systems.odoo, fields=["status", "title"])
    assert docs.outcome == "accept" and docs.ignored_fields == ["status"]


def test_rule_change_is_versioned_and_audited(sync_systems, ada):
    rule = next(r for r in sor_rules_for(domain="vendor"))
    changed = sor_rule_save(
        actor=ada,
        rule=rule,
        domain="vendor",
        authority_system=sync_systems.odoo,
        conflict_policy=ConflictPolicy.IGNORE,
        note="only Odoo edits vendors",
    )
    assert changed.version == 2
    assert sor_evaluate(domain="vendor", system=sync_systems.procore, fields=[]).outcome == (
        "ignore"
    )
    history = list(config_history(obj=changed))
    assert [h.version for h in history] == [2]
    assert history[0].data["conflict_policy"] == "ignore"
    assert AuditEntry.objects.filter(action="sync.sor_rule.updated").count() == 1


def test_rule_needs_an_authority(ada):
    with pytest.raises(ApplicationError):
        sor_rule_save(actor=ada, domain="payment", conflict_policy="flag")


# --- policies and routing ----------------------------------------------------------------------


def test_route_uses_project_override_and_two_way_policies(sync_systems, ada, school, bridge):
    global_policy = sync_policy_save(
        actor=ada,
        domain="cost_code",
        source_system=sync_systems.estimating,
        target_system=sync_systems.odoo,
    )
    sync_policy_save(
        actor=ada,
        domain="cost_code",
        source_system=sync_systems.estimating,
        target_system=sync_systems.odoo,
        project=bridge,
        enabled=False,
    )
    sync_policy_save(
        actor=ada,
        domain="cost_code",
        source_system=sync_systems.p6,
        target_system=sync_systems.estimating,
        direction="two_way",
    )
    school_routes = route_policies(
        domain="cost_code", source_system=sync_systems.estimating, project_id=school.pk
    )
    assert {p.route_target.code for p in school_routes} == {"odoo", "p6"}
    bridge_routes = route_policies(
        domain="cost_code", source_system=sync_systems.estimating, project_id=bridge.pk
    )
    assert {p.route_target.code for p in bridge_routes} == {"p6"}
    assert global_policy in school_routes


def test_policy_validation(sync_systems, ada):
    with pytest.raises(ApplicationError):
        sync_policy_save(
            actor=ada,
            domain="vendor",
            source_system=sync_systems.odoo,
            target_system=sync_systems.odoo,
        )
    with pytest.raises(ApplicationError) as err:
        sync_policy_save(
            actor=ada,
            domain="vendor",
            source_system=sync_systems.odoo,
            target_system=sync_systems.procore,
            mode="cron",
            cron="every tuesday",
        )
    assert err.value.code == "bad_cron"
    sync_policy_save(
        actor=ada, domain="vendor", source_system=sync_systems.odoo, target_system=sync_systems.p6
    )
    with pytest.raises(ApplicationError) as err:
        sync_policy_save(
            actor=ada,
            domain="vendor",
            source_system=sync_systems.odoo,
            target_system=sync_systems.p6,
        )
    assert err.value.code == "duplicate"
    assert SyncPolicy.objects.count() == 1


# --- mappings ----------------------------------------------------------------------------------


def test_mapping_save_versions_and_project_mapping_wins(sync_systems, ada, school):
    first = mapping_save(
        actor=ada,
        kind="cost_code",
        system=sync_systems.p6,
        external_value="CC-0330",
        canonical_value="03 30 00",
    )
    again = mapping_save(
        actor=ada,
        kind="cost_code",
        system=sync_systems.p6,
        external_value="CC-0330",
        canonical_value="03 31 00",
    )
    assert again.pk == first.pk and again.version == 2
    unchanged = mapping_save(
        actor=ada,
        kind="cost_code",
        system=sync_systems.p6,
        external_value="CC-0330",
        canonical_value="03 31 00",
    )
    assert unchanged.version == 2
    mapping_save(
        actor=ada,
        kind="cost_code",
        system=sync_systems.p6,
        external_value="CC-0330",
        canonical_value="03 35 00",
        project=school,
    )
    lookup = {"kind": "cost_code", "system": sync_systems.p6, "external_value": "CC-0330"}
    assert mapping_lookup(**lookup) == "03 31 00"
    assert mapping_lookup(**lookup, project_id=school.pk) == "03 35 00"
    assert mapping_lookup(**{**lookup, "external_value": "nope"}) is None
    assert (
        mapping_reverse(kind="cost_code", system=sync_systems.p6, canonical_value="03 31 00")
        == "CC-0330"
    )
    assert [r.data["canonical_value"] for r in config_history(obj=first)] == [
        "03 31 00",
        "03 30 00",
    ]


def test_deactivated_mapping_is_kept_but_no_longer_used(sync_systems, ada):
    mapping = mapping_save(
        actor=ada, kind="unit", system=sync_systems.p6, external_value="m3", canonical_value="m³"
    )
    mapping_deactivate(actor=ada, mapping=mapping, note="wrong unit")
    assert mapping_lookup(kind="unit", system=sync_systems.p6, external_value="m3") is None
    assert Mapping.objects.filter(pk=mapping.pk, active=False).exists()
    assert ConfigRevision.objects.filter(object_id=mapping.pk, action="disabled").exists()


def test_similarity_matches_codes_and_names():
    assert similarity("CC-033000", "", "03 30 00", "") >= 0.9
    assert similarity("X1", "Cast in place concrete", "03 30 00", "Cast-in-Place Concrete") == 1.0
    assert similarity("ZZ", "Roofing", "03 30 00", "Cast-in-Place Concrete") < 0.6


def test_suggestions_are_generated_and_accepting_one_creates_the_mapping(sync_systems, ada):
    suggestions = mapping_suggestions_generate(
        kind="cost_code",
        system=sync_systems.p6,
        unmapped=[Candidate("CC-033000", "Cast in place concrete")],
        canonical=[
            Candidate("03 30 00", "Cast-in-Place Concrete"),
            Candidate("03 31 00", "Structural Concrete"),
            Candidate("09 90 00", "Painting and Coating"),
        ],
    )
    assert suggestions[0].canonical_value == "03 30 00"
    assert "09 90 00" not in {s.canonical_value for s in suggestions}
    mapping = mapping_suggestion_accept(actor=ada, suggestion=suggestions[0])
    assert mapping.canonical_value == "03 30 00"
    assert not MappingSuggestion.objects.filter(status=SuggestionStatus.PROPOSED).exists()


def test_canonical_candidates_for_projects_come_from_projects(school):
    values = {c.value for c in canonical_candidates(kind="project")}
    assert "SCH-001" in values


# --- bindings and jobs -------------------------------------------------------------------------


def test_binding_set_rebinds_an_external_id_to_its_new_canonical_record(sync_systems):
    binding_set(system=sync_systems.odoo, domain="vendor", canonical_id="V1", external_id="7")
    binding_set(system=sync_systems.odoo, domain="vendor", canonical_id="V2", external_id="7")
    assert list(Binding.objects.values_list("canonical_id", "external_id")) == [("V2", "7")]
    refreshed = binding_set(
        system=sync_systems.odoo,
        domain="vendor",
        canonical_id="V2",
        external_id="8",
        values={"name": "Acme"},
    )
    assert refreshed.external_id == "8" and len(refreshed.fingerprint) == 64


def test_job_run_is_started_once_and_counts_add_up():
    job = job_run_create(kind="sync", name="vendors from odoo", total=10)
    assert job_run_start(job=job)
    assert not job_run_start(job=job)  # a second worker cannot run it too
    job_run_progress(job=job, read=10, created=7, failed=1, done=8)
    job_run_log(job=job, message="page 1 done")
    finished = job_run_finish(job=job, outcome="7 created, 1 failed")
    assert finished.status == JobStatus.PARTIAL
    assert (finished.read_count, finished.created_count, finished.failed_count) == (10, 7, 1)
    assert finished.progress_percent == 100
