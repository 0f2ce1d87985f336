"""Demo configuration of the sync engine (idempotent): routes between the demo systems and a few
mappings, so events from the platform emitter flow on to Odoo in `make demo`."""

from __future__ import annotations

from apps.connectors.models import System
from apps.projects.models import Project
from apps.sync.models import Mapping, SyncPolicy
from apps.sync.services import mapping_save, sor_rules_seed, sync_policy_save

# (domain, source, target, mode, interval minutes)
DEMO_POLICIES = [
    ("cost_code", "estimating", "odoo", "event", None),
    ("budget_line", "estimating", "odoo", "event", None),
    ("project", "odoo", "p6", "event", None),
]
# Routes earlier demos had that the targets cannot take: Odoo has no milestone domain, a field
# receipt reaches Odoo as the procurement's own receipt.create (not the raw event), Procore
# does not take vendors. Each turned most of the emitter's traffic of its kind into failed rows;
# a re-seed disables them where they exist (a person can enable them again).
RETIRED_DEMO_POLICIES = [
    ("milestone", "p6", "odoo"),
    ("receipt", "field", "odoo"),
    ("vendor", "odoo", "procore"),
]

# (kind, system, external value, canonical value, label)
DEMO_MAPPINGS = [
    ("cost_code", "p6", "03-300", "03 30 00", "Cast-in-place concrete"),
    ("cost_code", "p6", "03-200", "03 20 00", "Concrete reinforcing"),
    ("cost_code", "field", "CONC", "03 30 00", "Concrete"),
    ("unit", "field", "M3", "m3", "cubic metre"),
    ("project", "p6", "RIVERSIDE", "SCH-001", "Riverside Primary (P6 project id)"),
]


def seed(stdout) -> None:
    sor_rules_seed()
    systems = {s.code: s for s in System.objects.all()}
    created = 0
    for domain, source, target, mode, minutes in DEMO_POLICIES:
        if source not in systems or target not in systems:
            continue
        exists = SyncPolicy.objects.filter(
            domain=domain,
            source_system=systems[source],
            target_system=systems[target],
            project__isnull=True,
        ).exists()
        if exists:
            continue
        sync_policy_save(
            actor=None,
            domain=domain,
            source_system=systems[source],
            target_system=systems[target],
            mode=mode,
            interval_minutes=minutes,
            note="demo",
        )
        created += 1
    for domain, source, target in RETIRED_DEMO_POLICIES:
        for policy in SyncPolicy.objects.filter(
            domain=domain,
            source_system__code=source,
            target_system__code=target,
            note="demo",
            enabled=True,
        ).select_related("source_system", "target_system", "project"):
            sync_policy_save(
                actor=None,
                policy=policy,
                domain=policy.domain,
                source_system=policy.source_system,
                target_system=policy.target_system,
                mode=policy.mode,
                direction=policy.direction,
                interval_minutes=policy.interval_minutes,
                cron=policy.cron,
                batch_size=policy.batch_size,
                enabled=False,
                project=policy.project,
                note="demo (retired: the target cannot take this domain)",
            )
    projects = set(Project.objects.values_list("code", flat=True))
    for kind, system_code, external, canonical, label in DEMO_MAPPINGS:
        system = systems.get(system_code)
        if system is None or (kind == "project" and canonical not in projects):
            continue
        if Mapping.objects.filter(
            kind=kind, system=system, external_value=external, active=True
        ).exists():
            continue
        mapping_save(
            actor=None,
            kind=kind,
            system=system,
            external_value=external,
            canonical_value=canonical,
            external_label=label,
            note="demo",
        )
    stdout.write(f"  sync: {created} new polic(ies), {len(DEMO_MAPPINGS)} demo mappings checked")
